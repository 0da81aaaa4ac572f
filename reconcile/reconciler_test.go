package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// world is a provider listing and a ledger that partly agree:
//   - 15 invoice.paid events in the window, 12 of them in the ledger;
//   - 5 customer.created events (not subscribed), one in the ledger;
//   - 3 invoice.paid events before the window, none in the ledger;
//   - 2 webhook events in the window the provider never listed (forged),
//     and 1 forged one before the window.
type world struct {
	db     ledgertest.Backend
	path   string // the SQLite file of db
	src    *sliceLister
	window sources.Window
	listed []sources.Listed
}

func newWorld(t *testing.T) *world {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	db := ledgertest.OpenSQLiteAt(t, path)
	until := time.Now().UTC().Truncate(time.Second)
	w := sources.Window{Since: until.Add(-2 * time.Hour), Until: until}
	var listed []sources.Listed
	add := func(prefix, typ string, n int, start time.Time) {
		for i := range n {
			listed = append(listed, sources.Listed{EventID: fmt.Sprintf("%s_%02d", prefix, i), Type: typ,
				CreatedAt: start.Add(time.Duration(i) * time.Minute)})
		}
	}
	add("evt_paid", "invoice.paid", 15, w.Since.Add(time.Minute))
	add("evt_cust", "customer.created", 5, w.Since.Add(30*time.Minute))
	add("evt_old", "invoice.paid", 3, w.Since.Add(-time.Hour))
	src := newSliceLister("stripe", append([]sources.Listed(nil), listed...))
	src.scope = sources.Scope{Types: []string{"invoice.paid"}, Note: "STRIPE_EVENT_TYPES"}
	wd := &world{db: db, path: path, src: src, window: w, listed: listed}
	for i := range 12 {
		wd.record(t, listed[i], ledger.OriginWebhook)
	}
	wd.record(t, listed[15], ledger.OriginWebhook) // a customer.created, listed: not unknown
	forged := []sources.Listed{
		{EventID: "evt_forged_a", Type: "invoice.paid", CreatedAt: w.Since.Add(10 * time.Minute)},
		{EventID: "evt_forged_b", Type: "invoice.paid", CreatedAt: w.Since.Add(20 * time.Minute)},
		{EventID: "evt_forged_old", Type: "invoice.paid", CreatedAt: w.Since.Add(-10 * time.Minute)},
	}
	for _, l := range forged {
		wd.record(t, l, ledger.OriginWebhook)
	}
	return wd
}

func (wd *world) record(t *testing.T, l sources.Listed, origin ledger.Origin) {
	t.Helper()
	ev := wd.src.event(l)
	ev.Origin = origin
	if _, err := wd.db.Record(context.Background(), ev, nil); err != nil {
		t.Fatalf("Record() error = %v", err)
	}
}

func (wd *world) run(t *testing.T, opts reconcile.Options) (reconcile.Report, error) {
	t.Helper()
	opts.BatchSize, opts.IDLimit = 4, 2 // several batches, capped id lists
	return reconcile.New(wd.db, opts, nil, nil).Run(context.Background(), wd.src, wd.window)
}

func TestRunBackfillsExactlyTheGaps(t *testing.T) {
	wd := newWorld(t)
	rep, err := wd.run(t, reconcile.Options{})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	got := counts(rep)
	want := map[string]int{"expected": 15, "in_ledger": 12, "missing": 3, "backfilled": 3,
		"still_missing": 0, "unknown": 2, "pending": 18, "processed": 0, "unrecoverable": 0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Run() counts = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(rep.MissingIDs, []string{"evt_paid_14", "evt_paid_13"}) ||
		!reflect.DeepEqual(rep.UnknownIDs, []string{"evt_forged_a", "evt_forged_b"}) ||
		rep.MissingByType["invoice.paid"] != 3 || len(rep.MissingByType) != 1 {
		t.Errorf("Run() ids = missing %v (by type %v), unknown %v", rep.MissingIDs, rep.MissingByType, rep.UnknownIDs)
	}
	if !rep.Complete || rep.Gaps() || rep.Scope != "STRIPE_EVENT_TYPES" || rep.RunID == 0 {
		t.Errorf("Run() = complete %v, gaps %v, scope %q, run %d", rep.Complete, rep.Gaps(), rep.Scope, rep.RunID)
	}
	for _, id := range []string{"evt_paid_12", "evt_paid_13", "evt_paid_14"} {
		ev, err := wd.db.Event(context.Background(), "stripe", id)
		if err != nil || ev.Origin != ledger.OriginReconcile {
			t.Errorf("backfilled %s = %+v, %v; want origin reconcile", id, ev, err)
		}
	}
	again, err := wd.run(t, reconcile.Options{})
	if err != nil || again.Missing != 0 || again.InLedger != 15 || again.Gaps() {
		t.Errorf("second Run() = missing %d, in ledger %d, gaps %v, %v; want 0, 15, false",
			again.Missing, again.InLedger, again.Gaps(), err)
	}
}

func TestRunDryRunChangesNothing(t *testing.T) {
	wd := newWorld(t)
	before := ledgertest.SQLiteRowCounts(t, wd.path)
	rep, err := wd.run(t, reconcile.Options{DryRun: true})
	if err != nil {
		t.Fatalf("Run(dry) error = %v", err)
	}
	if rep.Missing != 3 || rep.StillMissing != 3 || rep.Backfilled != 0 || !rep.Gaps() || rep.RunID != 0 ||
		len(rep.StillMissingIDs) != 2 || rep.Unknown != 2 {
		t.Errorf("Run(dry) = %v (still missing ids %v, run %d)", counts(rep), rep.StillMissingIDs, rep.RunID)
	}
	if after := ledgertest.SQLiteRowCounts(t, wd.path); !reflect.DeepEqual(before, after) {
		t.Errorf("row counts after dry run = %v, want %v", after, before)
	}
	if wd.src.fetched != 0 {
		t.Errorf("dry run fetched %d events, want 0", wd.src.fetched)
	}
}

func TestRunListingFailsMidway(t *testing.T) {
	wd := newWorld(t)
	wd.src.failAfter = 9 // newest first: the 9 newest of the window are listed
	rep, err := wd.run(t, reconcile.Options{})
	if err == nil || rep.Complete || rep.Error == "" || !rep.Gaps() {
		t.Fatalf("Run() = complete %v, error %q, %v; want an incomplete run with an error", rep.Complete, rep.Error, err)
	}
	if rep.StoppedAt == nil || rep.StoppedAt.Before(wd.window.Since) || !rep.StoppedAt.Before(wd.window.Until) {
		t.Errorf("StoppedAt = %v, want inside the window", rep.StoppedAt)
	}
	// The lister marked its pages down to the ninth newest event of the
	// window; stopped_at is that mark, not a guess from the order.
	if want := wd.src.inWindow(wd.window)[8].CreatedAt; rep.StoppedAt != nil && !rep.StoppedAt.Equal(want) {
		t.Errorf("StoppedAt = %v, want %v, the progress marked", rep.StoppedAt, want)
	}
	if rep.Unknown != 0 {
		t.Errorf("Unknown = %d after an incomplete listing, want 0 (not computed)", rep.Unknown)
	}
	if _, ok, _ := wd.db.Watermark(context.Background(), "stripe"); ok {
		t.Error("an incomplete run moved the watermark")
	}
}

func TestRunRedeliver(t *testing.T) {
	wd := newWorld(t)
	wd.src.redeliver = func(ctx context.Context, l sources.Listed) error {
		ev := wd.src.event(l) // as the receiver would record it
		ev.Origin = ledger.OriginWebhook
		_, err := wd.db.Record(ctx, ev, nil)
		return err
	}
	rep, err := wd.run(t, reconcile.Options{Mode: reconcile.ModeRedeliver})
	if err != nil || rep.Redelivered != 3 || rep.Backfilled != 0 || rep.StillMissing != 0 || rep.Gaps() {
		t.Errorf("Run(redeliver) = %v, %v; want 3 redelivered, nothing still missing", counts(rep), err)
	}
}

func TestRunRedeliverUnsupportedFallsBack(t *testing.T) {
	wd := newWorld(t)
	rep, err := wd.run(t, reconcile.Options{Mode: reconcile.ModeRedeliver})
	if err != nil || rep.Backfilled != 3 || rep.Redelivered != 0 || rep.StillMissing != 0 {
		t.Errorf("Run(redeliver, unsupported) = %v, %v; want 3 backfilled", counts(rep), err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "does not support redelivery") {
		t.Errorf("Warnings = %q, want one about the fallback", rep.Warnings)
	}
}

func TestRunWarnsPastRetention(t *testing.T) {
	wd := newWorld(t)
	wd.src.retention = time.Hour
	rep, err := wd.run(t, reconcile.Options{})
	if err != nil || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "past the provider's retention (1h0m0s)") {
		t.Errorf("Run() warnings = %q, %v; want the retention warning", rep.Warnings, err)
	}
}

func TestIncrementalWindowFollowsWatermark(t *testing.T) {
	wd := newWorld(t)
	r := reconcile.New(wd.db, reconcile.Options{Overlap: 10 * time.Minute}, nil, nil)
	w, err := r.Incremental(context.Background(), wd.src)
	if err != nil || time.Since(w.Since) < 29*24*time.Hour {
		t.Fatalf("Incremental() with no runs = %v, %v; want the retention horizon", w, err)
	}
	if _, err := r.Run(context.Background(), wd.src, wd.window); err != nil {
		t.Fatal(err)
	}
	w, err = r.Incremental(context.Background(), wd.src)
	if want := wd.window.Until.Add(-10 * time.Minute); err != nil || !w.Since.Equal(want) {
		t.Errorf("Incremental() = %v, %v; want since %v", w.Since, err, want)
	}
}

func counts(r reconcile.Report) map[string]int {
	return map[string]int{"expected": r.Expected, "in_ledger": r.InLedger, "missing": r.Missing,
		"backfilled": r.Backfilled, "still_missing": r.StillMissing, "unknown": r.Unknown,
		"pending": r.Pending, "processed": r.Processed, "unrecoverable": r.Unrecoverable}
}

// TestEventsReceivedAsTheListingRunsAreNotUnknown: a webhook event the
// ledger received while the listing ran may have been created after the
// provider served the part of its list it falls in (Stripe dates events to
// the second, so even one dated before the window's end). It is not called
// unknown, a false forgery alarm seen with three instances under load; it
// is judged by the next run. An unlisted event received before the listing
// began still is unknown.
func TestEventsReceivedAsTheListingRunsAreNotUnknown(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	now := time.Now().UTC()
	w := sources.Window{Since: now.Add(-time.Hour), Until: now}
	var listed []sources.Listed
	for i := range 10 {
		listed = append(listed, sources.Listed{EventID: fmt.Sprintf("evt_listed_%02d", i), Type: "invoice.paid",
			CreatedAt: now.Add(-time.Duration(30-i) * time.Minute)})
	}
	src := newSliceLister("stripe", listed)
	record := func(id string, created time.Time) {
		ev := src.event(sources.Listed{EventID: id, Type: "invoice.paid", CreatedAt: created})
		ev.Origin = ledger.OriginWebhook
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	record("evt_forged", now.Add(-time.Minute))
	late := false
	opts := reconcile.Options{BatchSize: 4, OnListed: func(string, int) {
		if !late { // while the listing runs: created in the window's last second
			late = true
			record("evt_during_listing", now.Add(-time.Second).Truncate(time.Second))
		}
	}}
	rep, err := reconcile.New(db, opts, nil, nil).Run(context.Background(), src, w)
	if err != nil {
		t.Fatal(err)
	}
	if !late {
		t.Fatal("OnListed never ran: the late event was not recorded during the listing")
	}
	if rep.Unknown != 1 || !reflect.DeepEqual(rep.UnknownIDs, []string{"evt_forged"}) {
		t.Errorf("unknown = %d %v, want only evt_forged", rep.Unknown, rep.UnknownIDs)
	}
	// The next run judges it.
	rep, err = reconcile.New(db, reconcile.Options{}, nil, nil).Run(context.Background(), src, w)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unknown != 2 {
		t.Errorf("next run: unknown = %d %v, want evt_forged and evt_during_listing", rep.Unknown, rep.UnknownIDs)
	}
}
