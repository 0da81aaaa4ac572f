package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// ExportTable is one table of the ledger as an Export reads it: its name,
// the columns each row carries, in order, and the columns of its key, in
// the order rows come (keyset paging).
type ExportTable struct {
	Name    string
	Columns []string
	Key     []string
}

// exportTables are the ledger's tables in the order a copy writes them
// (a row after the rows it refers to; events first, so that a ledger
// with no events yet is one a copy has not started), with their keys. The events table
// carries each event's payload, decoded, as a last column "payload": the
// payloads table is not exported on its own.
var exportTables = []ExportTable{
	{Name: "events", Key: []string{"id"}},
	{Name: "receipts", Key: []string{"id"}},
	{Name: "attempts", Key: []string{"id"}},
	{Name: "runs", Key: []string{"id"}},
	{Name: "jobs", Key: []string{"name"}},
	{Name: "alerts", Key: []string{"id"}},
	{Name: "alert_messages", Key: []string{"id"}},
	{Name: "rejections", Key: []string{"source", "reason", "minute"}},
	{Name: "settings", Key: []string{"key"}},
	{Name: "admin_actions", Key: []string{"id"}},
	{Name: "traffic_hours", Key: []string{"source", "hour"}},
	{Name: "traffic_sources", Key: []string{"source"}},
}

// NotExported names the ledger's tables an Export does not read, each
// with the reason: what they hold is elsewhere in the export, derived
// from it, or a property of this one file.
var NotExported = map[string]string{
	"payloads":      "each payload is the events table's payload column, decoded",
	"event_counts":  "derived: counts of events per source and state, kept by triggers",
	"writer_probe":  "the health probe's scratch row",
	"migrations":    "the SQLite schema's own history",
	"payload_dicts": "each payload is exported decoded, so the dictionaries it was compressed with are not needed",
	"leader":        "held by running instances, not history: the copy's instances take their own",
	"traffic_cursor": "how far SQLite's traffic fold got, as a row id; a copy carries it over as " +
		"Export.TrafficFoldedBefore, in receipt time",
}

// Export is a consistent, read-only snapshot of the whole ledger, taken
// when BeginExport returns: a live writer keeps committing, unseen by it.
// Its methods read keyset-paged batches, so memory stays bounded however
// large the ledger. It holds one read connection until Close.
type Export struct {
	db     *DB // decodes payloads, with the dictionaries they name
	tx     *sql.Tx
	tables []ExportTable
}

// BeginExport opens a snapshot of the ledger for reading every table. It
// writes nothing, so it works on a ledger opened with OpenReadOnly while
// serve runs; the snapshot holds back WAL checkpoints until Close, which
// the caller must call.
func (db *DB) BeginExport(ctx context.Context) (*Export, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin export: %w", translate(err))
	}
	x := &Export{db: db, tx: tx}
	// The first read fixes the snapshot every later read sees.
	for _, t := range exportTables {
		cols, err := x.columns(ctx, t.Name)
		if err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("begin export: %w", err)
		}
		if t.Name == "events" {
			cols = append(cols, "payload")
		}
		t.Columns = cols
		x.tables = append(x.tables, t)
	}
	return x, nil
}

// columns returns table's columns in schema order.
func (x *Export) columns(ctx context.Context, table string) ([]string, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, translate(err)
	}
	var cols []string
	err = scanRows(rows, func(rows *sql.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		cols = append(cols, c)
		return nil
	})
	if err == nil && len(cols) == 0 {
		err = fmt.Errorf("no table %s", table)
	}
	return cols, err
}

// Tables returns the tables the export reads, in the order a copy should
// write them, with their columns.
// TrafficFoldedBefore returns the receipt time, in Unix milliseconds,
// before which every live event of the snapshot is counted in
// traffic_hours (0 when none is): the traffic fold's position, which
// SQLite keeps as a row id, in the terms of a backend that folds by
// receipt time.
func (x *Export) TrafficFoldedBefore(ctx context.Context) (int64, error) {
	var ms int64
	err := x.tx.QueryRowContext(ctx, `SELECT coalesce(max(received_at) + 1, 0) FROM events
		WHERE origin = 'webhook' AND id <= (SELECT last_row FROM traffic_cursor WHERE id = 1)`).Scan(&ms)
	if err != nil {
		return 0, fmt.Errorf("export traffic position: %w", translate(err))
	}
	return ms, nil
}

func (x *Export) Tables() []ExportTable { return slices.Clone(x.tables) }

// Table returns the table called name; false when the export has none.
func (x *Export) Table(name string) (ExportTable, bool) {
	i := slices.IndexFunc(x.tables, func(t ExportTable) bool { return t.Name == name })
	if i < 0 {
		return ExportTable{}, false
	}
	return x.tables[i], true
}

// Count returns how many rows table has in the snapshot.
func (x *Export) Count(ctx context.Context, table string) (int64, error) {
	if _, ok := x.Table(table); !ok {
		return 0, fmt.Errorf("export: no table %s", table)
	}
	var n int64
	if err := x.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("export: count %s: %w", table, translate(err))
	}
	return n, nil
}

// Close ends the snapshot and releases its connection.
func (x *Export) Close() error {
	if err := x.tx.Rollback(); err != nil && err != sql.ErrTxDone {
		return fmt.Errorf("end export: %w", err)
	}
	return nil
}

// EventKey is what identifies an event across ledgers: its row id and
// its source and provider event id.
type EventKey struct {
	ID      int64
	Source  string
	EventID string
}

// EventKeys returns the keys of up to limit events after row id after,
// in id order.
func (x *Export) EventKeys(ctx context.Context, after int64, limit int) ([]EventKey, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT id, source, event_id FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("export: event keys: %w", translate(err))
	}
	var out []EventKey
	err = scanRows(rows, func(rows *sql.Rows) error {
		var k EventKey
		if err := rows.Scan(&k.ID, &k.Source, &k.EventID); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: event keys: %w", err)
	}
	return out, nil
}
