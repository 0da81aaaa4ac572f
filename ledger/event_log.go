package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LogFilter selects a page of the event log. Zero fields match everything.
type LogFilter struct {
	Source string
	Type   string
	State  State
	Origin Origin
	// IDPrefix matches events whose provider id starts with it.
	IDPrefix string
	Since    time.Time // received at or after
	Until    time.Time // received before
	// Before is the keyset cursor: only ledger rows with a smaller id; 0
	// starts at the newest.
	Before int64
	Limit  int // page size, default 50
	// Scan bounds how many ledger rows one page looks through (default
	// 20,000), so a filter that matches rarely still answers fast: the
	// page then ends early and LogPage.Next continues from where it stopped.
	Scan int
}

// LogPage is one page of the event log, newest first.
type LogPage struct {
	Events []*Event
	// Next is the Before of the next (older) page; 0 when there is none.
	Next int64
	// Partial is set when the page ended because it had looked through
	// Scan rows, not because it was full: older matches may follow.
	Partial bool
}

// EventLog returns the page of events f selects, newest first, without
// payloads. It walks the ledger's row ids down from f.Before (the primary
// key, no sort), looking at no more than f.Scan rows, so every page costs
// the same however large the ledger is and however rare the match.
//
// With an IDPrefix it looks the prefix up on the (source, event_id) index
// instead and returns the first f.Limit matches in id order, from the first
// f.Scan ids with that prefix; such a page has no Next.
func (db *DB) EventLog(ctx context.Context, f LogFilter) (LogPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Scan <= 0 {
		f.Scan = 20000
	}
	if f.IDPrefix != "" {
		evs, err := db.logQuery(ctx, f, `id IN (SELECT id FROM events
			WHERE source IN (SELECT source FROM event_counts) AND event_id >= ? AND event_id < ?
			ORDER BY source, event_id LIMIT ?)`, []any{f.IDPrefix, f.IDPrefix + "\U0010FFFF", f.Scan},
			"ORDER BY source, event_id", f.Limit, "")
		return LogPage{Events: evs}, err
	}
	top := f.Before
	if top <= 0 {
		if err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM events`).Scan(&top); err != nil {
			return LogPage{}, fmt.Errorf("read event log: %w", translate(err))
		}
	}
	low := max(top-int64(f.Scan), 0)
	// "+column" keeps SQLite from trading the bounded id range for an
	// index on another column, which could walk every row of a source.
	evs, err := db.logQuery(ctx, f, "id < ? AND id >= ?", []any{top, low}, "ORDER BY id DESC", f.Limit+1, "+")
	if err != nil {
		return LogPage{}, err
	}
	page := LogPage{Events: evs}
	switch {
	case len(evs) > f.Limit:
		page.Events = evs[:f.Limit]
		page.Next = evs[f.Limit-1].ID
	case low > 1:
		page.Next, page.Partial = low, true
	}
	return page, nil
}

// logQuery reads at most limit events matching cond (with args) and f's
// other conditions, in order.
func (db *DB) logQuery(ctx context.Context, f LogFilter, cond string, args []any, order string, limit int, noIndex string) ([]*Event, error) {
	where, fargs := logConditions(f, noIndex)
	where = append([]string{cond}, where...)
	args = append(append(args, fargs...), limit)
	evs, err := db.queryEvents(ctx, `SELECT `+eventColumns+` FROM events WHERE `+
		strings.Join(where, " AND ")+` `+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("read event log: %w", err)
	}
	return evs, nil
}

// logConditions returns the WHERE conditions of f other than the cursor,
// each column prefixed with noIndex ("+" for no index on it, or "").
func logConditions(f LogFilter, noIndex string) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where, args = append(where, noIndex+cond), append(args, v...) }
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Origin != "" {
		add("origin = ?", string(f.Origin))
	}
	if !f.Since.IsZero() {
		add("received_at >= ?", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("received_at < ?", millis(f.Until))
	}
	return where, args
}
