package ledgertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func testRequeueErrors(t *testing.T, d Driver) {
	db := d.open(t)
	if _, err := db.Requeue(context.Background(), "stripe", "evt_none"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Requeue(unknown) = %v, want ledger.ErrNotFound", err)
	}
	ev := RecordAt(t, db, "stripe", "evt_busy", time.Now())
	if _, err := db.Claim(context.Background(), ledger.ClaimOptions{Owner: "w", Limit: 1, Lease: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Requeue(context.Background(), "stripe", ev.EventID); !errors.Is(err, ledger.ErrLeased) {
		t.Errorf("Requeue(leased) = %v, want ledger.ErrLeased", err)
	}
	p := newProcessor(t, db, ledger.HandlerFunc(func(context.Context, ledger.Delivery) error { return nil }))
	if _, err := p.ProcessOne(context.Background(), ev.ID); !errors.Is(err, ledger.ErrNotReady) {
		t.Errorf("ProcessOne(leased) = %v, want ledger.ErrNotReady", err)
	}
}

func testRequeueDead(t *testing.T, d Driver) {
	db := d.open(t)
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
		ev := RecordAt(t, db, k.source, k.id, k.created)
		if k.dead {
			killEvent(t, db, ev)
		}
	}
	ctx := context.Background()
	f := ledger.DeadFilter{Source: "stripe", Since: time.Now().Add(-24 * time.Hour), DryRun: true}
	got, err := db.RequeueDead(ctx, f)
	if err != nil || len(got) != 1 || got[0].EventID != "evt_new" {
		t.Fatalf("RequeueDead(dry run) = %+v, %v; want evt_new", got, err)
	}
	if st := ReadEvent(t, db, got[0].ID).State; st != ledger.StateDead {
		t.Errorf("dry run changed the state to %s", st)
	}
	f.DryRun = false
	if got, err = db.RequeueDead(ctx, f); err != nil || len(got) != 1 {
		t.Fatalf("RequeueDead() = %+v, %v; want one event", got, err)
	}
	if st := ReadEvent(t, db, got[0].ID).State; st != ledger.StatePending {
		t.Errorf("requeued state = %s, want pending", st)
	}
	all, err := db.RequeueDead(ctx, ledger.DeadFilter{})
	if err != nil || len(all) != 2 || all[0].EventID != "evt_old" {
		t.Errorf("RequeueDead(all) = %+v, %v; want evt_old and guid_new", all, err)
	}
}

func testQueueStats(t *testing.T, d Driver) {
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	RecordAt(t, db, "stripe", "evt_1", clock.Now())
	clock.Add(time.Minute)
	RecordAt(t, db, "stripe", "evt_2", clock.Now())
	done := RecordAt(t, db, "github", "guid_1", clock.Now())
	killEvent(t, db, done)
	qs, err := db.QueueStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if qs.Depth["stripe"][ledger.StatePending] != 2 || qs.Depth["github"][ledger.StateDead] != 1 {
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

// newProcessor returns a Processor feeding db's events to h.
func newProcessor(tb testing.TB, db Backend, h ledger.Handler) *ledger.Processor {
	tb.Helper()
	p, err := ledger.NewProcessor(db, h, ledger.ProcessorConfig{RetryBase: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// killEvent drives ev to dead through a Processor, with a permanent error.
func killEvent(tb testing.TB, db Backend, ev *ledger.Event) {
	tb.Helper()
	h := ledger.HandlerFunc(func(context.Context, ledger.Delivery) error { return ledger.Permanent(errors.New("no")) })
	if _, err := newProcessor(tb, db, h).ProcessOne(context.Background(), ev.ID); err != nil {
		tb.Fatal(err)
	}
}

var replayCases = []testCase{
	{"RequeueErrors", testRequeueErrors},
	{"RequeueDead", testRequeueDead},
	{"QueueStats", testQueueStats},
	{"RequeueLogReplaysWhatTheLogShows", testRequeueLogReplaysWhatTheLogShows},
	{"RequeueLogRefusesABroadPrefix", testRequeueLogRefusesABroadPrefix},
	{"RequeueLogSkipsHeldEvents", testRequeueLogSkipsHeldEvents},
}
