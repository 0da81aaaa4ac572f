package ledger

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestEventsNewestFirst holds that Events lists newest received first when
// asked, across pages and with a limit, and oldest first otherwise.
func TestEventsNewestFirst(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	var want []string
	for i := range 1203 {
		src := []string{"stripe", "github"}[i%2]
		id := fmt.Sprintf("evt_%04d", i)
		if _, err := db.Record(ctx, &Event{Source: src, EventID: id, Type: "t", Payload: []byte("{}")}, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	list := func(f EventFilter) []string {
		var ids []string
		for ev, err := range db.Events(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.EventID)
		}
		return ids
	}
	if got := list(EventFilter{}); !slices.Equal(got, want) {
		t.Errorf("Events() = %d events from %v, want all %d oldest first", len(got), got[:1], len(want))
	}
	newest := slices.Clone(want)
	slices.Reverse(newest)
	if got := list(EventFilter{Newest: true}); !slices.Equal(got, newest) {
		t.Errorf("Events(Newest) = %d events from %v, want all %d newest first", len(got), got[:1], len(want))
	}
	if got := list(EventFilter{Newest: true, Limit: 3, Source: "stripe"}); !slices.Equal(got, []string{"evt_1202", "evt_1200", "evt_1198"}) {
		t.Errorf("Events(Newest, Limit 3, stripe) = %v, want the 3 newest stripe events", got)
	}
}

func TestSources(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if got, err := db.Sources(ctx); err != nil || got != nil {
		t.Errorf("Sources() of an empty ledger = %v, %v; want none", got, err)
	}
	for _, src := range []string{"stripe", "github", "stripe", "zoom"} {
		ev := &Event{Source: src, EventID: "evt_" + src + fmt.Sprint(len(src)), Type: "t", Payload: []byte("{}")}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.Sources(ctx); err != nil || !slices.Equal(got, []string{"github", "stripe", "zoom"}) {
		t.Errorf("Sources() = %v, %v; want github, stripe, zoom", got, err)
	}
}
