package ledgertest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func testRunWatermarkFollowsLatestCompleteRun(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	if _, ok, err := db.Watermark(ctx, "stripe"); err != nil || ok {
		t.Fatalf("Watermark() on empty ledger = ok %v, err %v; want false, nil", ok, err)
	}
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	runs := []struct {
		source   string
		until    time.Time
		complete bool
	}{
		{"stripe", t0.Add(time.Hour), true},
		{"stripe", t0.Add(3 * time.Hour), false}, // incomplete: never moves the watermark
		{"github", t0.Add(5 * time.Hour), true},
		{"stripe", t0.Add(2 * time.Hour), true},
	}
	for _, r := range runs {
		run := &ledger.Run{Source: r.source, Job: "reconcile", Since: t0, Until: r.until}
		if err := db.StartRun(ctx, run); err != nil {
			t.Fatalf("StartRun() error = %v", err)
		}
		run.Complete = r.complete
		run.Report = json.RawMessage(`{"source":"` + r.source + `"}`)
		if err := db.FinishRun(ctx, run); err != nil {
			t.Fatalf("FinishRun() error = %v", err)
		}
	}
	got, ok, err := db.Watermark(ctx, "stripe")
	if err != nil || !ok || !got.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("Watermark(stripe) = %v, %v, %v; want %v, true, nil", got, ok, err, t0.Add(2*time.Hour))
	}
	last, err := db.LastRuns(ctx)
	if err != nil {
		t.Fatalf("LastRuns() error = %v", err)
	}
	if len(last) != 2 || last[0].Source != "github" || last[1].Source != "stripe" || last[1].ID != 4 {
		t.Fatalf("LastRuns() = %+v, want github then stripe run 4", last)
	}
	if string(last[1].Report) != `{"source":"stripe"}` || !last[1].Complete || last[1].FinishedAt.IsZero() {
		t.Errorf("LastRuns()[1] = %+v, want its report, complete and finished", last[1])
	}
	recent, err := db.RecentRuns(ctx, "stripe", 10)
	if err != nil || len(recent) != 3 || recent[0].ID != 4 {
		t.Errorf("RecentRuns(stripe) = %d runs (first %+v), %v; want 3 newest first", len(recent), recent, err)
	}
}

func testFinishRunUnknown(t *testing.T, d Driver) {
	db := d.open(t)
	err := db.FinishRun(context.Background(), &ledger.Run{ID: 99})
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("FinishRun(unknown) error = %v, want ErrNotFound", err)
	}
}

func testJobsRecordLastRun(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at  time.Time
		err error
	}{{t0, nil}, {t0.Add(time.Minute), errors.New("boom")}}
	for _, s := range steps {
		if err := db.StartJob(ctx, "alerts", "@every 1m", s.at); err != nil {
			t.Fatalf("StartJob() error = %v", err)
		}
		if err := db.FinishJob(ctx, "alerts", s.at.Add(time.Second), s.err); err != nil {
			t.Fatalf("FinishJob() error = %v", err)
		}
	}
	jobs, err := db.Jobs(ctx)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Jobs() = %+v, %v; want one job", jobs, err)
	}
	j := jobs[0]
	if j.Runs != 2 || j.Failures != 1 || j.Error != "boom" || !j.LastOKAt.Equal(t0.Add(time.Second)) ||
		!j.StartedAt.Equal(t0.Add(time.Minute)) || j.Spec != "@every 1m" {
		t.Errorf("Jobs()[0] = %+v, want 2 runs, 1 failure, error boom, last ok at %v", j, t0.Add(time.Second))
	}
}

var runCases = []testCase{
	{"RunWatermarkFollowsLatestCompleteRun", testRunWatermarkFollowsLatestCompleteRun},
	{"FinishRunUnknown", testFinishRunUnknown},
	{"JobsRecordLastRun", testJobsRecordLastRun},
}
