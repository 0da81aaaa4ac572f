package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
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
	return serveLoad(ctx, h, "/webhooks/"+spec.Pool.scheme.name, spec)
}

// benchReceiver measures hookledger's receiver with the pool's source on
// a fresh ledger in dir, then checks every acknowledged event is in it.
// tamper, when set, runs between the load and the check (tests use it to
// prove the check catches a loss).
func benchReceiver(ctx context.Context, dir string, spec loadSpec, tamper func(ctx context.Context, path string) error) (ingestResult, error) {
	path := filepath.Join(dir, "ingest.db")
	db, err := app.OpenLedger(ctx, path, app.OpenOptions{})
	if err != nil {
		return ingestResult{}, err
	}
	defer db.Close()
	src, err := spec.Pool.scheme.source(spec.Pool.secret)
	if err != nil {
		return ingestResult{}, fmt.Errorf("bench: %w", err)
	}
	rv := sources.NewReceiver(db, []sources.Source{src}, sources.ReceiverOptions{Logger: discardLogger()})
	spec.Wrap = false
	began := time.Now()
	res, err := serveLoad(ctx, rv, "/webhooks/"+src.Name(), spec)
	out := ingestResult{loadResult: res}
	if err != nil {
		return out, err
	}
	if ws, ok := app.WriterStats(db); ok {
		out.noteWriter(ws, time.Since(began))
	}
	if err := db.Close(); err != nil {
		return out, fmt.Errorf("bench: close ledger: %w", err)
	}
	if tamper != nil {
		if err := tamper(ctx, path); err != nil {
			return out, fmt.Errorf("bench: tamper: %w", err)
		}
	}
	return checkLedger(ctx, path, spec.Pool, out)
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

// checkLedger reopens the ledger at path and counts the acknowledged
// events of res that are absent. Any absence is ErrLost.
func checkLedger(ctx context.Context, path string, pool *eventPool, res ingestResult) (ingestResult, error) {
	db, err := app.OpenLedger(ctx, path, app.OpenOptions{})
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
	if size := ledger.FileSize(path); res.InLedger > 0 {
		res.BytesPerEvent = float64(size) / float64(res.InLedger)
	}
	if res.Lost > 0 {
		return res, fmt.Errorf("bench: %d of %d: %w", res.Lost, len(ids), ErrLost)
	}
	return res, nil
}

// serveLoad serves h on a fresh loopback port with serve's HTTP server
// settings, runs the load against path, and shuts the server down.
func serveLoad(ctx context.Context, h http.Handler, path string, spec loadSpec) (loadResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadResult{}, fmt.Errorf("bench: listen: %w", err)
	}
	srv := app.NewHTTPServer(h, discardLogger())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	spec.URL = "http://" + ln.Addr().String() + path
	res := runLoad(ctx, spec)
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return res, fmt.Errorf("bench: shut down server: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return res, fmt.Errorf("bench: serve: %w", err)
	}
	return res, nil
}

// discardLogger returns a logger that drops every record.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
