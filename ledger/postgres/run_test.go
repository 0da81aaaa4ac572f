package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func TestRunsAndWatermarks(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	if _, ok, err := db.Watermark(ctx, "stripe"); err != nil || ok {
		t.Fatalf("Watermark() before any run = %v, %v; want none", ok, err)
	}
	runs := []struct {
		source   string
		until    time.Time
		complete bool
	}{{"stripe", t0, true}, {"stripe", t0.Add(2 * time.Hour), false}, {"stripe", t0.Add(time.Hour), true}, {"github", t0, true}}
	var ids []int64
	for _, r := range runs {
		run := &ledger.Run{Source: r.source, Job: "reconcile", Since: r.until.Add(-time.Hour), Until: r.until}
		if err := db.StartRun(ctx, run); err != nil || run.ID == 0 || run.StartedAt.IsZero() {
			t.Fatalf("StartRun() = %+v, %v", run, err)
		}
		run.Complete, run.Report = r.complete, json.RawMessage(`{"missing":0}`)
		if err := db.FinishRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}
	if w, ok, err := db.Watermark(ctx, "stripe"); err != nil || !ok || !w.Equal(t0.Add(time.Hour)) {
		t.Errorf("Watermark(stripe) = %v, %v, %v; want %v (the latest complete until)", w, ok, err, t0.Add(time.Hour))
	}
	last, err := db.LastRuns(ctx)
	if err != nil || len(last) != 2 || last[0].Source != "github" || last[1].ID != ids[2] || !last[1].Complete ||
		string(last[1].Report) != `{"missing":0}` {
		t.Errorf("LastRuns() = %+v, %v", last, err)
	}
	recent, err := db.RecentRuns(ctx, "stripe", 2)
	if err != nil || len(recent) != 2 || recent[0].ID != ids[2] || recent[1].ID != ids[1] {
		t.Errorf("RecentRuns(stripe, 2) = %+v, %v", recent, err)
	}
	if err := db.FinishRun(ctx, &ledger.Run{ID: 999999}); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("FinishRun(unknown) error = %v, want ErrNotFound", err)
	}
}

func TestJobsKeepTheirLastRun(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	db.SetRedact(func(s string) string { return "redacted" })
	for i, jobErr := range []error{nil, errors.New("sk_live_secret failed")} {
		at := t0.Add(time.Duration(i) * time.Hour)
		if err := db.StartJob(ctx, "reconcile", "@every 15m", at); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishJob(ctx, "reconcile", at.Add(time.Minute), jobErr); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := db.Jobs(ctx)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Jobs() = %+v, %v", jobs, err)
	}
	j := jobs[0]
	if j.Runs != 2 || j.Failures != 1 || j.Error != "redacted" || !j.LastOKAt.Equal(t0.Add(time.Minute)) ||
		!j.StartedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("job = %+v", j)
	}
}

func TestKnownAndWindowStats(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	for i, id := range []string{"a", "b", "c", "d"} {
		mustRecord(t, db, newEvent("stripe", id, t0.Add(time.Duration(i)*time.Minute)))
	}
	mustRecord(t, db, newEvent("github", "a2", t0.Add(24*time.Hour))) // claimed last
	known, err := db.Known(ctx, "stripe", []string{"a", "c", "zz", "a2"})
	if err != nil || len(known) != 2 || !known["a"] || !known["c"] {
		t.Errorf("Known() = %v, %v; want a, c", known, err)
	}
	if n, err := db.CountPresent(ctx, "stripe", []string{"a", "a", "b", "x"}); err != nil || n != 2 {
		t.Errorf("CountPresent() = %d, %v; want 2", n, err)
	}
	now := time.Now()
	cs := mustClaim(t, db, claimOpts("w", 2, now))
	if err := db.Settle(ctx, []*ledger.AttemptResult{done(cs[0], ledger.AttemptProcessed, "", time.Time{}), done(cs[1], ledger.AttemptDead, "x", time.Time{})}); err != nil {
		t.Fatal(err)
	}
	s, err := db.WindowStats(ctx, "stripe", t0, t0.Add(time.Hour), now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.Processed != 1 || s.Dead != 1 || s.Pending != 2 || s.Stuck != 2 ||
		len(s.DeadIDs) != 1 || s.DeadIDs[0] != "b" || len(s.StuckIDs) != 2 || s.StuckIDs[0] != "c" {
		t.Errorf("WindowStats() = %+v", s)
	}
	s, _ = db.WindowStats(ctx, "stripe", t0, t0.Add(3*time.Minute), now.Add(-time.Hour), 1)
	if s.Pending != 1 || s.Stuck != 0 || s.StuckIDs != nil {
		t.Errorf("WindowStats(narrow, nothing stuck yet) = %+v", s)
	}
}
