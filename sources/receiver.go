package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// DefaultMaxBody is the default request body limit: 1 MiB, well above the
// largest Stripe or GitHub webhook (GitHub caps payloads at 25 MB but
// truncates most events far below that; raise it with ReceiverOptions).
const DefaultMaxBody = 1 << 20

// Reasons a request is rejected, as receipt reasons and metric labels.
const (
	ReasonUnknownSource = "unknown_source"
	ReasonTooLarge      = "too_large"
	ReasonReadError     = "read_error"
	ReasonSignature     = "signature"
	ReasonMalformed     = "malformed"
	ReasonUnavailable   = "ledger_unavailable"
)

// Observer is told what the receiver did with each request. Every method
// must be safe for concurrent use; a nil Observer in ReceiverOptions is
// allowed.
type Observer interface {
	// Received is called for every request answered 200, duplicates included.
	Received(source string)
	// Duplicate is called, after Received, for an event the ledger already had.
	Duplicate(source string)
	// Rejected is called for every request answered an error status, with
	// one of the Reason constants.
	Rejected(source, reason string)
}

// ReceiverOptions configures a Receiver. The zero value is usable.
type ReceiverOptions struct {
	MaxBody  int64        // body limit in bytes; DefaultMaxBody when 0
	Logger   *slog.Logger // slog.Default() when nil
	Observer Observer     // metrics; nil for none
}

// Receiver is the HTTP front door: POST /webhooks/{name} verifies the
// request with the named Source and records it in the ledger before
// answering 2xx; GET /healthz reports whether the ledger answers.
type Receiver struct {
	db      *ledger.DB
	sources map[string]Source
	opts    ReceiverOptions
	log     *slog.Logger
	mux     *http.ServeMux
}

var _ http.Handler = (*Receiver)(nil)

// NewReceiver returns a Receiver that serves the given sources. A request
// for a source not in srcs is answered 404.
func NewReceiver(db *ledger.DB, srcs []Source, opts ReceiverOptions) *Receiver {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	rv := &Receiver{
		db:      db,
		sources: make(map[string]Source, len(srcs)),
		opts:    opts,
		log:     opts.Logger.With("component", "receiver"),
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
	rc := &ledger.Receipt{
		Source:     truncate(name, 64),
		RemoteAddr: r.RemoteAddr,
		ReceivedAt: start.UTC(),
	}
	isNew, reason, err := rv.receive(r, name, rc, start)
	if err != nil {
		rv.reject(r.Context(), w, rc, reason, err, start)
		return
	}
	rv.observe(func(o Observer) { o.Received(rc.Source) })
	outcome := "accepted"
	if !isNew {
		outcome = "duplicate"
		rv.observe(func(o Observer) { o.Duplicate(rc.Source) })
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "{\"status\":%q}\n", outcome)
}

// receive reads, verifies and records one request. On error it returns the
// rejection reason.
func (rv *Receiver) receive(r *http.Request, name string, rc *ledger.Receipt, start time.Time) (bool, string, error) {
	src, ok := rv.sources[name]
	if !ok {
		return false, ReasonUnknownSource, errUnknownSource
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, rv.opts.MaxBody))
	rc.BodySize = len(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return false, ReasonTooLarge, errTooLarge
		}
		return false, ReasonReadError, fmt.Errorf("%w: %w", errReadBody, err)
	}
	ev, err := src.Verify(r.Header, body)
	if err != nil {
		if errors.Is(err, ErrSignature) {
			return false, ReasonSignature, err
		}
		return false, ReasonMalformed, err
	}
	ev.Origin = ledger.OriginWebhook
	rc.Status = http.StatusOK
	rc.Duration = time.Since(start)
	isNew, err := rv.db.Record(r.Context(), ev, rc)
	if err != nil {
		return false, ReasonUnavailable, err
	}
	return isNew, "", nil
}

var (
	errUnknownSource = errors.New("unknown or unconfigured source")
	errTooLarge      = errors.New("request body too large")
	errReadBody      = errors.New("read body")
)

// StatusFor maps a receive error to the HTTP status answered: the one place
// that decides it. An error it does not know, which is the ledger failing
// to commit, is 503.
func StatusFor(err error) int {
	switch {
	case errors.Is(err, errUnknownSource):
		return http.StatusNotFound
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

// reject answers an error status (never echoing the payload or a secret)
// and records a rejected receipt.
func (rv *Receiver) reject(ctx context.Context, w http.ResponseWriter, rc *ledger.Receipt, reason string, err error, start time.Time) {
	status := StatusFor(err)
	rv.observe(func(o Observer) { o.Rejected(rc.Source, reason) })
	rc.Outcome = ledger.OutcomeRejected
	rc.Status = status
	rc.Reason = reason + ": " + truncate(err.Error(), 200)
	rc.Duration = time.Since(start)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	rv.log.Log(ctx, level, "webhook rejected", "source", rc.Source, "event_id", rc.EventID,
		"status", status, "reason", reason, "error", err, "remote_addr", rc.RemoteAddr)
	if status != http.StatusServiceUnavailable {
		// The receipt is best effort: the answer does not depend on it.
		if rerr := rv.db.RecordReceipt(context.WithoutCancel(ctx), rc); rerr != nil {
			rv.log.Warn("rejected receipt not stored", "source", rc.Source, "error", rerr)
		}
	}
	answer := map[string]string{"error": http.StatusText(status)}
	if status == http.StatusBadRequest && errors.Is(err, ErrMalformed) {
		// The reasons a body is malformed are fixed texts that quote none
		// of it: saying which one helps whoever reads the provider's log.
		answer["reason"] = truncate(err.Error(), 200)
	}
	b, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s\n", b)
}

func (rv *Receiver) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := rv.db.Ping(ctx); err != nil {
		rv.log.Error("health check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":"unavailable"}`)
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
