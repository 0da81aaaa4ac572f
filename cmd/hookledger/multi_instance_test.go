package main

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// instance is one `hookledger serve` child process of the multi-instance
// test, with its address.
type instance struct {
	cmd  *exec.Cmd
	addr string
}

// startInstance runs `hookledger serve` with its schedule on, sharing the
// ledger env names with the other instances.
func startInstance(t *testing.T, bin string, env []string) *instance {
	t.Helper()
	cmd, addr := startServeArgs(t, bin, env)
	in := &instance{cmd: cmd, addr: addr}
	t.Cleanup(in.stop)
	return in
}

// stop ends the instance with SIGTERM, once.
func (in *instance) stop() {
	if in.cmd.ProcessState != nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	in.cmd.Wait()
}

// TestMultiInstancePostgres runs three `serve` processes on one PostgreSQL
// ledger with no balancer in front: the test sends to each in turn, sends
// duplicates of one event to two instances at the same instant, SIGKILLs
// one instance mid-load and restarts it, and leaves a few events unsent for
// the scheduled reconcile (every 3 s, on every instance) to find. It checks
// that every acknowledged event is in the ledger, that each reached the app
// once by Idempotency-Key (apart from attempts cut by the kill, counted),
// that each schedule tick made one reconcile run, not three, and that each
// gap produced one Slack message.
func TestMultiInstancePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three serve processes")
	}
	dsn := pgtest.ConnString(t)
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_multi_instance"
	fake := stripetest.NewServer()
	defer fake.Close()
	slack := newSlackRecorder(t)
	app := newCountingApp(t)
	env := []string{"HOOKLEDGER_DB=" + dsn, "STRIPE_WEBHOOK_SECRET=" + secret,
		"STRIPE_API_KEY=" + fake.APIKey(), "STRIPE_API_BASE=" + fake.URL,
		"HOOKLEDGER_FORWARD_URL=" + app.srv.URL, "HOOKLEDGER_EXEC=",
		"SLACK_BOT_TOKEN=xoxb-multi", "SLACK_CHANNEL=C1", "SLACK_API_URL=" + slack.srv.URL,
		"HOOKLEDGER_SCHEDULE=reconcile=@every 3s;alerts=@every 1s", "HOOKLEDGER_LEADER_TTL=3s",
		"HOOKLEDGER_HANDLER_TIMEOUT=1s", "HOOKLEDGER_LEASE=2s", "HOOKLEDGER_RETRY_BASE=100ms"}

	ctx := context.Background()
	// The first instance migrates; the other two find the schema applied.
	instances := []*instance{startInstance(t, bin, env), startInstance(t, bin, env), startInstance(t, bin, env)}
	var mu sync.Mutex // guards instances
	target := func(i int) string {
		mu.Lock()
		defer mu.Unlock()
		return instances[i%len(instances)].addr
	}

	const total = 600
	var (
		ackMu   sync.Mutex
		acked   = map[string]bool{}
		dropped []string
	)
	// send posts ev to instance i until some instance acknowledges it, as a
	// provider retries; a refused connection moves on to the next instance.
	send := func(ev *stripetest.Event, i int) {
		for try := 0; try < 20; try++ {
			sender := stripetest.NewSender("http://"+target(i+try)+"/webhooks/stripe", secret)
			st, err := sender.Send(ctx, ev)
			if err == nil && st/100 == 2 {
				ackMu.Lock()
				acked[ev.ID] = true
				ackMu.Unlock()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("no instance acknowledged %s", ev.ID)
	}

	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range work {
				ev := fake.AddEvent("invoice.paid", time.Now(), nil)
				switch {
				case i%97 == 13:
					ackMu.Lock()
					dropped = append(dropped, ev.ID) // the endpoint "was down"
					ackMu.Unlock()
				case i%5 == 0:
					// The same event at two instances at the same instant.
					var pair sync.WaitGroup
					pair.Go(func() { send(ev, i) })
					pair.Go(func() { send(ev, i+1) })
					pair.Wait()
				default:
					send(ev, i)
				}
			}
		})
	}
	var killedAt time.Time
	for i := 0; i < total; i++ {
		if i == total/2 {
			// SIGKILL the first instance (the likeliest leader) mid-load,
			// then start it again.
			mu.Lock()
			victim := instances[0]
			mu.Unlock()
			victim.cmd.Process.Signal(syscall.SIGKILL)
			victim.cmd.Wait()
			killedAt = time.Now()
			fresh := startInstance(t, bin, env)
			mu.Lock()
			instances[0] = fresh
			mu.Unlock()
		}
		work <- i
		time.Sleep(5 * time.Millisecond) // about 200 events a second, over ~3 s
	}
	close(work)
	wg.Wait()
	loadEnd := time.Now()

	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Wait for the scheduled reconcile to backfill every dropped event and
	// the processor to settle everything.
	deadline := time.Now().Add(60 * time.Second)
	for {
		done := true
		for _, id := range dropped {
			ev, err := db.Event(ctx, "stripe", id)
			if err != nil || ev.State != ledger.StateProcessed {
				done = false
				break
			}
		}
		qs, err := db.QueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done && len(qs.OldestWaiting) == 0 && reportedMissing(slack.texts()) >= len(dropped) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: dropped %v not all backfilled, processed and alerted; queue %v; slack %q",
				dropped, qs.Depth, slack.texts())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Two more schedule periods, so any second instance running the same
	// tick or posting the same message would have done so.
	time.Sleep(7 * time.Second)
	for _, in := range instances {
		in.stop()
	}

	// Every acknowledged event is in the ledger, once.
	for id := range acked {
		if _, err := db.Event(ctx, "stripe", id); err != nil {
			t.Errorf("acknowledged %s is not in the ledger: %v", id, err)
		}
	}
	if len(acked)+len(dropped) != total {
		t.Errorf("%d acknowledged + %d dropped, want %d", len(acked), len(dropped), total)
	}
	// Each event reached the app once by Idempotency-Key; a second delivery
	// is allowed only for an attempt the SIGKILL cut.
	rows, twice := 0, 0
	for ev, err := range db.Events(ctx, ledger.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		rows++
		switch n := app.count(ev.EventID); {
		case ev.State != ledger.StateProcessed:
			t.Errorf("%s is %s, want processed", ev.EventID, ev.State)
		case n == 0:
			t.Errorf("%s never reached the app", ev.EventID)
		case n > 1:
			twice++
		}
	}
	if rows != total {
		t.Errorf("ledger holds %d events, want %d (duplicates stored twice?)", rows, total)
	}
	if twice > 16 {
		t.Errorf("%d events delivered twice; only attempts in flight at the one SIGKILL may repeat", twice)
	}

	// One reconcile run per tick, not one per instance: scheduled runs of
	// the 3 s schedule start at least a second apart.
	runs, err := db.RecentRuns(ctx, "stripe", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var starts []time.Time
	for _, r := range runs {
		if r.Job == "reconcile" {
			starts = append(starts, r.StartedAt)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < time.Second {
			t.Errorf("reconcile runs at %s and %s, %s apart: two instances ran one tick",
				starts[i-1].Format(time.RFC3339Nano), starts[i].Format(time.RFC3339Nano), gap)
		}
	}
	span := time.Since(instancesStarted(starts))
	if max := int(span/(3*time.Second)) + 2; len(starts) > max {
		t.Errorf("%d reconcile runs in %s, at most %d expected for one instance on a 3 s schedule", len(starts), span, max)
	}
	var afterKill bool
	for _, s := range starts {
		afterKill = afterKill || s.After(killedAt.Add(3*time.Second))
	}
	if !afterKill {
		t.Errorf("no reconcile run after the SIGKILL at %s: the schedule did not move on", killedAt)
	}

	// Each gap was reported once: the "N missing events found" messages
	// add up to the events dropped, however the runs split them, and no
	// message was posted twice.
	texts := slack.texts()
	if n := reportedMissing(texts); n != len(dropped) {
		t.Errorf("Slack messages report %d missing events, want %d (each gap once):\n%q", n, len(dropped), texts)
	}
	seen := map[string]bool{}
	for _, text := range texts {
		if seen[text] {
			t.Errorf("Slack message posted twice: %q", text)
		}
		seen[text] = true
	}
	t.Logf("3 instances, %d events (%d dropped, backfilled); %d rows; %d delivered twice after the SIGKILL; "+
		"%d reconcile runs; %d Slack messages; load %s",
		total, len(dropped), rows, twice, len(starts), len(texts), loadEnd.Sub(killedAt))
}

func instancesStarted(starts []time.Time) time.Time {
	if len(starts) == 0 {
		return time.Now()
	}
	return starts[0]
}

// missingRE is the headline of a reconcile message about missing events.
var missingRE = regexp.MustCompile(`stripe: (\d+) missing events? found`)

// reportedMissing adds up the missing events the Slack messages texts
// report.
func reportedMissing(texts []string) int {
	n := 0
	for _, s := range texts {
		if m := missingRE.FindStringSubmatch(s); m != nil {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
	}
	return n
}
