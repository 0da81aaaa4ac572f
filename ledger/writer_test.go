package ledger

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
)

// TestWriteBatchIsolatesFailures checks the savepoint per write: a failing
// write in a group transaction undoes only its own changes.
func TestWriteBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO receipts (source, outcome, status, received_at)
					VALUES ('s', 'rejected', ?, 0)`, i); err != nil {
					return err
				}
				if i%2 == 1 {
					return boom
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 1 && !errors.Is(err, boom) {
			t.Errorf("write %d error = %v, want boom", i, err)
		}
		if i%2 == 0 && err != nil {
			t.Errorf("write %d error = %v, want nil", i, err)
		}
	}
	var n, odd int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status % 2), 0) FROM receipts`).Scan(&n, &odd); err != nil {
		t.Fatal(err)
	}
	if n != 32 || odd != 0 {
		t.Errorf("committed %d rows (%d from failed writes), want 32 (0)", n, odd)
	}
}

// TestWriteFailureSparesRecordsInBatch puts a Record and a failing write in
// one group transaction: the write's error must not undo the Record nor be
// returned to its caller.
func TestWriteFailureSparesRecordsInBatch(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	boom := errors.New("boom")
	ev := &Event{Source: "stripe", EventID: "evt_batch", Origin: OriginWebhook, Payload: []byte("{}")}
	batch := []writeOp{
		{ctx: ctx, rec: &recordReq{ev: ev, headers: "{}", state: StatePending}, done: make(chan error, 1)},
		{ctx: ctx, fn: func(context.Context, *sql.Tx) error { return boom }, done: make(chan error, 1)},
	}
	// The writer goroutine is idle (nothing is queued), so the test may
	// stand in for it.
	db.commit(batch)
	if err := <-batch[0].done; err != nil {
		t.Errorf("Record in the batch error = %v, want nil", err)
	}
	if err := <-batch[1].done; !errors.Is(err, boom) {
		t.Errorf("failing write error = %v, want boom", err)
	}
	if _, err := db.Event(ctx, "stripe", "evt_batch"); err != nil {
		t.Errorf("Event() after the batch error = %v, want the recorded event", err)
	}
}
