package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
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

// recordAt records a new event source/id created at created. (Tests of
// the contract use ledgertest.RecordAt; this package's own tests cannot
// import it.)
func recordAt(tb testing.TB, db *DB, source, id string, created time.Time) *Event {
	tb.Helper()
	ev := &Event{Source: source, EventID: id, Type: "test.event", Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: created}
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// readEvent reads the row of ledger id id straight from the file.
func readEvent(tb testing.TB, db *DB, id int64) (r struct{ State State }) {
	tb.Helper()
	if err := db.r.QueryRow(`SELECT state FROM events WHERE id = ?`, id).Scan(&r.State); err != nil {
		tb.Fatal(err)
	}
	return r
}
