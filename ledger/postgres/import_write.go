package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Written is what one Write added.
type Written struct {
	Rows          int64 // rows of the table written to, new ones only
	FirstReceipts int64 // receipts rows made from events' first receipts (see FirstReceiptsAsRows)
}

// Dropped returns the columns of cols that table here has no column for
// and that Write therefore leaves behind (the first-receipt columns of
// events are not among them when FirstReceiptsAsRows moves them).
func (im *Import) Dropped(table string, cols []string) []string {
	var out []string
	for _, c := range cols {
		if _, ok := im.tables[table][c]; !ok && !im.movesFirstReceipt(table, c) {
			out = append(out, c)
		}
	}
	return out
}

func (im *Import) movesFirstReceipt(table, col string) bool {
	return table == "events" && im.FirstReceiptsAsRows() && slices.Contains(firstReceiptColumns, col)
}

// Write adds rows (each its values in the order of cols, as
// ledger.Export yields them) to table in one transaction, skipping every
// row whose key or unique columns are already there, so that writing the
// same rows again adds nothing. Columns table does not have are left
// behind (see Dropped); integers go into boolean columns as true when
// not 0. Ids are written as given, identity columns included.
func (im *Import) Write(ctx context.Context, table string, cols []string, rows [][]any) (Written, error) {
	var w Written
	dest, ok := im.tables[table]
	if !ok {
		return w, fmt.Errorf("import %s: no such table here", table)
	}
	if len(rows) == 0 {
		return w, nil
	}
	var idx, stage, insert []int // positions in cols: staged, and inserted into table
	for i, c := range cols {
		switch {
		case dest[c] != "":
			idx, insert = append(idx, i), append(insert, len(idx))
		case im.movesFirstReceipt(table, c):
			idx = append(idx, i)
		}
	}
	stage = idx
	stageTable, err := im.stagingTable(ctx, table, cols, stage, rows[0])
	if err != nil {
		return w, fmt.Errorf("import %s: %w", table, err)
	}
	err = pgx.BeginFunc(ctx, im.conn, func(tx pgx.Tx) error {
		src := pgx.CopyFromSlice(len(rows), func(r int) ([]any, error) { return stagedRow(dest, cols, stage, rows[r]) })
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageTable}, namesAt(cols, stage), src); err != nil {
			return err
		}
		names := quoted(namesAt(cols, pick(stage, insert)))
		tag, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+` (`+names+`) OVERRIDING SYSTEM VALUE
			SELECT `+names+` FROM `+pgx.Identifier{stageTable}.Sanitize()+` ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		w.Rows = tag.RowsAffected()
		if table == "events" && im.FirstReceiptsAsRows() && slices.Contains(cols, "receipt_at") {
			tag, err := tx.Exec(ctx, `INSERT INTO receipts (id, source, event_id, outcome, status, remote_addr,
				body_size, duration_us, received_at) OVERRIDING SYSTEM VALUE
				SELECT -id, source, event_id, 'accepted', receipt_status, receipt_addr, receipt_size, receipt_us, receipt_at
				FROM `+pgx.Identifier{stageTable}.Sanitize()+` WHERE receipt_at <> 0 ON CONFLICT DO NOTHING`)
			if err != nil {
				return err
			}
			w.FirstReceipts = tag.RowsAffected()
		}
		// ON COMMIT DELETE ROWS empties the staging table.
		return nil
	})
	if err != nil {
		return Written{}, fmt.Errorf("import %s: %w", table, translate(err))
	}
	return w, nil
}

// stagingTable returns the temporary table that batches of table with
// the staged columns are COPYed into, creating it on first use: each
// column in this ledger's type, or, for a column table has not (a first
// receipt's), in the type of sample's value.
func (im *Import) stagingTable(ctx context.Context, table string, cols []string, stage []int, sample []any) (string, error) {
	name := "hookledger_import_" + table
	names := namesAt(cols, stage)
	if have, ok := im.staged[name]; ok {
		if !slices.Equal(have, names) {
			return "", fmt.Errorf("columns changed between batches")
		}
		return name, nil
	}
	defs := make([]string, len(stage))
	for i, c := range stage {
		typ := im.tables[table][cols[c]]
		if typ == "" {
			typ = sqlType(sample[c])
		}
		defs[i] = pgx.Identifier{cols[c]}.Sanitize() + " " + typ
	}
	_, err := im.conn.Exec(ctx, `CREATE TEMPORARY TABLE `+pgx.Identifier{name}.Sanitize()+
		` (`+strings.Join(defs, ", ")+`) ON COMMIT DELETE ROWS`)
	if err != nil {
		return "", translate(err)
	}
	im.staged[name] = names
	return name, nil
}

// stagedRow returns the values of row at the staged positions, converted
// to the destination column's type where the two backends' types differ
// (SQLite keeps booleans as integers).
func stagedRow(dest map[string]string, cols []string, stage []int, row []any) ([]any, error) {
	out := make([]any, len(stage))
	for i, c := range stage {
		v := row[c]
		if dest[cols[c]] == "boolean" {
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("column %s: %T for a boolean", cols[c], v)
			}
			v = n != 0
		}
		out[i] = v
	}
	return out, nil
}

// sqlType is the PostgreSQL type a staging column holding v takes.
func sqlType(v any) string {
	switch v.(type) {
	case int64:
		return "bigint"
	case []byte:
		return "bytea"
	}
	return "text"
}

func namesAt(cols []string, at []int) []string {
	out := make([]string, len(at))
	for i, c := range at {
		out[i] = cols[c]
	}
	return out
}

// pick returns the elements of s at the positions at.
func pick(s, at []int) []int {
	out := make([]int, len(at))
	for i, a := range at {
		out[i] = s[a]
	}
	return out
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(q, ", ")
}
