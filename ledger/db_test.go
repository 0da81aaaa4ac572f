package ledger

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// TestWriteBatchIsolatesFailures checks the savepoint per write: a failing
// write in a group transaction undoes only its own changes.
func TestWriteBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	for i := 0; i < 2; i++ {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open() #%d error = %v", i+1, err)
		}
		db.Close()
	}
}

// TestReadOnlyWriterIsUnavailable makes the write connection refuse writes
// the way a read-only file does (SQLITE_READONLY): Record must fail with
// ErrUnavailable, which the receiver answers 503.
func TestReadOnlyWriterIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Record(ctx, &Event{Source: "stripe", EventID: "evt_ro", Payload: []byte("{}")}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Record() on a read-only writer error = %v, want ErrUnavailable", err)
	}
}
