package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"
)

// countByQuery counts events per source and state the slow way.
func countByQuery(t *testing.T, db *DB) map[string]int {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), `SELECT source, state, count(*) FROM events GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var src, st string
		var n int
		if err := rows.Scan(&src, &st, &n); err != nil {
			return err
		}
		out[src+"/"+st] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEventCountsFollowEveryChange checks that QueueStats' counts, kept by
// triggers, equal a count of the rows after records, duplicates, attempts
// that kill an event, replays, bulk replays and deletes.
func TestEventCountsFollowEveryChange(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		qs, err := db.QueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for src, m := range qs.Depth {
			for st, n := range m {
				got[src+"/"+string(st)] = n
			}
		}
		if want := countByQuery(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: QueueStats counts %v, want %v", step, got, want)
		}
	}
	var evs []*Event
	for i := range 6 {
		src := []string{"stripe", "github"}[i%2]
		evs = append(evs, recordAt(t, db, src, fmt.Sprintf("evt_%d", i), time.Now()))
	}
	recordAt(t, db, "stripe", "evt_0", time.Now()) // a duplicate
	check("after record")
	killEvent(t, db, evs[0])
	killEvent(t, db, evs[2])
	check("after two events died")
	if _, err := db.Requeue(ctx, "stripe", "evt_0"); err != nil {
		t.Fatal(err)
	}
	check("after a replay")
	if _, err := db.RequeueDead(ctx, DeadFilter{Source: "stripe"}); err != nil {
		t.Fatal(err)
	}
	check("after a bulk replay")
	if _, err := db.w.ExecContext(ctx, `DELETE FROM events WHERE event_id = 'evt_1'`); err != nil {
		t.Fatal(err)
	}
	check("after a delete")
	// Payload pruning rewrites rows with INSERT OR REPLACE: its delete
	// must be counted too.
	ledgerOnly := recordProcessed(t, db, "evt_old")
	db.now = func() time.Time { return ledgerOnly.Add(48 * time.Hour) }
	rep, err := db.Prune(ctx, PruneOptions{Retention: Retention{Payloads: time.Hour, Events: 1000 * time.Hour}})
	if err != nil || rep.Payloads == 0 {
		t.Fatalf("Prune() = %+v, %v; want a payload pruned", rep, err)
	}
	check("after a payload prune")
}

// recordProcessed records an event of github and processes it; it
// returns when it was received.
func recordProcessed(t *testing.T, db *DB, id string) time.Time {
	t.Helper()
	ev := recordAt(t, db, "github", id, time.Now())
	p := statusTestProcessor(t, db, HandlerFunc(func(context.Context, Delivery) error { return nil }))
	if r, err := p.ProcessOne(context.Background(), ev.ID); err != nil || r.Outcome != AttemptProcessed {
		t.Fatalf("ProcessOne() = %+v, %v; want processed", r, err)
	}
	return ev.ReceivedAt
}

// TestEventLogPages checks the event log's keyset pages: newest first,
// every match once across pages, the scan bound ending a page early with
// a cursor that continues, and the id prefix lookup.
func TestEventLogPages(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	for i := range 40 {
		typ := "invoice.paid"
		if i%10 == 0 {
			typ = "charge.refunded"
		}
		ev := &Event{Source: "stripe", EventID: fmt.Sprintf("evt_%03d", i), Type: typ, Payload: []byte(`{}`), CreatedAt: time.Now()}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	f := LogFilter{Type: "charge.refunded", Limit: 2, Scan: 7}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("the log never ended")
		}
		page, err := db.EventLog(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			got = append(got, ev.EventID)
		}
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	if want := "[evt_030 evt_020 evt_010 evt_000]"; fmt.Sprint(got) != want {
		t.Errorf("charge.refunded across pages = %v, want %v", got, want)
	}
	page, err := db.EventLog(ctx, LogFilter{IDPrefix: "evt_01"})
	if err != nil || len(page.Events) != 10 || page.Events[0].EventID != "evt_010" || page.Next != 0 {
		t.Errorf("prefix evt_01 = %d events (first %v), next %d, %v; want evt_010…evt_019, no next", len(page.Events), page.Events, page.Next, err)
	}
}

// statusTestProcessor is a processor over db with a millisecond backoff.
func statusTestProcessor(tb testing.TB, db *DB, h Handler) *Processor {
	tb.Helper()
	p, err := NewProcessor(db, h, ProcessorConfig{RetryBase: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// killEvent drives ev to dead through a processor, with a permanent error.
func killEvent(tb testing.TB, db *DB, ev *Event) {
	tb.Helper()
	h := HandlerFunc(func(context.Context, Delivery) error { return Permanent(errors.New("no")) })
	if _, err := statusTestProcessor(tb, db, h).ProcessOne(context.Background(), ev.ID); err != nil {
		tb.Fatal(err)
	}
}
