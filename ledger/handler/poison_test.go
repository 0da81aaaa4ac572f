package handler

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// An event whose id or type cannot be sent (CR/LF in a header value, NUL
// in an environment variable) fails the same way on every attempt: it is
// dead after one, with the reason, like a 400. Issue 10, defect 4.
func TestPoisonEventIsDeadAtOnce(t *testing.T) {
	exec, err := NewExec(ExecConfig{Command: "cat >/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, typ string
		exec          bool
		reason        string
	}{
		{"forward, CRLF in id", "evt_1\r\nX-Injected: 1", "invoice.paid", false, "forward: event id"},
		{"forward, LF in type", "evt_1", "invoice.paid\nX-Injected: 1", false, "forward: event type"},
		{"forward, NUL in id", "evt_\x001", "invoice.paid", false, "forward: event id"},
		{"exec, NUL in id", "evt_\x001", "invoice.paid", true, "exec: event id"},
		{"exec, NUL in type", "evt_1", "invoice\x00paid", true, "exec: event type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := ledgertest.OpenSQLite(t)
			ev := &ledger.Event{Source: "stripe", EventID: tc.id, Type: tc.typ, Payload: []byte(`{}`), CreatedAt: time.Now()}
			if _, err := db.Record(context.Background(), ev, nil); err != nil {
				t.Fatal(err)
			}
			d := newDownstream(t, func(int64) int { return http.StatusOK })
			var p *ledger.Processor
			if tc.exec {
				p, err = ledger.NewProcessor(db, exec, ledger.ProcessorConfig{RetryBase: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				p = newProcessor(t, db, d.URL, ledger.ProcessorConfig{})
			}
			stats, err := p.Drain(context.Background())
			if err != nil || stats.Dead != 1 || stats.Retried != 0 || d.n.Load() != 0 {
				t.Fatalf("Drain() = %+v, %v after %d requests; want dead at once, nothing sent", stats, err, d.n.Load())
			}
			got, err := db.Event(context.Background(), "stripe", tc.id)
			if err != nil || got.State != ledger.StateDead || got.Attempts != 1 || !strings.HasPrefix(got.LastError, tc.reason) {
				t.Errorf("event = %s after %d attempts (%q), %v; want dead after 1 with a reason starting %q",
					got.State, got.Attempts, got.LastError, err, tc.reason)
			}
		})
	}
}
