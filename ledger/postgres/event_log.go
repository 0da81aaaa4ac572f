package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookledger/hookledger/ledger"
)

// EventLog returns the page of events f selects, newest first, without
// payloads, as ledger.DB.EventLog does. It walks the ledger's row ids
// down from f.Before (the primary key), looking at no more than f.Scan
// rows, so every page costs the same however large the ledger is and
// however rare the match.
//
// With an IDPrefix it looks the prefix up on the (source, event_id) index
// of each source instead and returns the first f.Limit matches in id
// order, from the first f.Scan ids at or after the prefix; such a page has
// no Next.
func (db *DB) EventLog(ctx context.Context, f ledger.LogFilter) (ledger.LogPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Scan <= 0 {
		f.Scan = 20000
	}
	top := f.Before
	if top <= 0 {
		if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM events`).Scan(&top); err != nil {
			return ledger.LogPage{}, fmt.Errorf("read event log: %w", translate(err))
		}
	}
	if f.IDPrefix != "" {
		return db.prefixLog(ctx, f, top)
	}
	low := max(top-int64(f.Scan), 0)
	evs, err := db.logQuery(ctx, f, "id < $%d AND id >= $%d", []any{top, low}, "ORDER BY id DESC", f.Limit+1)
	if err != nil {
		return ledger.LogPage{}, err
	}
	page := ledger.LogPage{Events: evs, Top: top}
	switch {
	case len(evs) > f.Limit:
		page.Events = evs[:f.Limit]
		page.Next = evs[f.Limit-1].ID
	case low > 1:
		page.Next, page.Partial = low, true
	}
	return page, nil
}

// prefixLog is EventLog's id prefix lookup, below the row id top: the
// first f.Limit matches in id order among the first f.Scan ids at or
// after the prefix, on the (source, event_id) index. The range walks the
// index; starts_with keeps the result right under any collation.
func (db *DB) prefixLog(ctx context.Context, f ledger.LogFilter, top int64) (ledger.LogPage, error) {
	srcs, err := db.Sources(ctx)
	if err != nil {
		return ledger.LogPage{}, fmt.Errorf("read event log: %w", err)
	}
	const inner = `SELECT id, event_id FROM events
		WHERE source = ANY($%d::text[]) AND event_id >= $%d AND id < $%d ORDER BY source, event_id LIMIT $%d`
	evs, err := db.logQuery(ctx, f, `id IN (SELECT id FROM (`+inner+`) AS r WHERE starts_with(r.event_id, $%d))`,
		[]any{srcs, f.IDPrefix, top, f.Scan, f.IDPrefix}, "ORDER BY source, event_id", f.Limit+1)
	if err != nil {
		return ledger.LogPage{}, err
	}
	page := ledger.LogPage{Events: evs, Top: top}
	if len(evs) > f.Limit {
		page.Events, page.Truncated = evs[:f.Limit], true
		return page, nil
	}
	// The lookup saw only the first f.Scan ids at or after the prefix:
	// when every one of them has it, more may follow.
	var n int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM (`+fmt.Sprintf(inner, 1, 2, 3, 4)+`) AS r WHERE starts_with(r.event_id, $2)`,
		srcs, f.IDPrefix, top, f.Scan).Scan(&n)
	if err != nil {
		return ledger.LogPage{}, fmt.Errorf("read event log: %w", translate(err))
	}
	page.Truncated = n >= f.Scan
	return page, nil
}

// logQuery reads at most limit events matching cond (its placeholders
// written $%d, numbered here, with args) and f's other conditions, in
// order.
func (db *DB) logQuery(ctx context.Context, f ledger.LogFilter, cond string, args []any, order string, limit int) ([]*ledger.Event, error) {
	nums := make([]any, len(args))
	for i := range args {
		nums[i] = i + 1
	}
	where := []string{fmt.Sprintf(cond, nums...)}
	where, args = selectionWhere(f.Selection(), where, args)
	args = append(args, limit)
	evs, err := db.queryEvents(ctx, `SELECT `+listColumns+` FROM events WHERE `+
		strings.Join(where, " AND ")+` `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	return evs, nil
}

// selectionWhere appends sel's conditions to where and their arguments
// to args, numbering the placeholders after those already in args: the
// one definition of what a ledger.Selection picks, shared by the event log
// and the replay of its filter.
func selectionWhere(sel ledger.Selection, where []string, args []any) ([]string, []any) {
	add := func(c string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(c, len(args)))
	}
	if sel.Source != "" {
		add("source = $%d", sel.Source)
	}
	if sel.Type != "" {
		add("type = $%d", sel.Type)
	}
	if sel.State != "" {
		add("state = $%d", string(sel.State))
	}
	if sel.Origin != "" {
		add("origin = $%d", string(sel.Origin))
	}
	if sel.IDPrefix != "" {
		add("starts_with(event_id, $%d)", sel.IDPrefix)
	}
	at := "received_at"
	if sel.ByCreated {
		at = "created_at"
	}
	if !sel.Since.IsZero() {
		add(at+" >= $%d", millis(sel.Since))
	}
	if !sel.Until.IsZero() {
		add(at+" < $%d", millis(sel.Until))
	}
	return where, args
}
