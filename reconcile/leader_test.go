package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
	"github.com/hookledger/hookledger/reconcile"
)

// TestScheduledJobsRunOnOneInstance runs schedulers on several handles
// of one ledger, as several processes would, on each backend: each tick
// runs on one of them (even when a leader hands over while another's
// timer fires late: the tick is claimed); when the leader's ledger handle dies its lease
// runs out and another takes the ticks over within the lease's TTL; when
// the leader stops it hands over at once.
func TestScheduledJobsRunOnOneInstance(t *testing.T) {
	drivers := map[string]func() ledgertest.Driver{"sqlite": ledgertest.SQLite, "postgres": pgtest.Driver}
	for name, driver := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testOneLeader(t, driver())
		})
	}
}

// run is one run of the test job: which instance, when.
type run struct {
	inst int
	at   time.Time
}

type instance struct {
	db    ledgertest.Backend
	sched *reconcile.Scheduler
}

const leaseTTL = 2 * time.Second

func startInstance(t *testing.T, db ledgertest.Backend, id int, runs chan<- run) *instance {
	t.Helper()
	s := reconcile.NewScheduler(db, nil, nil)
	s.Lead(db, leaseTTL)
	if err := s.Add("tick", "@every 1s", func(context.Context) error {
		runs <- run{id, time.Now()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	in := &instance{db: db, sched: s}
	t.Cleanup(func() { in.stop(t) })
	return in
}

func (in *instance) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.sched.Stop(ctx); err != nil {
		t.Errorf("Stop() error = %v", err)
	}
}

// collect reads runs for d, failing on two runs within one tick.
func collect(t *testing.T, runs <-chan run, d time.Duration, seen map[time.Time]run) []run {
	t.Helper()
	var out []run
	deadline := time.After(d)
	for {
		select {
		case r := <-runs:
			tick := r.at.Truncate(time.Second)
			if prev, ok := seen[tick]; ok {
				t.Errorf("tick %v ran on instance %d and on instance %d", tick, prev.inst, r.inst)
			}
			seen[tick] = r
			out = append(out, r)
		case <-deadline:
			return out
		}
	}
}

func testOneLeader(t *testing.T, d ledgertest.Driver) {
	runs := make(chan run, 100)
	seen := map[time.Time]run{}
	first := d.Open(t, nil)
	ins := []*instance{startInstance(t, first, 0, runs), startInstance(t, d.Share(t, first, nil), 1, runs)}

	got := collect(t, runs, 3500*time.Millisecond, seen)
	if len(got) < 3 {
		t.Fatalf("%d runs in 3.5s of @every 1s, want at least 3", len(got))
	}
	leader := got[0].inst
	for _, r := range got {
		if r.inst != leader {
			t.Errorf("the lease moved from %d to %d with both alive", leader, r.inst)
		}
	}

	// The leader's ledger handle dies (its scheduler goes on, unable to
	// renew): after its lease ran out the other instance runs the ticks.
	died := time.Now()
	if err := ins[leader].db.Close(); err != nil {
		t.Fatal(err)
	}
	got = collect(t, runs, leaseTTL+2*time.Second, seen)
	other := 1 - leader
	var took time.Time
	for _, r := range got {
		if r.inst == leader && r.at.After(died.Add(leaseTTL)) {
			t.Errorf("the dead instance ran a tick at %v, after its lease expired", r.at)
		}
		if r.inst == other && took.IsZero() {
			took = r.at
		}
	}
	if took.IsZero() || took.Sub(died) > leaseTTL+time.Second {
		t.Fatalf("after the leader died, instance %d took over at %v (+%v); want within the TTL %v and a tick",
			other, took, took.Sub(died), leaseTTL)
	}

	// A third instance joins; the leader stops, releasing the lease: the
	// newcomer runs the next tick.
	startInstance(t, d.Share(t, first, nil), 2, runs)
	collect(t, runs, 1500*time.Millisecond, seen)
	stopped := time.Now()
	ins[other].stop(t)
	got = collect(t, runs, 2500*time.Millisecond, seen)
	if len(got) == 0 || got[0].inst != 2 || got[0].at.Sub(stopped) > 1500*time.Millisecond {
		t.Errorf("after the leader stopped, runs = %v; want instance 2 within a tick", got)
	}
}
