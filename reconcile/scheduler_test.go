package reconcile_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
)

func TestSchedulerSurvivesFailingAndPanickingJobs(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	var mu sync.Mutex
	failures := map[string]int{}
	okRuns := make(chan struct{}, 100)
	s := reconcile.NewScheduler(db, nil, func(_ context.Context, job string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if job == "panics" && !strings.Contains(err.Error(), "job panicked: kaboom") {
			t.Errorf("panic reported as %v", err)
		}
		failures[job]++
	})
	add := func(name string, fn reconcile.JobFunc) {
		if err := s.Add(name, "@every 1s", fn); err != nil {
			t.Fatalf("Add(%s) error = %v", name, err)
		}
	}
	add("panics", func(context.Context) error { panic("kaboom") })
	add("fails", func(context.Context) error { return errors.New("provider down") })
	add("ok", func(context.Context) error { okRuns <- struct{}{}; return nil })
	if err := s.Add("bad", "every now and then", func(context.Context) error { return nil }); err == nil {
		t.Error("Add(bad spec) error = nil, want an error")
	}
	s.Start(context.Background())
	// The ok job keeps running after the others failed: wait for 3 runs.
	timeout := time.After(20 * time.Second)
	for range 3 {
		select {
		case <-okRuns:
		case <-timeout:
			t.Fatal("the ok job did not run 3 times")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop() error = %v", err)
	}
	mu.Lock()
	if failures["panics"] < 2 || failures["fails"] < 2 || failures["ok"] != 0 {
		t.Errorf("failures = %v, want panics and fails at least twice each, ok never", failures)
	}
	mu.Unlock()
	jobs, err := db.Jobs(context.Background())
	if err != nil || len(jobs) != 3 {
		t.Fatalf("Jobs() = %+v, %v; want 3 jobs", jobs, err)
	}
	for _, j := range jobs {
		wantErr := map[string]string{"fails": "provider down", "panics": "job panicked: kaboom", "ok": ""}[j.Name]
		if j.Error != wantErr || j.Runs < 2 || j.Spec != "@every 1s" {
			t.Errorf("job %s = %+v, want error %q and at least 2 runs", j.Name, j, wantErr)
		}
	}
}

func TestSchedulerStopWaitsForRunningJob(t *testing.T) {
	s := reconcile.NewScheduler(nil, nil, nil)
	started, finished := make(chan struct{}), make(chan struct{})
	var once sync.Once
	err := s.Add("slow", "@every 1s", func(ctx context.Context) error {
		once.Do(func() {
			close(started)
			time.Sleep(300 * time.Millisecond)
			close(finished)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop() error = %v", err)
	}
	select {
	case <-finished:
	default:
		t.Error("Stop() returned before the running job finished")
	}
}

func TestSchedulerStopCancelsJobsAfterDeadline(t *testing.T) {
	s := reconcile.NewScheduler(nil, nil, nil)
	started := make(chan struct{}, 1)
	err := s.Add("stuck", "@every 1s", func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop() error = %v, want deadline exceeded", err)
	}
}
