package main

import (
	"context"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
)

const e2ePaddleSecret = "pdl_ntfset_01e2e_reconcile_secret_key"

// paddleWorld is a fake Paddle that sent a destination's notifications to
// a real receiver, dropping, duplicating and forging some.
type paddleWorld struct {
	reconcileWorld
	fake             *paddletest.Server
	dropped, forged  []string
	sent, duplicated int
}

// newPaddleWorld sends n Paddle events over the last three days with 5%
// dropped and 5% duplicated, 3 forged, plus events that must never count:
// another destination's, and this one's from before the 7-day window.
func newPaddleWorld(t *testing.T, n int) *paddleWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fake := paddletest.NewServer(paddletest.WithSeed(5))
	t.Cleanup(fake.Close)
	w := &paddleWorld{fake: fake}
	w.dsn = filepath.Join(t.TempDir(), "ledger.db")
	w.down = newCountingApp(t)
	w.vars = map[string]string{
		"HOOKLEDGER_DB":          w.dsn,
		"HOOKLEDGER_FORWARD_URL": w.down.srv.URL,
		"PADDLE_WEBHOOK_SECRET":  e2ePaddleSecret,
		"PADDLE_API_KEY":         paddletest.DefaultAPIKey,
		"PADDLE_API_URL":         fake.URL,
	}
	receiverURL := w.startReceiver(t)
	st := fake.AddSetting(receiverURL+"/webhooks/paddle", e2ePaddleSecret)
	w.vars["PADDLE_NOTIFICATION_SETTING_ID"] = st.ID
	now := time.Now().UTC()
	var ns []*paddletest.Notification
	for i := range n {
		ns = append(ns, fake.AddEvent(st, paddletest.Types[i%len(paddletest.Types)], now.Add(-time.Duration(i+1)*3*time.Minute), nil))
	}
	other := fake.AddSetting("http://127.0.0.1:1/other", "pdl_other_key")
	for i := range 10 {
		fake.AddEvent(other, "transaction.completed", now.Add(-time.Duration(i+1)*time.Hour), nil)
		fake.AddEvent(st, "transaction.completed", now.Add(-8*24*time.Hour-time.Duration(i)*time.Minute), nil)
	}
	res, err := fake.Send(ctx, st, ns, paddletest.Plan{Drop: 0.05, Duplicate: 0.05, Forged: 3, Seed: 9})
	if err != nil || res.Rejected != 0 || len(res.Dropped) == 0 || len(res.Duplicated) == 0 {
		t.Fatalf("paddle Send() = %d dropped, %d duplicated, %d rejected, %v; want some of each but rejected",
			len(res.Dropped), len(res.Duplicated), res.Rejected, err)
	}
	w.dropped, w.forged, w.sent, w.duplicated = res.Dropped, res.Forged, n, len(res.Duplicated)
	return w
}

// TestReconcilePaddleEndToEnd: a dry run finds exactly the dropped events
// and changes nothing; behind two 429s with Retry-After, the real run
// backfills them, the processor delivers each once, the forged ones are flagged; a
// second run finds nothing missing.
func TestReconcilePaddleEndToEnd(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 150
	}
	w := newPaddleWorld(t, n)
	before := ledgertest.SQLiteRowCounts(t, w.dsn)
	code, reps := w.reconcileJSON(t, "--since", "7d", "--dry-run")
	r := reps["paddle"]
	if code != app.ExitGaps || r.Expected != n || r.Missing != len(w.dropped) || r.Backfilled != 0 || !r.DryRun ||
		!reflect.DeepEqual(sorted(r.MissingIDs), sorted(w.dropped)) {
		t.Fatalf("dry run = exit %d, %s, missing %v; want exit 3 and exactly the %d dropped %v",
			code, counts(r), sorted(r.MissingIDs), len(w.dropped), sorted(w.dropped))
	}
	if after := ledgertest.SQLiteRowCounts(t, w.dsn); !reflect.DeepEqual(before, after) {
		t.Errorf("ledger rows after --dry-run = %v, want %v", after, before)
	}
	if len(w.down.snapshot()) != 0 {
		t.Error("the dry run processed events")
	}

	w.fake.FailNext(2, http.StatusTooManyRequests, 200*time.Millisecond)
	code, reps = w.reconcileJSON(t, "--since", "7d")
	if code != app.ExitOK {
		t.Fatalf("reconcile exit = %d, want 0: %s %q", code, counts(reps["paddle"]), reps["paddle"].Error)
	}
	checkRun(t, reps["paddle"], n, w.dropped, w.forged)
	runProcessCmd(t, w.vars) // reconcile leaves what it backfilled to the processor
	w.down.checkEachOnce(t, n+len(w.forged))

	code, reps = w.reconcileJSON(t, "--since", "7d")
	if r := reps["paddle"]; code != app.ExitOK || r.Missing != 0 || r.InLedger != n {
		t.Errorf("second reconcile = exit %d, %s; want 0 and nothing missing", code, counts(r))
	}
}

// TestReconcilePaddleRedeliver: --mode redeliver asks Paddle to replay
// each dropped notification; the replays arrive through the receiver and
// are processed once.
func TestReconcilePaddleRedeliver(t *testing.T) {
	w := newPaddleWorld(t, 120)
	code, reps := w.reconcileJSON(t, "--since", "7d", "--mode", "redeliver")
	r := reps["paddle"]
	if code != app.ExitOK || r.Redelivered != len(w.dropped) || r.Backfilled != 0 || r.StillMissing != 0 {
		t.Fatalf("reconcile --mode redeliver = exit %d, %s, redelivered %d; want 0 and %d redelivered",
			code, counts(r), r.Redelivered, len(w.dropped))
	}
	runProcessCmd(t, w.vars)
	w.down.checkEachOnce(t, 120+len(w.forged))
}
