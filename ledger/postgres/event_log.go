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
	if f.IDPrefix != "" {
		srcs, err := db.Sources(ctx)
		if err != nil {
			return ledger.LogPage{}, fmt.Errorf("read event log: %w", err)
		}
		// The range walks the index; starts_with keeps the result right
		// under any collation.
		evs, err := db.logQuery(ctx, f, `id IN (SELECT id FROM events
			WHERE source = ANY($%d::text[]) AND event_id >= $%d ORDER BY source, event_id LIMIT $%d)
			AND starts_with(event_id, $%d)`, []any{srcs, f.IDPrefix, f.Scan, f.IDPrefix},
			"ORDER BY source, event_id", f.Limit)
		return ledger.LogPage{Events: evs}, err
	}
	top := f.Before
	if top <= 0 {
		if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM events`).Scan(&top); err != nil {
			return ledger.LogPage{}, fmt.Errorf("read event log: %w", translate(err))
		}
	}
	low := max(top-int64(f.Scan), 0)
	evs, err := db.logQuery(ctx, f, "id < $%d AND id >= $%d", []any{top, low}, "ORDER BY id DESC", f.Limit+1)
	if err != nil {
		return ledger.LogPage{}, err
	}
	page := ledger.LogPage{Events: evs}
	switch {
	case len(evs) > f.Limit:
		page.Events = evs[:f.Limit]
		page.Next = evs[f.Limit-1].ID
	case low > 1:
		page.Next, page.Partial = low, true
	}
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
	add := func(c string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(c, len(args)))
	}
	if f.Source != "" {
		add("source = $%d", f.Source)
	}
	if f.Type != "" {
		add("type = $%d", f.Type)
	}
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if f.Origin != "" {
		add("origin = $%d", string(f.Origin))
	}
	if !f.Since.IsZero() {
		add("received_at >= $%d", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("received_at < $%d", millis(f.Until))
	}
	args = append(args, limit)
	evs, err := db.queryEvents(ctx, `SELECT `+listColumns+` FROM events WHERE `+
		strings.Join(where, " AND ")+` `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	return evs, nil
}
