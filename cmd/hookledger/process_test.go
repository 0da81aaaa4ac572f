package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// processWorld is a ledger with events and a downstream whose answer the
// test sets.
type processWorld struct {
	dsn    string // the ledger: a SQLite file path or a PostgreSQL URL
	status atomic.Int64
	hits   atomic.Int64
	url    string
}

// newProcessWorld is a processWorld of n events in a SQLite ledger file.
func newProcessWorld(t *testing.T, n int) *processWorld {
	t.Helper()
	return newProcessWorldOn(t, filepath.Join(t.TempDir(), "ledger.db"), n)
}

// newProcessWorldOn is newProcessWorld on the ledger dsn names (either
// backend).
func newProcessWorldOn(t *testing.T, dsn string, n int) *processWorld {
	t.Helper()
	w := &processWorld{dsn: dsn}
	w.status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		rw.WriteHeader(int(w.status.Load()))
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	db, err := app.OpenLedger(context.Background(), w.dsn, app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%d", i), Type: "invoice.paid",
			Payload: []byte(`{}`), CreatedAt: time.Now()}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// run runs hookledger with args against the world and returns stdout.
func (w *processWorld) run(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"HOOKLEDGER_DB": w.dsn, "HOOKLEDGER_FORWARD_URL": w.url, "HOOKLEDGER_RETRY_BASE": "1ms"}
	for k, v := range vars {
		env[k] = v
	}
	e, stdout, _ := testEnv(env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := runWith(ctx, e, args)
	return stdout.String(), err
}

func (w *processWorld) state(t *testing.T, id string) ledger.State {
	t.Helper()
	db, err := app.OpenLedger(context.Background(), w.dsn, app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ev, err := db.Event(context.Background(), "stripe", id)
	if err != nil {
		t.Fatal(err)
	}
	return ev.State
}

func TestProcessDrainsOnce(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newProcessWorldOn(t, dsn, 5)
		out, err := w.run(t, nil, "process")
		if err != nil || !strings.HasPrefix(out, "processed 5, retry scheduled 0, dead 0") {
			t.Fatalf("process = %q, %v; want 5 processed", out, err)
		}
		out, err = w.run(t, nil, "process")
		if err != nil || !strings.HasPrefix(out, "processed 0,") || w.hits.Load() != 5 {
			t.Errorf("second process = %q, %v after %d requests; want nothing more", out, err, w.hits.Load())
		}
	})
}

func TestProcessNeedsHandler(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newProcessWorldOn(t, dsn, 1)
		_, err := w.run(t, map[string]string{"HOOKLEDGER_FORWARD_URL": ""}, "process")
		if app.ExitCode(err, &bytes.Buffer{}) != app.ExitUsage || !strings.Contains(err.Error(), "no handler configured") {
			t.Errorf("process without a handler = %v, want a usage error", err)
		}
	})
}

func TestNewHandlerDescribesWithoutSecrets(t *testing.T) {
	cfg := app.Config{ForwardURL: "https://user:pass@example.test/hooks?token=abc", ForwardSecret: "whsec_c2VjcmV0"}
	h, desc, err := app.NewHandler(cfg)
	if err != nil || h == nil {
		t.Fatalf("newHandler() = %v, %v", h, err)
	}
	// Scheme, host and port only: the path may carry a token (issue 11).
	if desc != "forward to https://example.test (signed)" {
		t.Errorf("description = %q", desc)
	}
	if h, desc, err := app.NewHandler(app.Config{Exec: "cat"}); err != nil || h == nil || !strings.HasPrefix(desc, "exec") {
		t.Errorf("newHandler(exec) = %v, %q, %v", h, desc, err)
	}
	if h, _, err := app.NewHandler(app.Config{}); err != nil || h != nil {
		t.Errorf("newHandler(nothing) = %v, %v; want nil for ledger-only", h, err)
	}
}

func TestExecEnvDropsSecrets(t *testing.T) {
	got := app.WithoutSecrets([]string{"PATH=/bin", "STRIPE_API_KEY=rk_live_x", "GITHUB_TOKEN=ghp_x",
		"SLACK_WEBHOOK_URL=https://hooks.slack.com/x", "HOOKLEDGER_DB=l.db", "STRIPE_API_BASE=https://api.stripe.com"})
	want := []string{"PATH=/bin", "HOOKLEDGER_DB=l.db", "STRIPE_API_BASE=https://api.stripe.com"}
	if !slices.Equal(got, want) {
		t.Errorf("withoutSecrets() = %q, want %q", got, want)
	}
}
