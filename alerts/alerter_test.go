package alerts

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
)

// gapReports is one run over two sources: stripe found five missing
// events, backfilled three, two remain, and one unknown event; github has
// one event still missing.
func gapReports() []reconcile.Report {
	since := testStart.Add(-2 * time.Hour)
	return []reconcile.Report{{
		Source: "stripe", Since: since, Until: testStart, Mode: "backfill", Complete: true,
		Expected: 40, InLedger: 35, Missing: 5, Backfilled: 3, StillMissing: 2, Unknown: 1, Processed: 38,
		MissingIDs:      []string{"evt_1", "evt_2", "evt_3", "evt_4", "evt_5"},
		StillMissingIDs: []string{"evt_4", "evt_5"},
		UnknownIDs:      []string{"evt_forged"},
		MissingByType:   map[string]int{"invoice.paid": 3, "charge.refunded": 2},
	}, {
		Source: "github", Since: since, Until: testStart, Mode: "redeliver", Complete: true,
		Expected: 3, InLedger: 2, Missing: 1, StillMissing: 1, Processed: 2,
		MissingIDs: []string{"6b1f-guid"}, StillMissingIDs: []string{"6b1f-guid"},
		MissingByType: map[string]int{"push": 1},
	}}
}

// clearReports is the next run over the same window: nothing is missing.
func clearReports() []reconcile.Report {
	rs := gapReports()
	for i := range rs {
		r := &rs[i]
		r.InLedger, r.Missing, r.Backfilled, r.StillMissing, r.Unknown = r.Expected, 0, 0, 0, 0
		r.MissingIDs, r.StillMissingIDs, r.UnknownIDs, r.MissingByType = nil, nil, nil, nil
	}
	return rs
}

func TestNotifyPostsOneMessagePerSource(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if got := f.postCount(); got != 2 {
		t.Fatalf("posts = %d, want 2 (one per source)", got)
	}
	stripe, github := f.post(0), f.post(1)
	for _, want := range []string{"Found 5 missing events", "invoice.paid 3", "charge.refunded 2", "`evt_1`",
		"backfilled 3", "2 events still missing", "`evt_4`", "`evt_5`", "1 unknown event", "security signal",
		"`evt_forged`", "hookledger reconcile --source stripe --since 2h", "hookledger events show stripe evt_forged"} {
		if !strings.Contains(stripe.Get("text"), want) {
			t.Errorf("stripe message lacks %q:\n%s", want, stripe.Get("text"))
		}
	}
	if !strings.Contains(github.Get("text"), "`6b1f-guid`") || strings.Contains(github.Get("text"), "evt_") {
		t.Errorf("github message = %q, want its own id and none of stripe's", github.Get("text"))
	}
	for i, p := range []map[string][]string{stripe, github} {
		if p["channel"][0] != "C0ALERTS" || p["thread_ts"] != nil {
			t.Errorf("post %d channel %v thread_ts %v, want C0ALERTS and top level", i, p["channel"], p["thread_ts"])
		}
		var blocks []map[string]any
		if err := json.Unmarshal([]byte(p["blocks"][0]), &blocks); err != nil || len(blocks) < 3 || blocks[0]["type"] != "header" {
			t.Errorf("post %d blocks = %s (%v), want a header and sections", i, p["blocks"], err)
		}
	}
	open, err := a.db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 3 || open[0].MessageTS == "" || open[1].MessageTS == "" || open[2].MessageTS == "" {
		t.Errorf("open alerts = %+v, want stripe:missing, stripe:unknown and github:missing with their ts", open)
	}
}

func TestNotifyUnchangedPostsNothing(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	clk.Add(15 * time.Minute)
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if got := f.postCount(); got != 2 {
		t.Errorf("posts after an unchanged repeat = %d, want still 2", got)
	}
	// One more id still missing is material: one new message for that source.
	rs := gapReports()
	rs[0].StillMissing, rs[0].StillMissingIDs = 3, []string{"evt_4", "evt_5", "evt_9"}
	if err := a.Notify(ctx, rs[:1]); err != nil {
		t.Fatal(err)
	}
	if got := f.postCount(); got != 3 {
		t.Fatalf("posts after a new missing id = %d, want 3", got)
	}
	if text := f.post(2).Get("text"); !strings.Contains(text, "3 events still missing") || strings.Contains(text, "unknown") {
		t.Errorf("update = %q, want the 3 still missing and not the unchanged unknown notice", text)
	}
}

func TestRecoveryRepliesInThread(t *testing.T) {
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
	if got := f.postCount(); got != 4 {
		t.Fatalf("posts = %d, want 2 alerts + 2 resolved replies", got)
	}
	for i := range 2 {
		reply := f.post(2 + i)
		if reply.Get("thread_ts") != tsOf(i) {
			t.Errorf("reply %d thread_ts = %q, want %q", i, reply.Get("thread_ts"), tsOf(i))
		}
		if !strings.Contains(reply.Get("text"), "Resolved:") || !strings.Contains(reply.Get("text"), "still missing") {
			t.Errorf("reply %d = %q, want a resolved note about the missing events", i, reply.Get("text"))
		}
	}
	// The forged event's alert stays open until acknowledged.
	open, _ := a.db.Alerts(ctx, ledger.AlertFilter{})
	if len(open) != 1 || open[0].Kind != KindUnknown {
		t.Errorf("open alerts after recovery = %+v, want only the unknown one", open)
	}
	if err := a.Notify(ctx, clearReports()); err != nil {
		t.Fatal(err)
	}
	if got := f.postCount(); got != 4 {
		t.Errorf("posts after a second clean run = %d, want still 4", got)
	}
}

// tsOf is the ts the fake gives its i-th successful post.
func tsOf(i int) string { return "1700000000.00000" + string(rune('1'+i)) }

func TestMissingStaysOpenWhenLaterWindowDoesNotCoverIt(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	a := newBotAlerter(t, db, f, clk)
	if err := a.Notify(ctx, gapReports()[1:]); err != nil {
		t.Fatal(err)
	}
	later := clearReports()[1]
	later.Since = testStart // an incremental run that no longer looks at the gap
	if err := a.Notify(ctx, []reconcile.Report{later}); err != nil {
		t.Fatal(err)
	}
	if open, _ := a.db.Alerts(ctx, ledger.AlertFilter{}); len(open) != 1 || f.postCount() != 1 {
		t.Fatalf("open = %+v, posts = %d; want the missing alert still open and no reply", open, f.postCount())
	}
	// The event arrives (a redelivery): the minute check resolves it.
	if _, err := db.Record(ctx, &ledger.Event{Source: "github", EventID: "6b1f-guid", Type: "push", Payload: []byte("{}")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 2 || f.post(1).Get("thread_ts") != tsOf(0) {
		t.Errorf("posts = %d, want a resolved reply in thread %s", f.postCount(), tsOf(0))
	}
}

func TestFailedRunAndRatio(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	failed := reconcile.Report{Source: "stripe", Since: testStart.Add(-72 * time.Hour), Until: testStart,
		Error: "list events: stripe: 500 internal error", Complete: false}
	low := reconcile.Report{Source: "github", Since: testStart.Add(-time.Hour), Until: testStart, Complete: true,
		Expected: 40, InLedger: 40, Processed: 10, Pending: 30, Stuck: 2, Due: 40, DueProcessed: 10}
	if err := a.Notify(ctx, []reconcile.Report{failed, low}); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 2 {
		t.Fatalf("posts = %d, want 2", f.postCount())
	}
	if text := f.post(0).Get("text"); !strings.Contains(text, "Reconcile run failed") ||
		!strings.Contains(text, "500 internal error") || !strings.Contains(text, "--since 3d") {
		t.Errorf("failed-run message = %q", text)
	}
	if text := f.post(1).Get("text"); !strings.Contains(text, "Only 25%") || !strings.Contains(text, "10 of the 40") {
		t.Errorf("ratio message = %q", text)
	}
	failed.Error, failed.Complete = "", true
	low.Processed, low.DueProcessed = 40, 40
	if err := a.Notify(ctx, []reconcile.Report{failed, low}); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 4 || f.post(2).Get("thread_ts") != tsOf(0) || f.post(3).Get("thread_ts") != tsOf(1) {
		t.Errorf("posts = %d, want two resolved replies in their threads", f.postCount())
	}
}

func TestJobDone(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, ledgertest.NewClock(testStart))
	boom := errorString("panic: runtime error: index out of range")
	for range 2 {
		if err := a.JobDone(ctx, "reconcile", boom); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.JobDone(ctx, "deep", nil); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 1 || !strings.Contains(f.post(0).Get("text"), "Scheduled job `reconcile` failed") {
		t.Fatalf("posts = %d, want one job failure alert", f.postCount())
	}
	if err := a.JobDone(ctx, "reconcile", nil); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 2 || f.post(1).Get("thread_ts") != tsOf(0) || !strings.Contains(f.post(1).Get("text"), "the job succeeded") {
		t.Errorf("posts = %d, want the resolved reply in the job alert's thread", f.postCount())
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestWatchJobResolvesOnSuccess(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, ledgertest.NewClock(testStart))
	if err := a.JobDone(ctx, "deep", errorString("job panicked: boom")); err != nil {
		t.Fatal(err)
	}
	ran := false
	job := a.WatchJob("deep", func(context.Context) error { ran = true; return nil })
	if err := job(ctx); err != nil || !ran {
		t.Fatalf("job() = %v, ran %v; want nil and run", err, ran)
	}
	if f.postCount() != 2 || f.post(1).Get("thread_ts") != tsOf(0) {
		t.Errorf("posts = %d, want the failure and its resolution in thread", f.postCount())
	}
	failing := a.WatchJob("deep", func(context.Context) error { return errorString("x") })
	if err := failing(ctx); err == nil {
		t.Error("failing job() = nil, want its error")
	}
}
