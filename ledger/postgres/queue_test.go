package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
)

func claimOpts(owner string, limit int, now time.Time) ledger.ClaimOptions {
	return ledger.ClaimOptions{Owner: owner, Limit: limit, Lease: 30 * time.Second, MaxAttempts: 3, Now: now}
}

func mustClaim(tb testing.TB, db *postgres.DB, opts ledger.ClaimOptions) []*ledger.Claim {
	tb.Helper()
	cs, err := db.Claim(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Claim() error = %v", err)
	}
	return cs
}

func done(c *ledger.Claim, outcome ledger.AttemptOutcome, errText string, next time.Time) *ledger.AttemptResult {
	return &ledger.AttemptResult{Claim: c, Outcome: outcome, Error: errText, Started: c.ClaimedAt, Duration: time.Millisecond, NextAt: next}
}

// Two processors on two pools over one database claim concurrently, many
// workers each: every event is handled exactly once and ends processed
// with one attempt.
func TestTwoProcessorsOnTwoPoolsDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	const n = 400
	for i := range n {
		mustRecord(t, a, newEvent("stripe", fmt.Sprintf("evt_%04d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	ctx := context.Background()
	var mu sync.Mutex
	handled := map[string]int{}
	var wg sync.WaitGroup
	for p, db := range []*postgres.DB{a, b} {
		for w := range 4 {
			wg.Go(func() {
				owner := fmt.Sprintf("proc%d-w%d", p, w)
				for {
					cs, err := db.Claim(ctx, ledger.ClaimOptions{Owner: owner, Limit: 7, Lease: time.Minute})
					if err != nil {
						t.Errorf("Claim() error = %v", err)
						return
					}
					if len(cs) == 0 {
						return
					}
					var rs []*ledger.AttemptResult
					mu.Lock()
					for _, c := range cs {
						handled[c.Event.EventID]++
						rs = append(rs, done(c, ledger.AttemptProcessed, "", time.Time{}))
					}
					mu.Unlock()
					if err := db.Settle(ctx, rs); err != nil {
						t.Errorf("Settle() error = %v", err)
						return
					}
					for _, r := range rs {
						if r.Stale {
							t.Errorf("%s: settle was stale", r.Claim.Event.EventID)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("evt_%04d", i)
		if handled[id] != 1 {
			t.Errorf("%s handled %d times, want 1", id, handled[id])
		}
		ev := mustEvent(t, a, "stripe", id)
		if ev.State != ledger.StateProcessed || ev.Attempts != 1 {
			t.Errorf("%s state %s attempts %d, want processed after 1", id, ev.State, ev.Attempts)
		}
	}
}

func TestClaimInProviderCreatedOrder(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	mustRecord(t, db, newEvent("stripe", "late", t0.Add(time.Hour)))
	mustRecord(t, db, newEvent("stripe", "early", t0))
	mustRecord(t, db, newEvent("github", "middle", t0.Add(time.Minute)))
	cs := mustClaim(t, db, claimOpts("w", 2, time.Now()))
	if len(cs) != 2 || cs[0].Event.EventID != "early" || cs[1].Event.EventID != "middle" {
		t.Fatalf("Claim() = %v, want early, middle", ids(cs))
	}
	c := cs[0]
	if c.Attempt != 1 || c.AttemptsUsed != 1 || c.Origin != ledger.OriginWebhook || c.Owner != "w" ||
		c.Event.Headers["X-Test"] != "early" || string(c.Event.Payload) != `{"id":"early"}` {
		t.Errorf("claim = %+v event %+v", c, c.Event)
	}
	if got := mustEvent(t, db, "stripe", "early"); got.State != ledger.StateProcessing {
		t.Errorf("claimed event state %s, want processing", got.State)
	}
}

// A lease that ran out is reaped by another instance: the lost attempt is
// recorded as a retry, the event is claimed again, the first owner can
// neither renew nor settle it.
func TestExpiredLeaseIsReapedByAnotherInstance(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	ctx := context.Background()
	mustRecord(t, a, newEvent("stripe", "evt_1", t0))
	now := time.Now()
	first := mustClaim(t, a, ledger.ClaimOptions{Owner: "a", Limit: 1, Lease: 5 * time.Second, MaxAttempts: 3, Now: now})
	if len(first) != 1 {
		t.Fatalf("Claim() = %d, want 1", len(first))
	}
	if cs := mustClaim(t, b, ledger.ClaimOptions{Owner: "b", Limit: 1, Lease: 5 * time.Second, MaxAttempts: 3, Now: now.Add(4 * time.Second)}); len(cs) != 0 {
		t.Fatalf("Claim() under a live lease = %v, want none", ids(cs))
	}
	later := now.Add(6 * time.Second)
	// An expired lease is never brought back, even before it is reaped.
	if ls, err := a.RenewLeases(ctx, ledger.RenewOptions{Owner: "a", Lease: 5 * time.Second, Now: later}); err != nil || len(ls) != 0 {
		t.Fatalf("RenewLeases() after expiry = %v, %v; want none", ls, err)
	}
	second := mustClaim(t, b, ledger.ClaimOptions{Owner: "b", Limit: 1, Lease: 5 * time.Second, MaxAttempts: 3, Now: later})
	if len(second) != 1 || second[0].Attempt != 2 || second[0].Event.LastError == "" {
		t.Fatalf("Claim() after expiry = %+v, want attempt 2 with the lost lease's error", second)
	}
	r := done(first[0], ledger.AttemptProcessed, "", time.Time{})
	if err := a.Settle(ctx, []*ledger.AttemptResult{r}); err != nil || !r.Stale {
		t.Fatalf("Settle() by the old owner = %v, stale %v; want stale", err, r.Stale)
	}
	atts, err := a.Attempts(ctx, first[0].Event.ID)
	if err != nil || len(atts) != 1 || atts[0].Outcome != "retry" || atts[0].Attempt != 1 {
		t.Fatalf("Attempts() = %+v, %v; want the lost attempt as a retry", atts, err)
	}
	if err := b.Settle(ctx, []*ledger.AttemptResult{done(second[0], ledger.AttemptProcessed, "", time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if ev := mustEvent(t, a, "stripe", "evt_1"); ev.State != ledger.StateProcessed || ev.Attempts != 2 {
		t.Errorf("event %s after %d attempts, want processed after 2", ev.State, ev.Attempts)
	}
}

// An expired lease on the last attempt makes the event dead.
func TestExpiredLeaseOnLastAttemptIsDead(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	mustRecord(t, db, newEvent("stripe", "evt_1", t0))
	now := time.Now()
	opts := ledger.ClaimOptions{Owner: "a", Limit: 1, Lease: time.Second, MaxAttempts: 1, Now: now}
	mustClaim(t, db, opts)
	opts.Now = now.Add(2 * time.Second)
	if cs := mustClaim(t, db, opts); len(cs) != 0 {
		t.Fatalf("Claim() = %v, want none (dead)", ids(cs))
	}
	if ev := mustEvent(t, db, "stripe", "evt_1"); ev.State != ledger.StateDead {
		t.Errorf("state %s, want dead", ev.State)
	}
}

func TestRenewLeasesExtendsLiveLeasesOnly(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	mustRecord(t, db, newEvent("stripe", "evt_1", t0))
	mustRecord(t, db, newEvent("stripe", "evt_2", t0.Add(time.Second)))
	now := time.Now()
	cs := mustClaim(t, db, ledger.ClaimOptions{Owner: "a", Limit: 2, Lease: 10 * time.Second, Now: now})
	ls, err := db.RenewLeases(ctx, ledger.RenewOptions{Owner: "a", Lease: 10 * time.Second, Now: now.Add(5 * time.Second)})
	if err != nil || len(ls) != 2 || !ls[0].Until.Equal(now.Add(15*time.Second).Truncate(time.Millisecond)) {
		t.Fatalf("RenewLeases() = %+v, %v; want both until now+15s", ls, err)
	}
	ls, err = db.RenewLeases(ctx, ledger.RenewOptions{Owner: "a", Lease: 10 * time.Second,
		EventRow: cs[1].Event.ID, Attempt: cs[1].Attempt, Now: now.Add(6 * time.Second)})
	if err != nil || len(ls) != 1 || ls[0].EventRow != cs[1].Event.ID {
		t.Fatalf("RenewLeases(one) = %+v, %v; want evt_2 only", ls, err)
	}
	if ls, _ := db.RenewLeases(ctx, ledger.RenewOptions{Owner: "b", Lease: time.Second, Now: now}); len(ls) != 0 {
		t.Errorf("RenewLeases(other owner) = %+v, want none", ls)
	}
	// Past the end of the renewed leases nothing is renewed.
	if ls, _ := db.RenewLeases(ctx, ledger.RenewOptions{Owner: "a", Lease: time.Second, Now: now.Add(20 * time.Second)}); len(ls) != 0 {
		t.Errorf("RenewLeases() after expiry = %+v, want none", ls)
	}
}

// One settle applies processed, retry, dead and released outcomes.
func TestSettleMixedBatch(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	for i := range 4 {
		mustRecord(t, db, newEvent("stripe", fmt.Sprintf("evt_%d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	now := time.Now()
	cs := mustClaim(t, db, claimOpts("w", 4, now))
	next := now.Add(time.Minute).Truncate(time.Millisecond).UTC()
	rs := []*ledger.AttemptResult{
		done(cs[0], ledger.AttemptProcessed, "", time.Time{}),
		done(cs[1], ledger.AttemptRetry, "boom", next),
		done(cs[2], ledger.AttemptDead, "gone", time.Time{}),
		done(cs[3], ledger.AttemptReleased, "shutdown", time.Time{}),
	}
	if err := db.Settle(ctx, rs); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		state    ledger.State
		attempts int
		lastErr  string
	}{{ledger.StateProcessed, 1, ""}, {ledger.StateFailed, 1, "boom"}, {ledger.StateDead, 1, "gone"}, {ledger.StatePending, 0, ""}}
	for i, w := range want {
		ev := mustEvent(t, db, "stripe", fmt.Sprintf("evt_%d", i))
		if ev.State != w.state || ev.Attempts != w.attempts || ev.LastError != w.lastErr {
			t.Errorf("evt_%d = %s/%d/%q, want %s/%d/%q", i, ev.State, ev.Attempts, ev.LastError, w.state, w.attempts, w.lastErr)
		}
		atts, _ := db.Attempts(ctx, ev.ID)
		if len(atts) != 1 || atts[0].Outcome != string(rs[i].Outcome) {
			t.Errorf("evt_%d attempts %+v, want one %s", i, atts, rs[i].Outcome)
		}
	}
	if ev := mustEvent(t, db, "stripe", "evt_1"); !ev.NextAttemptAt.Equal(next) {
		t.Errorf("retry next attempt %v, want %v", ev.NextAttemptAt, next)
	}
	due, ok, err := db.NextDue(ctx)
	if err != nil || !ok || !due.Equal(next) {
		t.Errorf("NextDue() = %v, %v, %v; want %v", due, ok, err, next)
	}
	// The retry is claimable once due, and the released one at once.
	again := mustClaim(t, db, claimOpts("w", 4, next))
	if len(again) != 2 || again[0].Event.EventID != "evt_1" || again[0].Attempt != 2 || again[1].Event.EventID != "evt_3" || again[1].Attempt != 1 {
		t.Errorf("Claim() after settle = %v", ids(again))
	}
}

func TestRequeueReplaysWithAFreshBudget(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	mustRecord(t, db, newEvent("stripe", "evt_1", t0))
	mustRecord(t, db, newEvent("stripe", "evt_2", t0.Add(time.Second)))
	now := time.Now()
	cs := mustClaim(t, db, claimOpts("w", 2, now))
	if _, err := db.Requeue(ctx, "stripe", "evt_1"); !errors.Is(err, ledger.ErrLeased) {
		t.Fatalf("Requeue(leased) error = %v, want ErrLeased", err)
	}
	if _, err := db.Requeue(ctx, "stripe", "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Requeue(unknown) error = %v, want ErrNotFound", err)
	}
	if err := db.Settle(ctx, []*ledger.AttemptResult{done(cs[0], ledger.AttemptDead, "bad", time.Time{}), done(cs[1], ledger.AttemptDead, "bad", time.Time{})}); err != nil {
		t.Fatal(err)
	}
	dry, err := db.RequeueDead(ctx, ledger.DeadFilter{Source: "stripe", DryRun: true})
	if err != nil || len(dry) != 2 {
		t.Fatalf("RequeueDead(dry run) = %v, %v; want 2", dry, err)
	}
	if ev := mustEvent(t, db, "stripe", "evt_1"); ev.State != ledger.StateDead {
		t.Fatalf("dry run changed state to %s", ev.State)
	}
	rq, err := db.Requeue(ctx, "stripe", "evt_1")
	if err != nil || rq.PrevState != ledger.StateDead || rq.Attempts != 1 {
		t.Fatalf("Requeue() = %+v, %v", rq, err)
	}
	rqs, err := db.RequeueDead(ctx, ledger.DeadFilter{})
	if err != nil || len(rqs) != 1 || rqs[0].EventID != "evt_2" {
		t.Fatalf("RequeueDead() = %+v, %v; want evt_2", rqs, err)
	}
	again := mustClaim(t, db, claimOpts("w", 2, time.Now()))
	if len(again) != 2 || again[0].Origin != ledger.OriginReplay || again[0].Attempt != 2 || again[0].AttemptsUsed != 1 {
		t.Fatalf("Claim() after replay = %+v", again)
	}
}

// A Record on one instance wakes the processor of another through NOTIFY.
func TestRecordWakesOtherInstances(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	other, _ := openFresh(t) // another ledger in the same database
	drain := func(db *postgres.DB) {
		deadline := time.After(2 * time.Second)
		for {
			select {
			case <-db.Recorded():
			case <-deadline:
				return
			}
		}
	}
	drain(b)
	drain(other)
	mustRecord(t, a, newEvent("stripe", "evt_1", t0))
	select {
	case <-b.Recorded():
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up on the other instance within 10s")
	}
	select {
	case <-other.Recorded():
		t.Error("a ledger in another schema was woken")
	case <-time.After(500 * time.Millisecond):
	}
}

// A Record wakes its own DB's processors once, when it commits; its
// notification, which the other instance receives, does not wake them
// again.
func TestRecordSkipsOwnNotification(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	for _, db := range []*postgres.DB{a, b} {
		select { // the listener's wake-up on connecting
		case <-db.Recorded():
		case <-time.After(10 * time.Second):
			t.Fatal("no wake-up when the listener connected")
		}
	}
	mustRecord(t, a, newEvent("stripe", "evt_1", t0))
	select {
	case <-a.Recorded():
	default:
		t.Fatal("Record returned before waking its own DB")
	}
	select {
	case <-b.Recorded():
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up on the other instance within 10s")
	}
	// The notification b received reached a's listener too, by now or
	// within a moment.
	select {
	case <-a.Recorded():
		t.Error("a DB was woken by its own notification")
	case <-time.After(500 * time.Millisecond):
	}
}

func ids(cs []*ledger.Claim) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Event.EventID)
	}
	return out
}
