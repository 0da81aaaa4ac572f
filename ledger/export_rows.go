package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
)

// Rows yields table's rows in key order, batch rows at a time (each
// batch a fresh slice of rows, each row its values in the order of the
// table's Columns: int64, string or []byte), starting after the key
// after (nil: from the first row). Events carry their payload as the
// exact bytes received, decoded from the payloads table; an event whose
// payload was pruned has an empty one. On failure it yields the error
// once and stops.
func (x *Export) Rows(ctx context.Context, table string, after []any, batch int) iter.Seq2[[][]any, error] {
	return func(yield func([][]any, error) bool) {
		t, ok := x.Table(table)
		if !ok {
			yield(nil, fmt.Errorf("export: no table %s", table))
			return
		}
		if after != nil && len(after) != len(t.Key) {
			yield(nil, fmt.Errorf("export %s: a key of %d values, want %d", table, len(after), len(t.Key)))
			return
		}
		batch = max(batch, 1)
		for {
			rows, err := x.page(ctx, t, after, batch)
			if err != nil {
				yield(nil, fmt.Errorf("export %s: %w", table, err))
				return
			}
			if len(rows) == 0 || !yield(rows, nil) || len(rows) < batch {
				return
			}
			after = keyOf(t, rows[len(rows)-1])
		}
	}
}

// page reads up to limit rows of t after the key after.
func (x *Export) page(ctx context.Context, t ExportTable, after []any, limit int) ([][]any, error) {
	q, args := pageQuery(t, after, limit)
	rows, err := x.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	width := len(t.Columns)
	if t.Name == "events" {
		width++ // the payload comes as encoding and data
	}
	var out [][]any
	err = scanRows(rows, func(rows *sql.Rows) error {
		vals := make([]any, width)
		ptrs := make([]any, width)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if t.Name == "events" {
			var err error
			if vals, err = x.decodeEventRow(ctx, vals); err != nil {
				return err
			}
		}
		out = append(out, vals)
		return nil
	})
	return out, err
}

// pageQuery is the keyset query of one page of t: the table's columns in
// key order after the key after. For events, the payload's encoding and
// data stand in for the last column.
func pageQuery(t ExportTable, after []any, limit int) (string, []any) {
	key := strings.Join(t.Key, ", ")
	var q strings.Builder
	if t.Name == "events" {
		cols := t.Columns[:len(t.Columns)-1]
		q.WriteString(`SELECT e.` + strings.Join(cols, ", e.") + `, p.encoding, p.data
			FROM events e LEFT JOIN payloads p ON p.event_row = e.id`)
		key = "e.id"
	} else {
		q.WriteString(`SELECT ` + strings.Join(t.Columns, ", ") + ` FROM ` + t.Name)
	}
	args := append([]any(nil), after...)
	if after != nil {
		q.WriteString(` WHERE (` + key + `) > (` + placeholders(len(after)) + `)`)
	}
	q.WriteString(` ORDER BY ` + key + ` LIMIT ?`)
	return q.String(), append(args, limit)
}

// decodeEventRow replaces an events row's last two values, the payload's
// encoding and data (both NULL when it has no payload row), with the
// payload's bytes, decoded with the dictionary its frame names, if any.
func (x *Export) decodeEventRow(ctx context.Context, vals []any) ([]any, error) {
	n := len(vals)
	encoding, _ := vals[n-2].(string)
	data, _ := vals[n-1].([]byte)
	raw, err := x.db.decodePayload(ctx, encoding, data)
	if err != nil {
		return nil, fmt.Errorf("event row %v: %w", vals[0], err)
	}
	if raw == nil {
		raw = []byte{}
	}
	vals[n-2] = raw
	return vals[:n-1], nil
}

// keyOf returns row's key values in t.
func keyOf(t ExportTable, row []any) []any {
	key := make([]any, len(t.Key))
	for i, k := range t.Key {
		for j, c := range t.Columns {
			if c == k {
				key[i] = row[j]
			}
		}
	}
	return key
}
