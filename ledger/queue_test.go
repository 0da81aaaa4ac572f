package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for the ledger and the processor.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordAt records a new event created at created.
func recordAt(tb testing.TB, db *DB, source, id string, created time.Time) *Event {
	tb.Helper()
	ev := &Event{Source: source, EventID: id, Type: "test.event", Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: created}
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// eventRow is the queue state of one event, read for assertions.
type eventRow struct {
	State     State
	Attempts  int
	LastError string
	NextAt    int64
	Origin    string
}

func readEvent(tb testing.TB, db *DB, id int64) eventRow {
	tb.Helper()
	var r eventRow
	err := db.r.QueryRow(`SELECT state, attempts, last_error, next_attempt_at, attempt_origin
		FROM events WHERE id = ?`, id).Scan(&r.State, &r.Attempts, &r.LastError, &r.NextAt, &r.Origin)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func outcomes(tb testing.TB, db *DB, id int64) []string {
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

func TestClaimOrder(t *testing.T) {
	db := openTestDB(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, min := range []int{5, 1, 4, 2, 3} {
		recordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), base.Add(time.Duration(min)*time.Minute))
	}
	opts := ClaimOptions{Owner: "w", Limit: 2, Lease: time.Minute}
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

func TestClaimExpiredLease(t *testing.T) {
	db := openTestDB(t)
	clock := newTestClock()
	db.Now = clock.Now
	ev := recordAt(t, db, "stripe", "evt_1", clock.Now())
	opts := ClaimOptions{Owner: "dead-worker", Limit: 1, Lease: time.Minute, MaxAttempts: 2}
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
	late := &Result{Claim: first[0], Outcome: AttemptProcessed}
	if err := db.Finish(context.Background(), []*Result{late}); err != nil || !late.Stale {
		t.Fatalf("Finish(late) stale = %v, %v; want true, nil", late.Stale, err)
	}
	if got := readEvent(t, db, ev.ID); got.State != StateProcessing {
		t.Errorf("state after a stale finish = %s, want processing", got.State)
	}
	// The second lease also expires, on the last attempt: dead.
	clock.Add(2 * time.Minute)
	if _, err := db.Claim(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	got := readEvent(t, db, ev.ID)
	if got.State != StateDead || got.LastError != leaseLostError {
		t.Errorf("after two lost leases = %+v, want dead with %q", got, leaseLostError)
	}
	want := "[1:webhook:retry 2:webhook:dead]"
	if o := fmt.Sprint(outcomes(t, db, ev.ID)); o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
}

func TestFinishOutcomes(t *testing.T) {
	db := openTestDB(t)
	clock := newTestClock()
	db.Now = clock.Now
	tests := []struct {
		outcome   AttemptOutcome
		state     State
		attempts  int
		lastError string
	}{
		{AttemptProcessed, StateProcessed, 1, ""},
		{AttemptRetry, StateFailed, 1, "boom"},
		{AttemptDead, StateDead, 1, "boom"},
		{AttemptReleased, StatePending, 0, ""},
	}
	for i, tt := range tests {
		ev := recordAt(t, db, "s", fmt.Sprintf("e%d", i), clock.Now())
		claims, err := db.Claim(context.Background(), ClaimOptions{Owner: "w", Limit: 1, Lease: time.Minute, EventRow: ev.ID})
		if err != nil || len(claims) != 1 {
			t.Fatalf("Claim(%d) = %d, %v", ev.ID, len(claims), err)
		}
		r := &Result{Claim: claims[0], Outcome: tt.outcome, Error: "boom", NextAt: clock.Now().Add(time.Hour)}
		if err := db.Finish(context.Background(), []*Result{r}); err != nil {
			t.Fatal(err)
		}
		got := readEvent(t, db, ev.ID)
		if got.State != tt.state || got.Attempts != tt.attempts || got.LastError != tt.lastError {
			t.Errorf("%s: event = %+v, want state %s, attempts %d, last error %q",
				tt.outcome, got, tt.state, tt.attempts, tt.lastError)
		}
		if o := outcomes(t, db, ev.ID); len(o) != 1 || o[0] != "1:webhook:"+string(tt.outcome) {
			t.Errorf("%s: attempts = %v", tt.outcome, o)
		}
	}
}

func TestTruncateError(t *testing.T) {
	long := string(make([]byte, maxErrorLen+10))
	tests := []struct {
		in      string
		wantLen int
	}{
		{"short", 5},
		{long, maxErrorLen + len("…")},
		{long[:maxErrorLen-1] + "é" + long, maxErrorLen - 1 + len("…")}, // never splits a rune
	}
	for _, tt := range tests {
		if got := truncateError(tt.in); len(got) != tt.wantLen {
			t.Errorf("len(truncateError(%d bytes)) = %d, want %d", len(tt.in), len(got), tt.wantLen)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 10*time.Second, time.Hour
	tests := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0.5, 10 * time.Second},
		{2, 0.5, 20 * time.Second},
		{4, 0.5, 80 * time.Second},
		{1, 0, 8 * time.Second},
		{1, 1, 12 * time.Second},
		{12, 0.5, time.Hour},
		{100, 1, time.Hour},
		{0, 0.5, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(base, limit, tt.n, tt.r); got != tt.want {
			t.Errorf("Backoff(10s, 1h, %d, %v) = %s, want %s", tt.n, tt.r, got, tt.want)
		}
	}
}

// TestFinishMixedBatch settles, in one Finish, successes (the multi-row
// path), a success whose lease was lost, and a retry.
func TestFinishMixedBatch(t *testing.T) {
	db := openTestDB(t)
	clock := newTestClock()
	db.Now = clock.Now
	for _, id := range []string{"evt_a", "evt_b", "evt_c", "evt_d"} {
		recordAt(t, db, "stripe", id, clock.Now())
	}
	opts := ClaimOptions{Owner: "w", Limit: 4, Lease: time.Minute, MaxAttempts: 5}
	claims, err := db.Claim(context.Background(), opts)
	if err != nil || len(claims) != 4 {
		t.Fatalf("Claim() = %d, %v; want 4", len(claims), err)
	}
	// evt_d's lease is lost and it is claimed again by someone else.
	stolen := *claims[3]
	stolen.Owner = "somebody-else"
	results := []*Result{
		{Claim: claims[0], Outcome: AttemptProcessed, Started: clock.Now()},
		{Claim: claims[1], Outcome: AttemptRetry, Error: "503", NextAt: clock.Now().Add(time.Second)},
		{Claim: claims[2], Outcome: AttemptProcessed, Started: clock.Now()},
		{Claim: &stolen, Outcome: AttemptProcessed, Started: clock.Now()},
	}
	if err := db.Finish(context.Background(), results); err != nil {
		t.Fatal(err)
	}
	want := []State{StateProcessed, StateFailed, StateProcessed, StateProcessing}
	for i, r := range results {
		got := readEvent(t, db, r.Claim.Event.ID)
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
