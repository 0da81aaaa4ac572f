package ledgertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// NewEvent returns a new Stripe invoice.paid webhook event with id, as the
// receiver would record it.
func NewEvent(id string) *ledger.Event {
	return &ledger.Event{
		Source:    "stripe",
		EventID:   id,
		Type:      "invoice.paid",
		Payload:   []byte(`{"id":"` + id + `","object":"event",  "type":"invoice.paid"}` + "\n"),
		CreatedAt: time.Unix(1700000000, 0).UTC(),
		Origin:    ledger.OriginWebhook,
	}
}

func testRecordNewThenDuplicate(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)

	ev := NewEvent("evt_1")
	rc := &ledger.Receipt{Status: 200, RemoteAddr: "127.0.0.1:1234", BodySize: len(ev.Payload)}
	isNew, err := db.Record(ctx, ev, rc)
	if err != nil || !isNew {
		t.Fatalf("Record() = %v, %v, want true, nil", isNew, err)
	}
	if ev.ID == 0 || ev.State != ledger.StatePending || ev.ReceivedAt.IsZero() {
		t.Errorf("Record() left ID=%d State=%q ReceivedAt=%v", ev.ID, ev.State, ev.ReceivedAt)
	}
	if rc.Outcome != ledger.OutcomeAccepted {
		t.Errorf("receipt outcome = %q, want accepted", rc.Outcome)
	}

	dup := NewEvent("evt_1")
	dup.Payload = []byte(`{"id":"evt_1","changed":true}`)
	rc2 := &ledger.Receipt{Status: 200}
	isNew, err = db.Record(ctx, dup, rc2)
	if err != nil || isNew {
		t.Fatalf("second Record() = %v, %v, want false, nil", isNew, err)
	}
	if dup.ID != ev.ID || rc2.Outcome != ledger.OutcomeDuplicate {
		t.Errorf("duplicate: ID=%d (want %d), outcome=%q", dup.ID, ev.ID, rc2.Outcome)
	}

	got, err := db.Event(ctx, "stripe", "evt_1")
	if err != nil {
		t.Fatalf("Event() error = %v", err)
	}
	if !bytes.Equal(got.Payload, ev.Payload) {
		t.Errorf("payload = %q, want the first delivery's bytes %q", got.Payload, ev.Payload)
	}
	if got.Type != "invoice.paid" || !got.CreatedAt.Equal(ev.CreatedAt) || got.Origin != ledger.OriginWebhook {
		t.Errorf("Event() = %+v", got)
	}
	rcs, err := db.Receipts(ctx, "stripe", "evt_1")
	if err != nil {
		t.Fatalf("Receipts() error = %v", err)
	}
	if len(rcs) != 2 || rcs[0].Outcome != ledger.OutcomeAccepted || rcs[1].Outcome != ledger.OutcomeDuplicate {
		t.Errorf("Receipts() = %+v, want accepted then duplicate", rcs)
	}
}

func testRecordConcurrentDuplicatesLeaveOneRow(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	const n = 50
	var wg sync.WaitGroup
	news := make(chan bool, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			isNew, err := db.Record(ctx, NewEvent("evt_same"), &ledger.Receipt{Status: 200})
			if err != nil {
				t.Errorf("Record() error = %v", err)
			}
			news <- isNew
		}()
	}
	wg.Wait()
	close(news)
	count := 0
	for isNew := range news {
		if isNew {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d Record() calls reported new, want exactly 1", count)
	}
	var rows int
	for _, err := range db.Events(ctx, ledger.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		rows++
	}
	if rows != 1 {
		t.Errorf("events = %d, want 1", rows)
	}
	rcs, _ := db.Receipts(ctx, "stripe", "evt_same")
	if len(rcs) != n {
		t.Errorf("receipts = %d, want %d", len(rcs), n)
	}
}

func testRecordManyConcurrentAllDurable(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	const n = 400
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := db.Record(ctx, NewEvent(fmt.Sprintf("evt_%03d", i)), &ledger.Receipt{Status: 200}); err != nil {
				t.Errorf("Record(%d) error = %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	// Reopen: what Record acknowledged is durable.
	db2 := d.reopen(t, db)
	for i := 0; i < n; i++ {
		if _, err := db2.Event(ctx, "stripe", fmt.Sprintf("evt_%03d", i)); err != nil {
			t.Errorf("after reopen, Event(evt_%03d) error = %v", i, err)
		}
	}
}

func testRecordAfterCloseFails(t *testing.T, d Driver) {
	db := d.open(t)
	db.Close()
	_, err := db.Record(context.Background(), NewEvent("evt_x"), nil)
	if !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Record() after Close error = %v, want ErrClosed", err)
	}
}

func testRecordRejectsMissingID(t *testing.T, d Driver) {
	db := d.open(t)
	ev := NewEvent("")
	if _, err := db.Record(context.Background(), ev, nil); err == nil {
		t.Error("Record() with empty event id succeeded, want error")
	}
}

func testRecordLedgerOnly(t *testing.T, d Driver) {
	db := d.open(t)
	if _, err := db.SetMode(context.Background(), ledger.ModeLedgerOnly); err != nil {
		t.Fatal(err)
	}
	ev := NewEvent("evt_lo")
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.Event(context.Background(), "stripe", "evt_lo")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != ledger.StateProcessed || got.ProcessedAt.IsZero() {
		t.Errorf("ledger-only Record stored state %q processed_at %v, want processed", got.State, got.ProcessedAt)
	}
}

func testRecordReceiptRejected(t *testing.T, d Driver) {
	db := d.open(t)
	rc := &ledger.Receipt{Source: "github", Outcome: ledger.OutcomeRejected, Reason: "signature: bad", Status: 401}
	if err := db.RecordReceipt(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	rcs, err := db.Receipts(context.Background(), "github", "")
	if err != nil || len(rcs) != 1 || rcs[0].Status != 401 || rcs[0].Outcome != ledger.OutcomeRejected {
		t.Errorf("Receipts() = %+v, %v", rcs, err)
	}
}

func testEventNotFound(t *testing.T, d Driver) {
	db := d.open(t)
	_, err := db.Event(context.Background(), "stripe", "evt_nope")
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Event() error = %v, want ErrNotFound", err)
	}
}

// testRecordBatchMixesNewAndDuplicates records, concurrently so that they
// share group transactions, events that are new, already stored, repeated
// within the batch, and the same id under another source.
func testRecordBatchMixesNewAndDuplicates(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	if _, err := db.Record(ctx, NewEvent("evt_old"), nil); err != nil {
		t.Fatal(err)
	}
	type call struct {
		source, id string
	}
	calls := []call{{"stripe", "evt_old"}, {"github", "evt_old"}, {"stripe", "evt_new"}, {"stripe", "evt_new"},
		{"stripe", "evt_new"}, {"github", "evt_other"}}
	for round := 0; round < 20; round++ {
		suffix := fmt.Sprintf("_%d", round)
		var wg sync.WaitGroup
		news := make([]bool, len(calls))
		ids := make([]int64, len(calls))
		for i, c := range calls {
			wg.Go(func() {
				id := c.id
				if id != "evt_old" {
					id += suffix
				}
				ev := NewEvent(id)
				ev.Source = c.source
				isNew, err := db.Record(ctx, ev, &ledger.Receipt{Status: 200})
				if err != nil {
					t.Errorf("Record(%s %s) error = %v", c.source, id, err)
				}
				news[i], ids[i] = isNew, ev.ID
			})
		}
		wg.Wait()
		newCount := map[call]int{}
		rowIDs := map[call]map[int64]bool{}
		for i, c := range calls {
			if news[i] {
				newCount[c]++
			}
			if rowIDs[c] == nil {
				rowIDs[c] = map[int64]bool{}
			}
			rowIDs[c][ids[i]] = true
		}
		want := map[call]int{{"stripe", "evt_old"}: 0, {"github", "evt_old"}: 0, {"stripe", "evt_new"}: 1, {"github", "evt_other"}: 1}
		if round == 0 {
			want[call{"github", "evt_old"}] = 1
		}
		for c, n := range want {
			if newCount[c] != n {
				t.Errorf("round %d: %v reported new %d times, want %d", round, c, newCount[c], n)
			}
			if len(rowIDs[c]) != 1 || rowIDs[c][0] {
				t.Errorf("round %d: %v got row ids %v, want one non-zero id", round, c, rowIDs[c])
			}
		}
	}
}

var recordCases = []testCase{
	{"RecordNewThenDuplicate", testRecordNewThenDuplicate},
	{"RecordConcurrentDuplicatesLeaveOneRow", testRecordConcurrentDuplicatesLeaveOneRow},
	{"RecordManyConcurrentAllDurable", testRecordManyConcurrentAllDurable},
	{"RecordAfterCloseFails", testRecordAfterCloseFails},
	{"RecordRejectsMissingID", testRecordRejectsMissingID},
	{"RecordLedgerOnly", testRecordLedgerOnly},
	{"RecordReceiptRejected", testRecordReceiptRejected},
	{"EventNotFound", testEventNotFound},
	{"RecordBatchMixesNewAndDuplicates", testRecordBatchMixesNewAndDuplicates},
	{"HealthAndPingUntilClose", testHealthAndPingUntilClose},
}

// testHealthAndPingUntilClose: an open backend answers Ping and Health;
// after Close both return ErrClosed (the receiver answers 503).
func testHealthAndPingUntilClose(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	if err := db.Health(ctx); err != nil {
		t.Errorf("Health() of a fresh ledger = %v, want nil", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping() of a fresh ledger = %v, want nil", err)
	}
	db.Close()
	if err := db.Health(ctx); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Health() after Close = %v, want ErrClosed", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Ping() after Close = %v, want ErrClosed", err)
	}
}
