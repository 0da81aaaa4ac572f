package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// mustOpen opens the ledger at url and closes it at the end of tb.
func mustOpen(tb testing.TB, url string, opts postgres.Options) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("Open() error = %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// openFresh opens a ledger in a schema of its own.
func openFresh(tb testing.TB) (*postgres.DB, string) {
	tb.Helper()
	url := pgtest.ConnString(tb)
	return mustOpen(tb, url, postgres.Options{}), url
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newEvent(source, id string, created time.Time) *ledger.Event {
	return &ledger.Event{Source: source, EventID: id, Type: "invoice.paid",
		Payload: fmt.Appendf(nil, `{"id":%q}`, id), CreatedAt: created,
		Headers: map[string]string{"X-Test": id}}
}

func mustRecord(tb testing.TB, db *postgres.DB, ev *ledger.Event) {
	tb.Helper()
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		tb.Fatalf("Record(%s) error = %v", ev.EventID, err)
	}
}

func mustEvent(tb testing.TB, db *postgres.DB, source, id string) *ledger.Event {
	tb.Helper()
	ev, err := db.Event(context.Background(), source, id)
	if err != nil {
		tb.Fatalf("Event(%s) error = %v", id, err)
	}
	return ev
}
