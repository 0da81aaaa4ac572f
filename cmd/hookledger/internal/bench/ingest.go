package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/sources"
)

// ErrLost marks a benchmark run in which an acknowledged event is not in
// the ledger: the one result that fails the run outright.
var ErrLost = errors.New("acknowledged events missing from the ledger")

// ingestResult is the receiver phase plus what the ledger holds after it.
type ingestResult struct {
	loadResult
	InLedger      int `json:"in_ledger"`      // event rows for the source after the run
	Lost          int `json:"lost"`           // answered 2xx but not in the ledger: must be 0
	StoredUnacked int `json:"stored_unacked"` // in the ledger without a 2xx seen (client timeouts); not a loss
	// The writer goroutine over the phase, warm-up included: its own
	// thread's CPU per event recorded, events per commit, and the share of
	// the phase it spent inside a transaction.
	WriterCPUPerEvent float64 `json:"writer_cpu_us_per_event"`
	EventsPerCommit   float64 `json:"events_per_commit"`
	WriterBusy        float64 `json:"writer_busy"`
	// BytesPerEvent is the ledger file (checkpointed, after Close) over
	// the events in it.
	BytesPerEvent float64 `json:"bytes_per_event"`
	// Backend is sqlite or postgres; Instances how many receivers, each
	// with a ledger (connection pool) of its own, shared the load.
	Backend   string `json:"backend"`
	Instances int    `json:"instances"`
	// ServerCPUPerRequest is the CPU of the PostgreSQL server processes
	// that served the phase's connections, per request sent, in µs: work
	// CPUPerRequest does not see. 0 when it cannot be read.
	ServerCPUPerRequest float64 `json:"server_cpu_us_per_request"`
}

// benchBare measures a bare net/http handler that reads the body and
// answers 200, behind the same server configuration serve uses.
func benchBare(ctx context.Context, spec loadSpec) (loadResult, error) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	spec.Wrap = true
	return serveLoad(ctx, []http.Handler{h}, "/webhooks/"+spec.Pool.scheme.name, spec)
}

// benchReceiver measures hookledger's receiver with the pool's source on
// the fresh ledger st, then checks every acknowledged event is in it.
// With instances > 1 it runs that many receivers, each on a ledger of its
// own opened on st (its own connection pool: separate instances sharing
// one database), each behind its own server, the connections spread over
// them in turn. tamper, when set, runs between the load and the check
// (tests use it to prove the check catches a loss).
func benchReceiver(ctx context.Context, st *store, instances int, spec loadSpec, tamper func(ctx context.Context, dsn string) error) (ingestResult, error) {
	out := ingestResult{Backend: st.backend, Instances: instances}
	dbs := make([]app.Ledger, 0, instances)
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	handlers := make([]http.Handler, instances)
	for i := range handlers {
		db, err := st.open(ctx)
		if err != nil {
			return out, err
		}
		dbs = append(dbs, db)
		src, err := spec.Pool.scheme.source(spec.Pool.secret)
		if err != nil {
			return out, fmt.Errorf("bench: %w", err)
		}
		handlers[i] = sources.NewReceiver(db, []sources.Source{src}, sources.ReceiverOptions{Logger: discardLogger()})
	}
	spec.Wrap = false
	began := time.Now()
	res, err := serveLoad(ctx, handlers, "/webhooks/"+spec.Pool.scheme.name, spec)
	out.loadResult = res
	if err != nil {
		return out, err
	}
	out.noteStats(ctx, st, dbs, time.Since(began))
	for _, db := range dbs {
		if err := db.Close(); err != nil {
			return out, fmt.Errorf("bench: close ledger: %w", err)
		}
	}
	if tamper != nil {
		if err := tamper(ctx, st.dsn); err != nil {
			return out, fmt.Errorf("bench: tamper: %w", err)
		}
	}
	return checkLedger(ctx, st, spec.Pool, out)
}

// intakeStatser is a PostgreSQL ledger's intake figures.
type intakeStatser interface {
	IntakeStats() postgres.IntakeStats
}

// noteStats sets the writer (SQLite) or intake and server (PostgreSQL)
// figures of the ledgers dbs on st, taken after a phase of d, before
// they close.
func (r *ingestResult) noteStats(ctx context.Context, st *store, dbs []app.Ledger, d time.Duration) {
	var commits, requests int64
	for _, db := range dbs {
		if ws, ok := app.WriterStats(db); ok {
			r.noteWriter(ws, d)
		}
		if is, ok := db.(intakeStatser); ok {
			s := is.IntakeStats()
			commits, requests = commits+s.Commits, requests+s.Requests
		}
	}
	if commits > 0 {
		r.EventsPerCommit = float64(requests) / float64(commits)
	}
	if cpu, ok := st.serverCPU(ctx); ok && r.Sent > 0 {
		r.ServerCPUPerRequest = float64(cpu.Microseconds()) / float64(r.Sent)
	}
}

// noteWriter sets the writer figures from ws, taken after a phase of d.
func (r *ingestResult) noteWriter(ws ledger.WriterStats, d time.Duration) {
	if ws.Events > 0 {
		r.WriterCPUPerEvent = float64(ws.WriterCPU.Microseconds()) / float64(ws.Events)
	}
	if ws.Commits > 0 {
		r.EventsPerCommit = float64(ws.Events) / float64(ws.Commits)
	}
	if d > 0 {
		r.WriterBusy = ws.Busy.Seconds() / d.Seconds()
	}
}

// checkLedger reopens the ledger st and counts the acknowledged events
// of res that are absent. Any absence is ErrLost.
func checkLedger(ctx context.Context, st *store, pool *eventPool, res ingestResult) (ingestResult, error) {
	db, err := st.open(ctx)
	if err != nil {
		return res, err
	}
	defer db.Close()
	var ids []string
	for seq, ok := range res.acked {
		if ok {
			ids = append(ids, pool.eventID(seq))
		}
	}
	known, err := db.Known(ctx, pool.scheme.name, ids)
	if err != nil {
		return res, err
	}
	res.Lost = len(ids) - len(known)
	qs, err := db.QueueStats(ctx)
	if err != nil {
		return res, err
	}
	for _, n := range qs.Depth[pool.scheme.name] {
		res.InLedger += n
	}
	res.StoredUnacked = res.InLedger - len(known)
	if size, err := st.size(ctx); err == nil && res.InLedger > 0 {
		res.BytesPerEvent = float64(size) / float64(res.InLedger)
	}
	if res.Lost > 0 {
		return res, fmt.Errorf("bench: %d of %d: %w", res.Lost, len(ids), ErrLost)
	}
	return res, nil
}

// serveLoad serves each of handlers on a fresh loopback port with serve's
// HTTP server settings, runs the load against path on all of them (the
// connections spread over them in turn), and shuts the servers down.
func serveLoad(ctx context.Context, handlers []http.Handler, path string, spec loadSpec) (loadResult, error) {
	var servers []*http.Server
	var served []chan error
	shutdown := func() error {
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var errs []error
		for i, srv := range servers {
			if err := srv.Shutdown(shutCtx); err != nil {
				errs = append(errs, fmt.Errorf("bench: shut down server: %w", err))
			}
			if err := <-served[i]; err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs = append(errs, fmt.Errorf("bench: serve: %w", err))
			}
		}
		return errors.Join(errs...)
	}
	spec.URLs = nil
	for _, h := range handlers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return loadResult{}, errors.Join(fmt.Errorf("bench: listen: %w", err), shutdown())
		}
		srv, done := app.NewHTTPServer(h, discardLogger()), make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		servers, served = append(servers, srv), append(served, done)
		spec.URLs = append(spec.URLs, "http://"+ln.Addr().String()+path)
	}
	res := runLoad(ctx, spec)
	return res, shutdown()
}

// discardLogger returns a logger that drops every record.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
