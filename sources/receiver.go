package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/hookledger/hookledger/ledger"
)

// DefaultMaxBody is the default request body limit: 1 MiB, above almost
// every Stripe or GitHub webhook. GitHub caps payloads at 25 MB and does
// not retry a delivery answered 413, so raise it (HOOKLEDGER_MAX_BODY) for
// repositories with very large pushes.
const DefaultMaxBody = 1 << 20

// DefaultBodyBudget is the default bound on the bytes of request bodies
// held in memory at once (raised to MaxBody when that is larger).
const DefaultBodyBudget = 32 << 20

// bodyWait is how long a request waits for room in the body budget before
// it is answered 503.
const bodyWait = 2 * time.Second

// UnknownSource is the metric label of requests for a source that is not
// configured: label values come only from the configured sources and this.
const UnknownSource = "unknown"

// Reasons a request is rejected, as rejection reasons and metric labels.
const (
	ReasonUnknownSource = "unknown_source"
	ReasonTooLarge      = "too_large"
	ReasonReadError     = "read_error"
	ReasonSignature     = "signature"
	ReasonMalformed     = "malformed"
	ReasonUnavailable   = "ledger_unavailable"
	ReasonBusy          = "busy"
)

// Observer is told what the receiver did with each request. Every method
// must be safe for concurrent use; a nil Observer in ReceiverOptions is
// allowed. source is always a configured source's name or UnknownSource.
type Observer interface {
	// Received is called for every request answered 200: duplicate is
	// false for a new event stored, true for one the ledger already had.
	Received(source string, duplicate bool)
	// Rejected is called for every request answered an error status, with
	// one of the Reason constants.
	Rejected(source, reason string)
}

// HandshakeObserver is an Observer that also counts handshakes answered
// (verified requests that carry no event, see Handshaker).
type HandshakeObserver interface {
	Handshake(source string)
}

// ReceiverOptions configures a Receiver. The zero value is usable.
type ReceiverOptions struct {
	MaxBody int64 // body limit in bytes; DefaultMaxBody when 0
	// BodyBudget bounds the body bytes held at once across requests (each
	// request counts its Content-Length, or MaxBody when it has none); a
	// request that finds no room within two seconds is answered 503 with
	// Retry-After. DefaultBodyBudget
	// when 0, and never below MaxBody.
	BodyBudget int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed for
	// the client address; none by default (the peer address is recorded).
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger // slog.Default() when nil
	Observer       Observer     // metrics; nil for none
}

// Store is what a Receiver needs of the ledger. *ledger.DB implements it;
// cmd wires it.
type Store interface {
	// Record stores ev unless the ledger has it, and the receipt rc; it
	// returns only after both are durable (then the request may be
	// answered 2xx), and whether ev was new.
	Record(ctx context.Context, ev *ledger.Event, rc *ledger.Receipt) (bool, error)
	// RecordRejection counts a rejected request in the per-minute
	// aggregate, without blocking.
	RecordRejection(r ledger.Rejection)
	// Health reports whether the ledger can commit a write.
	Health(ctx context.Context) error
}

// Receiver is the HTTP front door: POST /webhooks/{name} verifies the
// request with the named Source and records it in the ledger before
// answering 2xx; GET /healthz reports whether the ledger can commit.
type Receiver struct {
	db      Store
	sources map[string]Source
	opts    ReceiverOptions
	log     *slog.Logger
	rejLog  *rejectLog
	bodies  *semaphore.Weighted
	mux     *http.ServeMux
}

var _ http.Handler = (*Receiver)(nil)

// NewReceiver returns a Receiver that serves the given sources. A request
// for a source not in srcs is answered 404.
func NewReceiver(db Store, srcs []Source, opts ReceiverOptions) *Receiver {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.BodyBudget <= 0 {
		opts.BodyBudget = DefaultBodyBudget
	}
	opts.BodyBudget = max(opts.BodyBudget, opts.MaxBody)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("component", "receiver")
	rv := &Receiver{
		db:      db,
		sources: make(map[string]Source, len(srcs)),
		opts:    opts,
		log:     log,
		rejLog:  newRejectLog(log),
		bodies:  semaphore.NewWeighted(opts.BodyBudget),
		mux:     http.NewServeMux(),
	}
	for _, s := range srcs {
		rv.sources[s.Name()] = s
	}
	rv.mux.HandleFunc("POST /webhooks/{name}", rv.handleWebhook)
	rv.mux.HandleFunc("GET /healthz", rv.handleHealth)
	return rv
}

// ServeHTTP implements http.Handler.
func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rv.mux.ServeHTTP(w, r)
}

func (rv *Receiver) handleWebhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("name")
	src, ok := rv.sources[name]
	if !ok {
		// No row, no label value, no log line per request: a stranger
		// choosing paths must not grow anything.
		rv.observe(func(o Observer) { o.Rejected(UnknownSource, ReasonUnknownSource) })
		writeStatus(w, http.StatusNotFound, errUnknownSource)
		return
	}
	rc := &ledger.Receipt{
		Source:     name,
		RemoteAddr: clientAddr(r, rv.opts.TrustedProxies),
		ReceivedAt: start.UTC(),
	}
	isNew, answer, reason, err := rv.receive(r, src, rc, start)
	if err != nil {
		rv.reject(r.Context(), w, rc, reason, err)
		return
	}
	if answer != nil {
		rv.answer(w, name, answer)
		return
	}
	rv.observe(func(o Observer) { o.Received(name, !isNew) })
	outcome := "accepted"
	if !isNew {
		outcome = "duplicate"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "{\"status\":%q}\n", outcome)
}

// receive reads, verifies and records one request, holding its share of
// the body budget until the ledger has it, or returns the answer to a
// verified handshake, which is not recorded. On error it returns the
// rejection reason.
func (rv *Receiver) receive(r *http.Request, src Source, rc *ledger.Receipt, start time.Time) (bool, *Answer, string, error) {
	if r.ContentLength > rv.opts.MaxBody {
		return false, nil, ReasonTooLarge, errTooLarge
	}
	weight := rv.opts.MaxBody
	if r.ContentLength >= 0 {
		weight = r.ContentLength
	}
	// Wait a little for room: a burst queues briefly (a waiting request
	// holds its connection, not its body), a flood is told to come back.
	// Room is usually there at once, without a timer.
	if !rv.bodies.TryAcquire(weight) {
		wait, cancel := context.WithTimeout(r.Context(), bodyWait)
		err := rv.bodies.Acquire(wait, weight)
		cancel()
		if err != nil {
			return false, nil, ReasonBusy, errBusy
		}
	}
	defer rv.bodies.Release(weight)
	body, err := readBody(r, weight, rv.opts.MaxBody)
	rc.BodySize = len(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return false, nil, ReasonTooLarge, errTooLarge
		}
		return false, nil, ReasonReadError, fmt.Errorf("%w: %w", errReadBody, err)
	}
	if hs, ok := src.(Handshaker); ok {
		answer, err := hs.Handshake(r.Header, body)
		if err != nil {
			return false, nil, verifyReason(err), err
		}
		if answer != nil {
			return false, answer, "", nil
		}
	}
	ev, err := src.Verify(r.Header, body)
	if err != nil {
		return false, nil, verifyReason(err), err
	}
	ev.Origin = ledger.OriginWebhook
	rc.Status = http.StatusOK
	rc.Duration = time.Since(start)
	isNew, err := rv.db.Record(r.Context(), ev, rc)
	if err != nil {
		return false, nil, ReasonUnavailable, err
	}
	return isNew, nil, "", nil
}

// verifyReason is the rejection reason of a Verify or Handshake error.
func verifyReason(err error) string {
	if errors.Is(err, ErrSignature) {
		return ReasonSignature
	}
	return ReasonMalformed
}

// answer sends a verified handshake its answer and counts it; nothing is
// recorded, since a handshake carries no event.
func (rv *Receiver) answer(w http.ResponseWriter, source string, a *Answer) {
	rv.observe(func(o Observer) {
		if h, ok := o.(HandshakeObserver); ok {
			h.Handshake(source)
		}
	})
	rv.log.Info("handshake answered", "source", source)
	w.Header().Set("Content-Type", a.ContentType)
	w.WriteHeader(http.StatusOK)
	w.Write(a.Body)
}

// readBody reads at most limit bytes of r's body into a buffer sized for
// the expected length, so a body costs its size once, not the doublings
// of a growing buffer.
func readBody(r *http.Request, expect, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(expect) + bytes.MinRead)
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	return buf.Bytes(), err
}

var (
	errUnknownSource = errors.New("unknown or unconfigured source")
	errTooLarge      = errors.New("request body too large")
	errReadBody      = errors.New("read body")
	errBusy          = errors.New("too many request bodies in flight")
)

// StatusFor maps a receive error to the HTTP status answered: the one place
// that decides it. An error it does not know, which is the ledger failing
// to commit, is 503.
func StatusFor(err error) int {
	switch {
	case errors.Is(err, errUnknownSource):
		return http.StatusNotFound
	case errors.Is(err, errBusy):
		return http.StatusServiceUnavailable
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errReadBody):
		return http.StatusBadRequest
	case errors.Is(err, ErrSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	default:
		// Anything else is the ledger failing to commit: the provider must
		// retry, so never 2xx and never a 4xx it would not retry.
		return http.StatusServiceUnavailable
	}
}

// reject answers an error status (never echoing the payload or a secret),
// counts the rejection in the ledger's per-minute aggregate, and logs it
// at a bounded rate.
func (rv *Receiver) reject(ctx context.Context, w http.ResponseWriter, rc *ledger.Receipt, reason string, err error) {
	status := StatusFor(err)
	rv.observe(func(o Observer) { o.Rejected(rc.Source, reason) })
	if status != http.StatusServiceUnavailable || reason == ReasonBusy {
		rv.db.RecordRejection(ledger.Rejection{Source: rc.Source, Reason: reason, Status: status,
			At: rc.ReceivedAt, RemoteAddr: rc.RemoteAddr, Error: truncate(err.Error(), 200)})
	}
	rv.rejLog.log(ctx, status, "webhook rejected", "source", rc.Source, "status", status,
		"reason", reason, "error", err, "remote_addr", rc.RemoteAddr)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeStatus(w, status, err)
}

// writeStatus answers status with a JSON body naming it, and for a
// malformed body the reason (fixed texts that quote none of the body).
func writeStatus(w http.ResponseWriter, status int, err error) {
	answer := map[string]string{"error": http.StatusText(status)}
	if status == http.StatusBadRequest && errors.Is(err, ErrMalformed) {
		// Saying which reason helps whoever reads the provider's log.
		answer["reason"] = truncate(err.Error(), 200)
	}
	b, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s\n", b)
}

// handleHealth answers 200 when the ledger's writer can commit, else 503
// with the reason.
func (rv *Receiver) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := rv.db.Health(ctx); err != nil {
		rv.rejLog.log(ctx, http.StatusServiceUnavailable, "health check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "{\"status\":\"unavailable\",\"reason\":%q}\n", truncate(err.Error(), 200))
		return
	}
	fmt.Fprintln(w, `{"status":"ok"}`)
}

func (rv *Receiver) observe(fn func(Observer)) {
	if rv.opts.Observer != nil {
		fn(rv.opts.Observer)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
