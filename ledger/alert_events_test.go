package ledger

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestEventsInStatesAndCountPresent(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := base
	db.Now = func() time.Time { return clock }
	for i, e := range []struct{ src, id, typ string }{
		{"stripe", "evt_a", "invoice.paid"}, {"stripe", "evt_b", "invoice.paid"},
		{"stripe", "evt_c", "charge.failed"}, {"github", "g1", "push"},
	} {
		clock = base.Add(time.Duration(i) * time.Minute)
		if _, err := db.Record(ctx, &Event{Source: e.src, EventID: e.id, Type: e.typ, Payload: []byte("{}")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE events SET state = 'dead' WHERE event_id IN ('evt_a', 'evt_c', 'g1')`); err != nil {
		t.Fatal(err)
	}
	got, err := db.EventsInStates(ctx, []State{StateDead}, time.Time{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []StateGroup{
		{Source: "github", Count: 1, ByType: map[string]int{"push": 1}, IDs: []string{"g1"}, Oldest: base.Add(3 * time.Minute)},
		{Source: "stripe", Count: 2, ByType: map[string]int{"invoice.paid": 1, "charge.failed": 1}, IDs: []string{"evt_a"}, Oldest: base},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EventsInStates(dead) = %+v, want %+v", got, want)
	}
	got, err = db.EventsInStates(ctx, []State{StatePending, StateFailed}, base.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("EventsInStates(pending before 1m) = %+v, want none (evt_b arrived at 1m, not before)", got)
	}
	got, _ = db.EventsInStates(ctx, []State{StatePending, StateFailed}, base.Add(2*time.Minute), 10)
	if len(got) != 1 || got[0].Count != 1 || got[0].IDs[0] != "evt_b" {
		t.Errorf("EventsInStates(pending before 2m) = %+v, want evt_b", got)
	}
	n, err := db.CountPresent(ctx, "stripe", []string{"evt_a", "evt_b", "evt_x", "g1"})
	if err != nil || n != 2 {
		t.Errorf("CountPresent() = %d, %v; want 2", n, err)
	}
}
