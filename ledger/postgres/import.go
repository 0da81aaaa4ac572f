package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookledger/hookledger/ledger"
)

// Import writes rows copied from another ledger (a SQLite one, through
// ledger.Export) into this one, in bulk: each batch is COPYed into a
// temporary staging table and moved with INSERT … SELECT … ON CONFLICT DO
// NOTHING, so writing a batch again inserts nothing, and a copy that was
// interrupted can simply run again. Row ids are kept as they are; AdvanceSequences
// then moves the identity sequences past them. An Import holds one
// connection until Close; it is not safe for concurrent use.
type Import struct {
	conn   *pgxpool.Conn
	tables map[string]map[string]string // table → column → data type, of this ledger's schema
	staged map[string][]string          // staging table → its columns, once created
}

// BeginImport starts an import into db.
func (db *DB) BeginImport(ctx context.Context) (*Import, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", translate(err))
	}
	im := &Import{conn: conn, tables: map[string]map[string]string{}, staged: map[string][]string{}}
	rows, err := conn.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("begin import: %w", translate(err))
	}
	var table, col, typ string
	_, err = pgx.ForEachRow(rows, []any{&table, &col, &typ}, func() error {
		if im.tables[table] == nil {
			im.tables[table] = map[string]string{}
		}
		im.tables[table][col] = typ
		return nil
	})
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("begin import: %w", translate(err))
	}
	return im, nil
}

// Close releases the import's connection, and its staging tables with it.
func (im *Import) Close() {
	if im.conn != nil {
		// Staging tables are the session's: drop them with it rather
		// than hand the pool a connection that still has them.
		_ = im.conn.Conn().Close(context.Background())
		im.conn.Release()
		im.conn = nil
	}
}

// Columns returns the columns of table in this ledger's schema, sorted;
// false when the schema has no such table.
func (im *Import) Columns(table string) ([]string, bool) {
	cols, ok := im.tables[table]
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(cols))
	for c := range cols {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, true
}

// Count returns how many rows table has.
func (im *Import) Count(ctx context.Context, table string) (int64, error) {
	if _, ok := im.tables[table]; !ok {
		return 0, fmt.Errorf("import: no table %s", table)
	}
	var n int64
	if err := im.conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("import: count %s: %w", table, translate(err))
	}
	return n, nil
}

// MaxKey returns the largest positive value of table's integer column
// key, the point a keyset copy in key order resumes after; false when
// table has no row with a positive key.
func (im *Import) MaxKey(ctx context.Context, table, key string) (int64, bool, error) {
	if _, ok := im.tables[table][key]; !ok {
		return 0, false, fmt.Errorf("import: no column %s.%s", table, key)
	}
	var n *int64
	q := `SELECT max(` + pgx.Identifier{key}.Sanitize() + `) FROM ` + pgx.Identifier{table}.Sanitize() +
		` WHERE ` + pgx.Identifier{key}.Sanitize() + ` > 0`
	if err := im.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("import: resume point of %s: %w", table, translate(err))
	}
	if n == nil {
		return 0, false, nil
	}
	return *n, true, nil
}

// AdvanceSequences moves every identity sequence of the schema past the
// largest id its table holds, so that rows added after a copy never take
// a copied row's id. It never moves a sequence back.
func (im *Import) AdvanceSequences(ctx context.Context) error {
	rows, err := im.conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name`)
	if err != nil {
		return fmt.Errorf("advance sequences: %w", translate(err))
	}
	idents, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Column string }])
	if err != nil {
		return fmt.Errorf("advance sequences: %w", translate(err))
	}
	for _, id := range idents {
		q := `SELECT setval(s, GREATEST(m, COALESCE(pg_sequence_last_value(s::regclass), 0)))
			FROM (SELECT pg_get_serial_sequence($1, $2) AS s,
				(SELECT max(` + pgx.Identifier{id.Column}.Sanitize() + `) FROM ` + pgx.Identifier{id.Table}.Sanitize() + `) AS m) q
			WHERE m > 0`
		if _, err := im.conn.Exec(ctx, q, pgx.Identifier{id.Table}.Sanitize(), id.Column); err != nil {
			return fmt.Errorf("advance sequences: %s: %w", id.Table, translate(err))
		}
	}
	return nil
}

// EventKeys returns the keys of up to limit events after row id after,
// in id order.
func (im *Import) EventKeys(ctx context.Context, after int64, limit int) ([]ledger.EventKey, error) {
	rows, err := im.conn.Query(ctx, `SELECT id, source, event_id FROM events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("import: event keys: %w", translate(err))
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ledger.EventKey])
	if err != nil {
		return nil, fmt.Errorf("import: event keys: %w", translate(err))
	}
	return keys, nil
}

// SetTrafficFolded sets the traffic fold's cursor: every live event
// received before ms (Unix milliseconds) is already counted in the
// copied traffic_hours, and the fold goes on from there.
func (im *Import) SetTrafficFolded(ctx context.Context, ms int64) error {
	if _, err := im.conn.Exec(ctx, `UPDATE traffic_cursor SET last_row = $1 WHERE id = 1`, ms); err != nil {
		return fmt.Errorf("import: traffic position: %w", translate(err))
	}
	return nil
}
