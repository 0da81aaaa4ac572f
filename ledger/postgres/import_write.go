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
	Rows int64 // rows of the table written to, new ones only
}

// Dropped returns the columns of cols that table here has no column for
// and that Write therefore leaves behind. (The receipt of an event's
// first delivery, on SQLite's event row, has columns of the same names
// here since migration 004: it is copied as it is.)
func (im *Import) Dropped(table string, cols []string) []string {
	var out []string
	for _, c := range cols {
		if _, ok := im.tables[table][c]; !ok {
			out = append(out, c)
		}
	}
	return out
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
	var stage []int // positions in cols of the columns table has
	for i, c := range cols {
		if dest[c] != "" {
			stage = append(stage, i)
		}
	}
	stageTable, err := im.stagingTable(ctx, table, cols, stage)
	if err != nil {
		return w, fmt.Errorf("import %s: %w", table, err)
	}
	err = pgx.BeginFunc(ctx, im.conn, func(tx pgx.Tx) error {
		src := pgx.CopyFromSlice(len(rows), func(r int) ([]any, error) { return stagedRow(dest, cols, stage, rows[r]) })
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageTable}, namesAt(cols, stage), src); err != nil {
			return err
		}
		names := quoted(namesAt(cols, stage))
		tag, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+` (`+names+`) OVERRIDING SYSTEM VALUE
			SELECT `+names+` FROM `+pgx.Identifier{stageTable}.Sanitize()+` ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		w.Rows = tag.RowsAffected()
		// ON COMMIT DELETE ROWS empties the staging table.
		return nil
	})
	if err != nil {
		return Written{}, fmt.Errorf("import %s: %w", table, translate(err))
	}
	return w, nil
}

// stagingTable returns the temporary table that batches of table with
// the staged columns are COPYed into, creating it on first use, each
// column in this ledger's type.
func (im *Import) stagingTable(ctx context.Context, table string, cols []string, stage []int) (string, error) {
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
		defs[i] = pgx.Identifier{cols[c]}.Sanitize() + " " + im.tables[table][cols[c]]
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

func namesAt(cols []string, at []int) []string {
	out := make([]string, len(at))
	for i, c := range at {
		out[i] = cols[c]
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
