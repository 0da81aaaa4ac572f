package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// openTestDB opens a ledger in a temporary directory, closed at the end of
// the test.
func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
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
	db := openTestDB(t)
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Record(ctx, &Event{Source: "stripe", EventID: "evt_ro", Payload: []byte("{}")}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Record() on a read-only writer error = %v, want ErrUnavailable", err)
	}
}
