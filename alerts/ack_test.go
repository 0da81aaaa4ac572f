package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// TestUnknownAlertStaysOpenUntilAcked is issue 10's defect 8: the forgery
// signal (events the provider does not know) used to be opened and
// resolved in the same millisecond. It stays open through later runs that
// no longer list the event, until someone acknowledges it; the ack is
// recorded with who and when, goes to the alert's thread, and the same
// forged ids do not reopen it. A new forged id does.
func TestUnknownAlertStaysOpenUntilAcked(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	clk.Add(15 * time.Minute)
	if err := a.Notify(ctx, clearReports()); err != nil {
		t.Fatal(err)
	}
	unknown := openUnknown(t, a)
	if unknown == nil {
		t.Fatal("no open unknown alert after the next run; the forgery signal vanished")
	}
	if unknown.Fingerprint != "stripe:unknown" || len(unknown.Keys) != 1 || unknown.Keys[0] != "evt_forged" {
		t.Errorf("open unknown alert = %+v, want stripe:unknown naming evt_forged", unknown)
	}

	if _, err := a.Ack(ctx, unknown.ID+1000, "alice"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Ack(unknown id) = %v, want ErrNotFound", err)
	}
	clk.Add(time.Minute)
	posts := f.postCount()
	acked, err := a.Ack(ctx, unknown.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if acked.State != ledger.AlertResolved || acked.AckedBy != "alice" || time.Since(acked.AckedAt) > time.Minute {
		t.Errorf("after Ack = state %s by %q at %v; want resolved by alice, now", acked.State, acked.AckedBy, acked.AckedAt)
	}
	if _, err := a.Ack(ctx, unknown.ID, "bob"); !errors.Is(err, ledger.ErrNotOpen) {
		t.Errorf("second Ack = %v, want ErrNotOpen", err)
	}
	if _, err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != posts+1 || !strings.Contains(f.post(posts).Get("text"), "Acknowledged by alice") ||
		f.post(posts).Get("thread_ts") == "" {
		t.Errorf("ack reply = %d posts, want one threaded \"acknowledged by alice\"", f.postCount()-posts)
	}
	if got := openUnknown(t, a); got != nil {
		t.Errorf("unknown alert still open after the ack: %+v", got)
	}

	// The same forged event in the next run was acknowledged: nothing new.
	if err := a.Notify(ctx, gapReports()[:1]); err != nil {
		t.Fatal(err)
	}
	if got := openUnknown(t, a); got != nil {
		t.Errorf("the acknowledged forged event reopened the alert: %+v", got)
	}
	rs := gapReports()[:1]
	rs[0].Unknown, rs[0].UnknownIDs = 2, []string{"evt_forged", "evt_forged_2"}
	if err := a.Notify(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if got := openUnknown(t, a); got == nil || !strings.Contains(strings.Join(got.Keys, ","), "evt_forged_2") {
		t.Errorf("a new forged event = open alert %+v, want one naming evt_forged_2", got)
	}
}

// openUnknown returns the open unknown alert, nil when there is none.
func openUnknown(t *testing.T, a *Alerter) *ledger.Alert {
	t.Helper()
	open, err := a.db.Alerts(context.Background(), ledger.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range open {
		if al.Kind == KindUnknown {
			return &al
		}
	}
	return nil
}
