package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// The same event sent to two instances at the same instant is stored
// once: exactly one Record reports it new, both learn the same row id, and
// the receipts say one accepted and one duplicate.
func TestRecordDuplicateFromTwoPoolsStoredOnce(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	ctx := context.Background()
	const n = 200
	var newCount [n]atomic.Int32
	var ids [n][2]int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		for side, db := range []*postgres.DB{a, b} {
			wg.Go(func() {
				<-start
				ev := newEvent("stripe", fmt.Sprintf("evt_%03d", i), t0)
				isNew, err := db.Record(ctx, ev, &ledger.Receipt{Status: 200})
				if err != nil {
					t.Errorf("Record() error = %v", err)
					return
				}
				if isNew {
					newCount[i].Add(1)
				}
				ids[i][side] = ev.ID
			})
		}
	}
	close(start)
	wg.Wait()
	for i := range n {
		if got := newCount[i].Load(); got != 1 {
			t.Errorf("evt_%03d: Record() new %d times, want 1", i, got)
		}
		if ids[i][0] == 0 || ids[i][0] != ids[i][1] {
			t.Errorf("evt_%03d: ids %v, want one row id", i, ids[i])
		}
		rcs, err := a.Receipts(ctx, "stripe", fmt.Sprintf("evt_%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[ledger.Outcome]int{}
		for _, rc := range rcs {
			outcomes[rc.Outcome]++
		}
		if outcomes[ledger.OutcomeAccepted] != 1 || outcomes[ledger.OutcomeDuplicate] != 1 {
			t.Errorf("evt_%03d receipts %v, want one accepted and one duplicate", i, outcomes)
		}
	}
	if got := countRows(t, url, "events"); got != n {
		t.Errorf("events rows = %d, want %d", got, n)
	}
}

// Concurrent Records share transactions, and a duplicate inside one batch
// is told apart from the request that inserted the row.
func TestRecordConcurrentRequestsShareCommits(t *testing.T) {
	t.Parallel()
	db, url := openFresh(t)
	ctx := context.Background()
	const n, copies = 300, 3
	var news atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n * copies {
		wg.Go(func() {
			<-start
			isNew, err := db.Record(ctx, newEvent("github", fmt.Sprintf("d-%d", i%n), t0), nil)
			if err != nil {
				t.Errorf("Record() error = %v", err)
			}
			if isNew {
				news.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := news.Load(); got != n {
		t.Errorf("new events = %d, want %d", got, n)
	}
	if got := countRows(t, url, "events"); got != n {
		t.Errorf("events rows = %d, want %d", got, n)
	}
	if c := postgres.IntakeCommits(db); c >= n*copies {
		t.Errorf("intake commits = %d for %d concurrent requests, want shared commits", c, n*copies)
	} else {
		t.Logf("%d concurrent Records in %d commits", n*copies, c)
	}
}

func TestRecordFillsTheEventAndKeepsThePayload(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	ev := newEvent("stripe", "evt_1", t0)
	ev.Payload = []byte{0, 1, 2, 0xff}
	isNew, err := db.Record(ctx, ev, nil)
	if err != nil || !isNew {
		t.Fatalf("Record() = %v, %v; want true, nil", isNew, err)
	}
	if ev.ID == 0 || ev.State != ledger.StatePending || ev.ReceivedAt.IsZero() || ev.Origin != ledger.OriginWebhook {
		t.Errorf("Record() left event %+v", ev)
	}
	got := mustEvent(t, db, "stripe", "evt_1")
	if string(got.Payload) != string(ev.Payload) || got.Headers["X-Test"] != "evt_1" || !got.CreatedAt.Equal(t0) ||
		got.ID != ev.ID || !got.ReceivedAt.Equal(ev.ReceivedAt) {
		t.Errorf("Event() = %+v, want the recorded event", got)
	}
	// A ledger whose mode is ledger-only (evt_1 waits here, so another).
	lo, _ := openFresh(t)
	if _, err := lo.SetMode(ctx, ledger.ModeLedgerOnly); err != nil {
		t.Fatal(err)
	}
	ev2 := newEvent("stripe", "evt_2", t0)
	if _, err := lo.Record(ctx, ev2, nil); err != nil {
		t.Fatal(err)
	}
	if got := mustEvent(t, lo, "stripe", "evt_2"); got.State != ledger.StateProcessed || got.ProcessedAt.IsZero() {
		t.Errorf("ledger-only event state %s processed at %v, want processed", got.State, got.ProcessedAt)
	}
	if _, err := db.Event(ctx, "stripe", "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Event(unknown) error = %v, want ErrNotFound", err)
	}
}

// Every intake connection commits synchronously, even when the connection
// string asks otherwise.
func TestIntakeCommitsSynchronously(t *testing.T) {
	t.Parallel()
	_, url := openFresh(t)
	db := mustOpen(t, url+"&synchronous_commit=off", postgres.Options{})
	if got := postgres.Setting(t, db, "synchronous_commit"); got != "on" {
		t.Errorf("synchronous_commit = %q, want on", got)
	}
}

func TestRecordAfterCloseFails(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	db.Close()
	if _, err := db.Record(context.Background(), newEvent("stripe", "evt_x", t0), nil); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Record() after Close error = %v, want ErrClosed", err)
	}
}

func countRows(tb testing.TB, url, table string) int {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// An accepted delivery's receipt is on its event row, not a receipts row
// (migration 004); a receipt accepted before that, a receipts row of its
// own, is still listed first, before the duplicates, and pruned with its
// event.
func TestFirstReceiptOnTheEventRow(t *testing.T) {
	t.Parallel()
	db, url := openFresh(t)
	ctx := context.Background()
	rc := &ledger.Receipt{Status: 200, RemoteAddr: "192.0.2.1:1", BodySize: 17, ReceivedAt: t0}
	if _, err := db.Record(ctx, newEvent("stripe", "evt_new", t0), rc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Record(ctx, newEvent("stripe", "evt_old", t0), nil); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM receipts`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("receipts rows after one accepted delivery = %d, %v; want none", rows, err)
	}
	// evt_old as a ledger before migration 004 holds it.
	if _, err := conn.Exec(ctx, `INSERT INTO receipts (source, event_id, outcome, status, received_at)
		VALUES ('stripe', 'evt_old', 'accepted', 200, $1)`, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"evt_new", "evt_old"} {
		if _, err := db.Record(ctx, newEvent("stripe", id, t0), &ledger.Receipt{Status: 200, ReceivedAt: t0.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		rcs, err := db.Receipts(ctx, "stripe", id)
		if err != nil || len(rcs) != 2 || rcs[0].Outcome != ledger.OutcomeAccepted || rcs[1].Outcome != ledger.OutcomeDuplicate ||
			!rcs[0].ReceivedAt.Equal(t0) || rcs[0].Status != 200 {
			t.Errorf("Receipts(%s) = %+v, %v; want accepted at t0, then duplicate", id, rcs, err)
		}
	}
	rcs, _ := db.Receipts(ctx, "stripe", "evt_new")
	if len(rcs) > 0 && (rcs[0].ID != 0 || rcs[0].RemoteAddr != rc.RemoteAddr || rcs[0].BodySize != rc.BodySize) {
		t.Errorf("first receipt of evt_new = %+v, want ID 0 and the request's address and size", rcs[0])
	}
	// Purged (the same deletion as retention's), each event takes both
	// its receipts: evt_new's on its row and its duplicate's, evt_old's
	// two rows.
	if _, err := conn.Exec(ctx, `UPDATE events SET state = 'dead'`); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		rep, err := db.PurgeDead(ctx, ledger.PurgeFilter{DryRun: dry})
		if err != nil || rep.Events != 2 || rep.Receipts != 4 {
			t.Errorf("PurgeDead(dry run %v) = %+v, %v; want 2 events, 4 receipts", dry, rep, err)
		}
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM receipts`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("receipts rows after the purge = %d, %v; want none", rows, err)
	}
}

// TestRecordLookupFailureFailsOnlyDuplicates: when a batch's statement
// committed but the lookup of the rows already there fails, the new
// events of the batch are answered as stored (they are), and only the
// duplicates, left without a row, fail.
func TestRecordLookupFailureFailsOnlyDuplicates(t *testing.T) {
	db, _ := openFresh(t)
	mustRecord(t, db, newEvent("stripe", "evt_old", t0))
	isNew, errs := postgres.RecordBatchFailingLookup(t, db, []*ledger.Event{
		newEvent("stripe", "evt_old", t0), newEvent("stripe", "evt_new", t0),
	})
	if errs[0] == nil {
		t.Errorf("the duplicate, whose row was not looked up: nil error, want the lookup's")
	}
	if errs[1] != nil || !isNew[1] {
		t.Errorf("the new event of the committed batch: new %v, %v; want new, nil", isNew[1], errs[1])
	}
	if ev := mustEvent(t, db, "stripe", "evt_new"); ev.ID == 0 {
		t.Errorf("evt_new not in the ledger: %+v", ev)
	}
}
