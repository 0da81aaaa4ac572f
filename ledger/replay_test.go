package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// killEvent drives ev to dead with a permanent error.
func killEvent(tb testing.TB, db *DB, ev *Event) {
	tb.Helper()
	h := HandlerFunc(func(context.Context, Delivery) error { return Permanent(errors.New("no")) })
	p := newTestProcessor(tb, db, h, ProcessorConfig{})
	if _, err := p.ProcessOne(context.Background(), ev.ID); err != nil {
		tb.Fatal(err)
	}
}

func TestRequeueRecordsReplayOrigin(t *testing.T) {
	db := openTestDB(t)
	ev := recordAt(t, db, "stripe", "evt_1", time.Now())
	killEvent(t, db, ev)
	rq, err := db.Requeue(context.Background(), "stripe", "evt_1")
	if err != nil || rq.PrevState != StateDead || rq.ID != ev.ID {
		t.Fatalf("Requeue() = %+v, %v; want the dead event", rq, err)
	}
	if got := readEvent(t, db, ev.ID); got.State != StatePending || got.Origin != "replay" {
		t.Errorf("after requeue = %+v, want pending, origin replay", got)
	}
	var origin Origin
	p := newTestProcessor(t, db, HandlerFunc(func(_ context.Context, d Delivery) error {
		origin = d.Origin
		return nil
	}), ProcessorConfig{MaxAttempts: 1})
	r, err := p.ProcessOne(context.Background(), ev.ID)
	if err != nil || r.Outcome != AttemptProcessed || origin != OriginReplay {
		t.Fatalf("ProcessOne() = %+v, %v, origin %s; want processed with origin replay", r, err, origin)
	}
	// History is kept, numbering continues, and the replay had a fresh
	// budget even with MaxAttempts 1.
	if o, want := fmt.Sprint(outcomes(t, db, ev.ID)), "[1:webhook:dead 2:replay:processed]"; o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
	if got := readEvent(t, db, ev.ID); got.State != StateProcessed || got.Origin != "" {
		t.Errorf("after replay = %+v, want processed with the replay mark cleared", got)
	}
}

func TestRequeueErrors(t *testing.T) {
	db := openTestDB(t)
	if _, err := db.Requeue(context.Background(), "stripe", "evt_none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Requeue(unknown) = %v, want ErrNotFound", err)
	}
	ev := recordAt(t, db, "stripe", "evt_busy", time.Now())
	if _, err := db.Claim(context.Background(), ClaimOptions{Owner: "w", Limit: 1, Lease: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Requeue(context.Background(), "stripe", ev.EventID); !errors.Is(err, ErrLeased) {
		t.Errorf("Requeue(leased) = %v, want ErrLeased", err)
	}
	p := newTestProcessor(t, db, &counter{}, ProcessorConfig{})
	if _, err := p.ProcessOne(context.Background(), ev.ID); !errors.Is(err, ErrNotReady) {
		t.Errorf("ProcessOne(leased) = %v, want ErrNotReady", err)
	}
}

func TestRequeueDead(t *testing.T) {
	db := openTestDB(t)
	old := time.Now().Add(-48 * time.Hour)
	for _, k := range []struct {
		source, id string
		created    time.Time
		dead       bool
	}{
		{"stripe", "evt_old", old, true},
		{"stripe", "evt_new", time.Now(), true},
		{"github", "guid_new", time.Now(), true},
		{"stripe", "evt_live", time.Now(), false},
	} {
		ev := recordAt(t, db, k.source, k.id, k.created)
		if k.dead {
			killEvent(t, db, ev)
		}
	}
	ctx := context.Background()
	f := DeadFilter{Source: "stripe", Since: time.Now().Add(-24 * time.Hour), DryRun: true}
	got, err := db.RequeueDead(ctx, f)
	if err != nil || len(got) != 1 || got[0].EventID != "evt_new" {
		t.Fatalf("RequeueDead(dry run) = %+v, %v; want evt_new", got, err)
	}
	if st := readEvent(t, db, got[0].ID).State; st != StateDead {
		t.Errorf("dry run changed the state to %s", st)
	}
	f.DryRun = false
	if got, err = db.RequeueDead(ctx, f); err != nil || len(got) != 1 {
		t.Fatalf("RequeueDead() = %+v, %v; want one event", got, err)
	}
	if st := readEvent(t, db, got[0].ID).State; st != StatePending {
		t.Errorf("requeued state = %s, want pending", st)
	}
	all, err := db.RequeueDead(ctx, DeadFilter{})
	if err != nil || len(all) != 2 || all[0].EventID != "evt_old" {
		t.Errorf("RequeueDead(all) = %+v, %v; want evt_old and guid_new", all, err)
	}
}

func TestQueueStats(t *testing.T) {
	db := openTestDB(t)
	clock := newTestClock()
	db.Now = clock.Now
	recordAt(t, db, "stripe", "evt_1", clock.Now())
	clock.Add(time.Minute)
	recordAt(t, db, "stripe", "evt_2", clock.Now())
	done := recordAt(t, db, "github", "guid_1", clock.Now())
	killEvent(t, db, done)
	qs, err := db.QueueStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if qs.Depth["stripe"][StatePending] != 2 || qs.Depth["github"][StateDead] != 1 {
		t.Errorf("Depth = %v, want stripe pending 2, github dead 1", qs.Depth)
	}
	want := clock.Now().Add(-time.Minute)
	if got, ok := qs.OldestWaiting["stripe"]; !ok || !got.Equal(want) {
		t.Errorf("OldestWaiting[stripe] = %v, want %v", got, want)
	}
	if _, ok := qs.OldestWaiting["github"]; ok {
		t.Error("OldestWaiting has github, whose only event is dead")
	}
}
