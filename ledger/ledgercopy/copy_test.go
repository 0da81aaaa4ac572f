package ledgercopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgercopy"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// keys orders each table's rows for comparison.
var keys = map[string][]string{
	"receipts": {"id"}, "events": {"id"}, "attempts": {"id"}, "runs": {"id"}, "jobs": {"name"},
	"alerts": {"id"}, "alert_messages": {"id"}, "rejections": {"source", "reason", "minute"},
	"settings": {"key"}, "admin_actions": {"id"}, "traffic_hours": {"source", "hour"},
	"traffic_sources": {"source"},
}

// TestCopyRoundTripsEveryTable copies a small ledger with rows in every
// table in batches of 3 and compares, table by table and column by
// column, what PostgreSQL holds with what SQLite holds; what the
// PostgreSQL schema has no place for must be reported as skipped, never
// dropped silently.
func TestCopyRoundTripsEveryTable(t *testing.T) {
	path := smallLedger(t)
	src, dst, url := openPair(t, path)
	sum := mustCopy(t, src, dst, 3)
	if !sum.Verified {
		t.Errorf("Verified = false after a copy without error")
	}
	for _, table := range sqliteTables(t, path) {
		if _, ok := ledger.NotExported[table]; ok {
			continue
		}
		key, ok := keys[table]
		if !ok {
			t.Errorf("table %s is neither copied nor in ledger.NotExported: the copy would lose it", table)
			continue
		}
		pgCols := pgColumns(t, url, table)
		srcRows := int64(len(sqliteRows(t, path, table, key, key)))
		if len(pgCols) == 0 {
			if !skipped(sum, table, nil, srcRows) {
				t.Errorf("table %s (%d rows) has no PostgreSQL table and is not in Skipped %+v", table, srcRows, sum.Skipped)
			}
			continue
		}
		var cols, missing []string
		for _, c := range sqliteColumns(t, path, table) {
			switch {
			case slices.Contains(pgCols, c):
				cols = append(cols, c)
			default:
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 && !skipped(sum, table, missing, srcRows) {
			t.Errorf("columns %s.%v have no PostgreSQL column and are not in Skipped %+v", table, missing, sum.Skipped)
		}
		compareRows(t, table, sqliteRows(t, path, table, cols, key), pgRows(t, url, table, cols, key))
	}
	if n := dictFrames(t, path); n == 0 {
		t.Errorf("no payload in the fixture is compressed with a dictionary: nothing checks those")
	}
	compareFirstReceipts(t, path, url)
	compareThroughAPI(t, src, dst)
}

// dictFrames counts the SQLite ledger's payloads whose zstd frame names
// a dictionary.
func dictFrames(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, r := range sqliteRows(t, path, "payloads WHERE encoding = 'zstd'", []string{"data"}, []string{"event_row"}) {
		var h zstd.Header
		if err := h.Decode(r[0].([]byte)); err != nil {
			t.Fatal(err)
		}
		if h.DictionaryID != 0 {
			n++
		}
	}
	return n
}

// TestCopiedTrafficFoldsAsTheSource: the PostgreSQL ledger's fold after
// the copy counts none of the copied events again (its cursor counts
// receipt times where SQLite's counts row ids): its hourly traffic stays
// the SQLite ledger's.
func TestCopiedTrafficFoldsAsTheSource(t *testing.T) {
	path := smallLedger(t)
	src, _, url := openPair(t, path)
	clock := ledgertest.NewClock(t0.Add(49 * time.Hour))
	dst, err := postgres.Open(ctx, url, postgres.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	mustCopy(t, src, dst, 0)
	if err := dst.FoldTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	since := t0.Add(-24 * time.Hour)
	want, err := src.Traffic(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Traffic(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("traffic on PostgreSQL after its fold:")
		for s, g := range got {
			t.Errorf("  %s: %+v", s, *g)
		}
		for s, w := range want {
			t.Errorf("  want %s: %+v", s, *w)
		}
	}
}

// sqliteTables lists the SQLite ledger's tables.
func sqliteTables(t *testing.T, path string) []string {
	var out []string
	for _, r := range sqliteRows(t, path, "sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", []string{"name"}, []string{"name"}) {
		out = append(out, r[0].(string))
	}
	if len(out) < 10 {
		t.Fatalf("sqlite tables = %v, want the ledger's", out)
	}
	return out
}

// skipped reports whether sum lists table (and cols, when given) as
// skipped with its row count.
func skipped(sum *ledgercopy.Summary, table string, cols []string, rows int64) bool {
	for _, s := range sum.Skipped {
		if s.Table == table && s.Rows == rows && slices.Equal(s.Columns, cols) {
			return true
		}
	}
	return false
}

func compareRows(t *testing.T, table string, want, got [][]any) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: the fixture has no rows: nothing compared", table)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d rows on PostgreSQL, want %d", table, len(got), len(want))
		return
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s row %d = %v, want %v", table, i, got[i], want[i])
		}
	}
}

// compareFirstReceipts checks that each event's first receipt, on its
// events row in SQLite, is on the same events row on PostgreSQL, and that
// the fixture has such receipts to compare.
func compareFirstReceipts(t *testing.T, path, url string) {
	t.Helper()
	cols := []string{"id", "source", "event_id", "receipt_status", "receipt_addr", "receipt_size", "receipt_us", "receipt_at"}
	want := sqliteRows(t, path, "events WHERE receipt_at != 0", cols, []string{"id"})
	if len(want) == 0 {
		t.Fatal("no event in the fixture has its first receipt on its row: nothing checks those")
	}
	compareRows(t, "first receipts", want, pgRows(t, url, "events WHERE receipt_at <> 0", cols, []string{"id"}))
}

// compareThroughAPI reads every event back through each backend's own
// API: the payload bytes, the event's fields, its receipts and attempts.
func compareThroughAPI(t *testing.T, src *ledger.DB, dst interface {
	Event(context.Context, string, string) (*ledger.Event, error)
	Receipts(context.Context, string, string) ([]ledger.Receipt, error)
	Attempts(context.Context, int64) ([]ledger.Attempt, error)
}) {
	t.Helper()
	n, pruned := 0, 0
	for ev, err := range src.Events(ctx, ledger.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		want, err := src.Event(ctx, ev.Source, ev.EventID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.Event(ctx, ev.Source, ev.EventID)
		if err != nil {
			t.Fatalf("PostgreSQL Event(%s/%s) error = %v", ev.Source, ev.EventID, err)
		}
		if !bytes.Equal(got.Payload, want.Payload) {
			t.Errorf("%s payload = %q, want %q", ev.EventID, got.Payload, want.Payload)
		}
		if !want.PayloadPrunedAt.IsZero() {
			pruned++
		}
		g, w := *got, *want
		g.Payload, w.Payload = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("Event(%s) on PostgreSQL = %+v\nwant %+v", ev.EventID, g, w)
		}
		compareReceipts(t, src, want, dst)
		ga, err := dst.Attempts(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		wa, err := src.Attempts(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSlices(ga, wa) {
			t.Errorf("Attempts(%s) = %+v, want %+v", ev.EventID, ga, wa)
		}
	}
	if n != fixtureEvents || pruned == 0 {
		t.Errorf("compared %d events, %d pruned; want the fixture's %d, some pruned", n, pruned, fixtureEvents)
	}
}

func compareReceipts(t *testing.T, src *ledger.DB, ev *ledger.Event, dst interface {
	Receipts(context.Context, string, string) ([]ledger.Receipt, error)
}) {
	t.Helper()
	got, err := dst.Receipts(ctx, ev.Source, ev.EventID)
	if err != nil {
		t.Fatal(err)
	}
	// Both ledgers give the first receipt, on the event row, ID 0.
	want, err := src.Receipts(ctx, ev.Source, ev.EventID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSlices(got, want) {
		t.Errorf("Receipts(%s) = %+v, want %+v", ev.EventID, got, want)
	}
}

// sameSlices is reflect.DeepEqual, but with nil and empty alike.
func sameSlices[T any](a, b []T) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// TestCopyAdvancesSequences: after a copy, what the PostgreSQL ledger
// records next takes ids past every copied one.
func TestCopyAdvancesSequences(t *testing.T) {
	src, dst, url := openPair(t, smallLedger(t))
	mustCopy(t, src, dst, 0)
	maxID := func(table string) int64 {
		rows := pgRows(t, url, table, []string{"COALESCE(max(id), 0)"}, []string{"1"})
		return rows[0][0].(int64)
	}
	events, runs := maxID("events"), maxID("runs")
	ev := &ledger.Event{Source: "stripe", EventID: "evt_after_copy", Payload: []byte(`{}`), CreatedAt: time.Now()}
	if _, err := dst.Record(ctx, ev, &ledger.Receipt{Status: 200}); err != nil {
		t.Fatalf("Record() after the copy error = %v", err)
	}
	if ev.ID <= events {
		t.Errorf("new event id %d, want past the copied %d", ev.ID, events)
	}
	r := &ledger.Run{Source: "stripe", Job: "manual", Since: t0, Until: t0.Add(time.Hour)}
	if err := dst.StartRun(ctx, r); err != nil || r.ID <= runs {
		t.Errorf("StartRun() id %d, %v; want past the copied %d", r.ID, err, runs)
	}
}

// TestCopyResumesAfterCancel stops a copy part way through the events
// (a context cancelled from the progress callback), then runs it again:
// the second run copies only the rest, the counts agree, no row is there
// twice, and a third run copies nothing.
func TestCopyResumesAfterCancel(t *testing.T) {
	src, dst, url := openPair(t, smallLedger(t))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err := ledgercopy.Copy(cctx, src, dst, ledgercopy.Options{Batch: 4, Progress: func(p ledgercopy.Progress) {
		if p.Table == "events" && p.Copied >= 8 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Copy() error = %v, want context.Canceled", err)
	}
	partial := pgRows(t, url, "events", []string{"count(*)"}, []string{"1"})[0][0].(int64)
	if partial < 8 || partial >= fixtureEvents {
		t.Fatalf("%d events copied before the cancel, want some but not all %d", partial, fixtureEvents)
	}
	sum := mustCopy(t, src, dst, 4)
	if got := copied(sum, "events"); got != fixtureEvents-partial {
		t.Errorf("the resumed run copied %d events, want the %d left", got, fixtureEvents-partial)
	}
	for _, tb := range sum.Tables {
		if tb.Destination != tb.Expected || tb.Source == 0 {
			t.Errorf("%s: %d rows on PostgreSQL, want %d (source %d)", tb.Name, tb.Destination, tb.Expected, tb.Source)
		}
	}
	dups := pgRows(t, url, "(SELECT source, event_id FROM events GROUP BY 1, 2 HAVING count(*) > 1) d", []string{"count(*)"}, []string{"1"})
	if dups[0][0].(int64) != 0 {
		t.Errorf("%d events are on PostgreSQL twice", dups[0][0])
	}
	again := mustCopy(t, src, dst, 4)
	for _, tb := range again.Tables {
		if tb.Copied != 0 {
			t.Errorf("a third run copied %d rows of %s, want none", tb.Copied, tb.Name)
		}
	}
}

func copied(sum *ledgercopy.Summary, table string) int64 {
	for _, t := range sum.Tables {
		if t.Name == table {
			return t.Copied
		}
	}
	return -1
}

// TestCopyRefusesALedgerWithRowsOfItsOwn: a PostgreSQL ledger that
// already had events, or other rows, is not a copy in progress; Copy
// writes nothing into it and says why.
func TestCopyRefusesALedgerWithRowsOfItsOwn(t *testing.T) {
	path := smallLedger(t)
	for _, own := range []string{"event", "receipt"} {
		t.Run(own, func(t *testing.T) {
			src, dst, url := openPair(t, path)
			var err error
			if own == "event" {
				_, err = dst.Record(ctx, &ledger.Event{Source: "paddle", EventID: "ntf_own", Payload: []byte(`{}`), CreatedAt: t0}, nil)
			} else {
				err = dst.RecordReceipt(ctx, &ledger.Receipt{Source: "paddle", Outcome: ledger.OutcomeRejected, Status: 401, Reason: "signature"})
			}
			if err != nil {
				t.Fatal(err)
			}
			sum, err := ledgercopy.Copy(ctx, src, dst, ledgercopy.Options{})
			if !errors.Is(err, ledgercopy.ErrForeignDestination) || sum.Verified {
				t.Fatalf("Copy() = verified %v, %v; want ErrForeignDestination", sum.Verified, err)
			}
			if n := pgRows(t, url, "attempts", []string{"count(*)"}, []string{"1"})[0][0].(int64); n != 0 {
				t.Errorf("%d attempts written into a foreign ledger, want none", n)
			}
		})
	}
}

// TestCopyVerifiesCounts: a row lost on PostgreSQL between two runs (one
// below the resume point, which a resumed run does not look at again)
// fails the verification with the table and its counts.
func TestCopyVerifiesCounts(t *testing.T) {
	src, dst, url := openPair(t, smallLedger(t))
	mustCopy(t, src, dst, 0)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM attempts WHERE id = (SELECT min(id) FROM attempts)`); err != nil {
		t.Fatal(err)
	}
	sum, err := ledgercopy.Copy(ctx, src, dst, ledgercopy.Options{})
	if !errors.Is(err, ledgercopy.ErrMismatch) || sum.Verified {
		t.Fatalf("Copy() = verified %v, %v; want ErrMismatch", sum.Verified, err)
	}
	n := len(sqliteRows(t, src.Path(), "attempts", []string{"id"}, []string{"id"}))
	if want := fmt.Sprintf("attempts: %d rows on PostgreSQL, want %d", n-1, n); !strings.Contains(err.Error(), want) {
		t.Errorf("Copy() error = %q, want it to say %q", err, want)
	}
}

// TestCopyCarriesTrafficOver: the copy's traffic (the hourly counts of
// live events that silence detection reads) equals the source's: what
// SQLite already folded is not counted again by PostgreSQL's fold, which
// goes by receipt time where SQLite's goes by row id.
func TestCopyCarriesTrafficOver(t *testing.T) {
	path := smallLedger(t)
	src, dst, _ := openPair(t, path)
	mustCopy(t, src, dst, 3)
	since := t0.Add(-24 * time.Hour)
	want, err := src.Traffic(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Traffic(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the source ledger has no traffic: the test checks nothing")
	}
	for source, w := range want {
		g := got[source]
		if g == nil || !maps.Equal(g.Hours, w.Hours) || !g.LastAt.Equal(w.LastAt) {
			t.Errorf("traffic of %s on PostgreSQL = %+v, want %+v", source, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("PostgreSQL has traffic for %d sources, SQLite %d", len(got), len(want))
	}
}
