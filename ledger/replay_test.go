package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestRequeueRecordsReplayOrigin: a replayed event's next attempt records
// origin replay (the events row carries the mark until that attempt
// settles), its history is kept and its budget is fresh. The public
// behaviour is in ledgertest; this test also reads the SQLite row.
func TestRequeueRecordsReplayOrigin(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	ev := &Event{Source: "stripe", EventID: "evt_1", Type: "test.event", Payload: []byte(`{"id":"evt_1"}`), CreatedAt: time.Now()}
	if _, err := db.Record(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	var origin Origin
	h := HandlerFunc(func(_ context.Context, d Delivery) error {
		origin = d.Origin
		if d.Origin != OriginReplay {
			return Permanent(errors.New("no"))
		}
		return nil
	})
	p, err := NewProcessor(db, h, ProcessorConfig{MaxAttempts: 1, RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.ProcessOne(ctx, ev.ID); err != nil || r.Outcome != AttemptDead {
		t.Fatalf("ProcessOne() = %+v, %v; want dead", r, err)
	}
	rq, err := db.Requeue(ctx, "stripe", "evt_1")
	if err != nil || rq.PrevState != StateDead || rq.ID != ev.ID {
		t.Fatalf("Requeue() = %+v, %v; want the dead event", rq, err)
	}
	if st, o := stateAndMark(t, db, ev.ID); st != StatePending || o != "replay" {
		t.Errorf("after requeue = %s with mark %q, want pending, origin replay", st, o)
	}
	r, err := p.ProcessOne(ctx, ev.ID)
	if err != nil || r.Outcome != AttemptProcessed || origin != OriginReplay {
		t.Fatalf("ProcessOne() = %+v, %v, origin %s; want processed with origin replay", r, err, origin)
	}
	// History is kept, numbering continues, and the replay had a fresh
	// budget even with MaxAttempts 1.
	as, err := db.Attempts(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, fmt.Sprintf("%d:%s:%s", a.Attempt, a.Origin, a.Outcome))
	}
	if o, want := fmt.Sprint(got), "[1:webhook:dead 2:replay:processed]"; o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
	if st, o := stateAndMark(t, db, ev.ID); st != StateProcessed || o != "" {
		t.Errorf("after replay = %s with mark %q, want processed with the replay mark cleared", st, o)
	}
}

// stateAndMark reads the state and attempt_origin columns of ledger row id.
func stateAndMark(tb testing.TB, db *DB, id int64) (State, string) {
	tb.Helper()
	var st State
	var o string
	if err := db.r.QueryRow(`SELECT state, attempt_origin FROM events WHERE id = ?`, id).Scan(&st, &o); err != nil {
		tb.Fatal(err)
	}
	return st, o
}
