package ledgertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// leaseLostError is the reason a backend records when a worker's lease
// ran out.
const leaseLostError = "lease expired: the worker stopped without finishing"

func newTestClock() *Clock { return NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) }

// RecordAt records a new event source/id created at created.
func RecordAt(tb testing.TB, db Backend, source, id string, created time.Time) *ledger.Event {
	tb.Helper()
	ev := &ledger.Event{Source: source, EventID: id, Type: "test.event", Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: created}
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// ReadEvent returns the event of ledger row id, failing tb when there is
// none.
func ReadEvent(tb testing.TB, db Backend, id int64) *ledger.Event {
	tb.Helper()
	for ev, err := range db.Events(context.Background(), ledger.EventFilter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		if ev.ID == id {
			return ev
		}
	}
	tb.Fatalf("no event with row id %d", id)
	return nil
}

// Outcomes renders the attempts of ledger row id as attempt:origin:outcome.
func Outcomes(tb testing.TB, db Backend, id int64) []string {
	tb.Helper()
	as, err := db.Attempts(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("%d:%s:%s", a.Attempt, a.Origin, a.Outcome))
	}
	return out
}

func testClaimOrder(t *testing.T, d Driver) {
	db := d.open(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, min := range []int{5, 1, 4, 2, 3} {
		RecordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), base.Add(time.Duration(min)*time.Minute))
	}
	opts := ledger.ClaimOptions{Owner: "w", Limit: 2, Lease: time.Minute}
	var got []string
	for range 3 {
		claims, err := db.Claim(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			got = append(got, c.Event.EventID)
		}
	}
	want := []string{"evt_1", "evt_3", "evt_4", "evt_2", "evt_0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("claim order = %v, want %v", got, want)
	}
	claims, err := db.Claim(context.Background(), opts)
	if err != nil || len(claims) != 0 {
		t.Errorf("Claim() on an empty queue = %d claims, %v; want 0, nil", len(claims), err)
	}
}

func testClaimExpiredLease(t *testing.T, d Driver) {
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	ev := RecordAt(t, db, "stripe", "evt_1", clock.Now())
	opts := ledger.ClaimOptions{Owner: "dead-worker", Limit: 1, Lease: time.Minute, MaxAttempts: 2}
	first, err := db.Claim(context.Background(), opts)
	if err != nil || len(first) != 1 {
		t.Fatalf("Claim() = %d, %v; want 1 claim", len(first), err)
	}
	clock.Add(30 * time.Second)
	opts.Owner = "live-worker"
	if again, _ := db.Claim(context.Background(), opts); len(again) != 0 {
		t.Fatalf("Claim() under a live lease = %d claims, want 0", len(again))
	}
	clock.Add(time.Minute)
	second, err := db.Claim(context.Background(), opts)
	if err != nil || len(second) != 1 || second[0].Attempt != 2 {
		t.Fatalf("Claim() after the lease = %v, %v; want attempt 2", second, err)
	}
	// The dead worker's late result must not overwrite the new claim.
	late := &ledger.AttemptResult{Claim: first[0], Outcome: ledger.AttemptProcessed}
	if err := db.Settle(context.Background(), []*ledger.AttemptResult{late}); err != nil || !late.Stale {
		t.Fatalf("Settle(late) stale = %v, %v; want true, nil", late.Stale, err)
	}
	if got := ReadEvent(t, db, ev.ID); got.State != ledger.StateProcessing {
		t.Errorf("state after a stale finish = %s, want processing", got.State)
	}
	// The second lease also expires, on the last attempt: dead.
	clock.Add(2 * time.Minute)
	if _, err := db.Claim(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	got := ReadEvent(t, db, ev.ID)
	if got.State != ledger.StateDead || got.LastError != leaseLostError {
		t.Errorf("after two lost leases = %+v, want dead with %q", got, leaseLostError)
	}
	want := "[1:webhook:retry 2:webhook:dead]"
	if o := fmt.Sprint(Outcomes(t, db, ev.ID)); o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
}

func testSettleOutcomes(t *testing.T, d Driver) {
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	tests := []struct {
		outcome   ledger.AttemptOutcome
		state     ledger.State
		attempts  int
		lastError string
	}{
		{ledger.AttemptProcessed, ledger.StateProcessed, 1, ""},
		{ledger.AttemptRetry, ledger.StateFailed, 1, "boom"},
		{ledger.AttemptDead, ledger.StateDead, 1, "boom"},
		{ledger.AttemptReleased, ledger.StatePending, 0, ""},
	}
	for i, tt := range tests {
		ev := RecordAt(t, db, "s", fmt.Sprintf("e%d", i), clock.Now())
		claims, err := db.Claim(context.Background(), ledger.ClaimOptions{Owner: "w", Limit: 1, Lease: time.Minute, EventRow: ev.ID})
		if err != nil || len(claims) != 1 {
			t.Fatalf("Claim(%d) = %d, %v", ev.ID, len(claims), err)
		}
		r := &ledger.AttemptResult{Claim: claims[0], Outcome: tt.outcome, Error: "boom", NextAt: clock.Now().Add(time.Hour)}
		if err := db.Settle(context.Background(), []*ledger.AttemptResult{r}); err != nil {
			t.Fatal(err)
		}
		got := ReadEvent(t, db, ev.ID)
		if got.State != tt.state || got.Attempts != tt.attempts || got.LastError != tt.lastError {
			t.Errorf("%s: event = %+v, want state %s, attempts %d, last error %q",
				tt.outcome, got, tt.state, tt.attempts, tt.lastError)
		}
		if o := Outcomes(t, db, ev.ID); len(o) != 1 || o[0] != "1:webhook:"+string(tt.outcome) {
			t.Errorf("%s: attempts = %v", tt.outcome, o)
		}
	}
}

// testSettleMixedBatch settles, in one Settle, successes (the multi-row
// path), a success whose lease was lost, and a retry.
func testSettleMixedBatch(t *testing.T, d Driver) {
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	for _, id := range []string{"evt_a", "evt_b", "evt_c", "evt_d"} {
		RecordAt(t, db, "stripe", id, clock.Now())
	}
	opts := ledger.ClaimOptions{Owner: "w", Limit: 4, Lease: time.Minute, MaxAttempts: 5}
	claims, err := db.Claim(context.Background(), opts)
	if err != nil || len(claims) != 4 {
		t.Fatalf("Claim() = %d, %v; want 4", len(claims), err)
	}
	// evt_d's lease is lost and it is claimed again by someone else.
	stolen := *claims[3]
	stolen.Owner = "somebody-else"
	results := []*ledger.AttemptResult{
		{Claim: claims[0], Outcome: ledger.AttemptProcessed, Started: clock.Now()},
		{Claim: claims[1], Outcome: ledger.AttemptRetry, Error: "503", NextAt: clock.Now().Add(time.Second)},
		{Claim: claims[2], Outcome: ledger.AttemptProcessed, Started: clock.Now()},
		{Claim: &stolen, Outcome: ledger.AttemptProcessed, Started: clock.Now()},
	}
	if err := db.Settle(context.Background(), results); err != nil {
		t.Fatal(err)
	}
	want := []ledger.State{ledger.StateProcessed, ledger.StateFailed, ledger.StateProcessed, ledger.StateProcessing}
	for i, r := range results {
		got := ReadEvent(t, db, r.Claim.Event.ID)
		if got.State != want[i] {
			t.Errorf("%s state = %s, want %s", r.Claim.Event.EventID, got.State, want[i])
		}
		if r.Stale != (i == 3) {
			t.Errorf("%s Stale = %v, want %v", r.Claim.Event.EventID, r.Stale, i == 3)
		}
		atts, err := db.Attempts(context.Background(), r.Claim.Event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if wantRows := map[bool]int{true: 0, false: 1}[i == 3]; len(atts) != wantRows {
			t.Errorf("%s has %d attempt rows, want %d", r.Claim.Event.EventID, len(atts), wantRows)
		}
	}
}

func testRenewLeasesKeepsLiveClaims(t *testing.T, d Driver) {
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	for i := range 3 {
		RecordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), clock.Now())
	}
	ctx := context.Background()
	mine, err := db.Claim(ctx, ledger.ClaimOptions{Owner: "live", Limit: 2, Lease: time.Minute})
	if err != nil || len(mine) != 2 {
		t.Fatalf("Claim() = %d, %v; want 2", len(mine), err)
	}
	if _, err := db.Claim(ctx, ledger.ClaimOptions{Owner: "other", Limit: 1, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	clock.Add(50 * time.Second)
	leases, err := db.RenewLeases(ctx, ledger.RenewOptions{Owner: "live", Lease: time.Minute})
	if err != nil || len(leases) != 2 || !leases[0].Until.Equal(clock.Now().Add(time.Minute)) {
		t.Fatalf("RenewLeases() = %+v, %v; want the 2 claims of live until now+1m", leases, err)
	}
	// Past the first lease's end, but inside the renewed one: nothing of
	// live's is reaped or retaken; other's claim, never renewed, is.
	clock.Add(20 * time.Second)
	again, err := db.Claim(ctx, ledger.ClaimOptions{Owner: "third", Limit: 3, Lease: time.Minute})
	if err != nil || len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("Claim() after other's lease ran out = %d claims, %v; want other's event alone, attempt 2", len(again), err)
	}
	for _, c := range mine {
		if got := ReadEvent(t, db, c.Event.ID); got.State != ledger.StateProcessing || got.Attempts != 1 {
			t.Errorf("%s = %s after %d attempts, want still processing attempt 1", c.Event.EventID, got.State, got.Attempts)
		}
	}
	// A lease that ran out is not renewed, even before it is reaped.
	clock.Add(2 * time.Minute)
	if leases, err := db.RenewLeases(ctx, ledger.RenewOptions{Owner: "live", Lease: time.Minute}); err != nil || len(leases) != 0 {
		t.Errorf("RenewLeases(expired) = %+v, %v; want none", leases, err)
	}
}

var queueCases = []testCase{
	{"ClaimOrder", testClaimOrder},
	{"ClaimExpiredLease", testClaimExpiredLease},
	{"SettleOutcomes", testSettleOutcomes},
	{"SettleMixedBatch", testSettleMixedBatch},
	{"RenewLeasesKeepsLiveClaims", testRenewLeasesKeepsLiveClaims},
}

// settleAs claims ev alone and settles its attempt with outcome.
func settleAs(tb testing.TB, db Backend, ev *ledger.Event, outcome ledger.AttemptOutcome) {
	tb.Helper()
	c := claimOne(tb, db, ev)
	r := &ledger.AttemptResult{Claim: c, Outcome: outcome, Error: "settled by the test", NextAt: c.ClaimedAt.Add(time.Hour)}
	if err := db.Settle(context.Background(), []*ledger.AttemptResult{r}); err != nil || r.Stale {
		tb.Fatalf("Settle(%s) = stale %v, %v", ev.EventID, r.Stale, err)
	}
}

// claimOne claims ev alone for an hour.
func claimOne(tb testing.TB, db Backend, ev *ledger.Event) *ledger.Claim {
	tb.Helper()
	claims, err := db.Claim(context.Background(), ledger.ClaimOptions{Owner: "ledgertest", Limit: 1, Lease: time.Hour, EventRow: ev.ID})
	if err != nil || len(claims) != 1 {
		tb.Fatalf("Claim(%s) = %d claims, %v; want 1", ev.EventID, len(claims), err)
	}
	return claims[0]
}

// SetState drives the recorded event ev to st through the queue, as a
// processor would leave it: claimed (processing), settled as a retry due
// in an hour (failed), dead or processed. An event that is no longer
// pending is replayed (Requeue) first.
func SetState(tb testing.TB, db Backend, ev *ledger.Event, st ledger.State) {
	tb.Helper()
	cur, err := db.Event(context.Background(), ev.Source, ev.EventID)
	if err != nil {
		tb.Fatal(err)
	}
	if cur.State != ledger.StatePending {
		if _, err := db.Requeue(context.Background(), ev.Source, ev.EventID); err != nil {
			tb.Fatal(err)
		}
	}
	switch st {
	case ledger.StatePending:
	case ledger.StateProcessing:
		claimOne(tb, db, ev)
	case ledger.StateFailed:
		settleAs(tb, db, ev, ledger.AttemptRetry)
	case ledger.StateDead:
		settleAs(tb, db, ev, ledger.AttemptDead)
	case ledger.StateProcessed:
		settleAs(tb, db, ev, ledger.AttemptProcessed)
	default:
		tb.Fatalf("SetState(%s): unknown state", st)
	}
}
