package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer = ledgertest.SyncBuffer

// testEnv returns an Env whose variables are vars alone (nothing from the
// process environment) and whose output goes to buffers.
func testEnv(vars map[string]string) (*app.Env, *syncBuffer, *syncBuffer) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	return &app.Env{Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return vars[k] }}, stdout, stderr
}

// countingApp is a downstream app on loopback that answers 200 and counts
// deliveries per Idempotency-Key (the provider's event id).
type countingApp struct {
	mu   sync.Mutex
	seen map[string]int
	srv  *httptest.Server
}

// newCountingApp starts a countingApp, closed when the test ends.
func newCountingApp(t *testing.T) *countingApp {
	t.Helper()
	return newSlowApp(t, 0)
}

// newSlowApp starts a countingApp that is slow but healthy: it answers
// every request 200 after delay.
func newSlowApp(t *testing.T, delay time.Duration) *countingApp {
	t.Helper()
	c := &countingApp{seen: map[string]int{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(delay)
		c.mu.Lock()
		c.seen[r.Header.Get("Idempotency-Key")]++
		c.mu.Unlock()
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// count returns how many times event id was delivered.
func (c *countingApp) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[id]
}

// snapshot returns a copy of the deliveries per event id.
func (c *countingApp) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.seen)
}

// checkEachOnce checks that want distinct events were delivered, each
// exactly once.
func (c *countingApp) checkEachOnce(t *testing.T, want int) {
	t.Helper()
	seen := c.snapshot()
	if len(seen) != want {
		t.Errorf("downstream saw %d distinct Idempotency-Keys, want %d", len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("event %s forwarded %d times, want once", k, n)
		}
	}
}

// runProcessCmd runs `hookledger process` with vars, as the processor that
// delivers what reconcile and replay left pending, and fails the test when
// it fails.
func runProcessCmd(t *testing.T, vars map[string]string) {
	t.Helper()
	env, stdout, stderr := testEnv(vars)
	if err := runWith(t.Context(), env, []string{"process"}); err != nil {
		t.Fatalf("process = %v\n%s\n%s", err, stdout, stderr)
	}
}
