package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Selection is which events a filter picks, and the one definition of it:
// the event log (EventLog) shows the events a Selection picks, and a bulk
// replay of the log's filter (RequeueLog) requeues them, so that "replay
// what the log shows" requeues exactly the events it showed. Zero fields
// match everything.
type Selection struct {
	Source   string
	Type     string
	State    State
	Origin   Origin
	IDPrefix string // provider event ids that start with it
	// Since and Until bound when the ledger received the event (at or
	// after Since, before Until), or with ByCreated when the provider
	// created it; zero for no bound.
	Since, Until time.Time
	ByCreated    bool
}

// where returns the SQL conditions and arguments of s, each column
// prefixed with noIndex ("+" keeps SQLite from using an index on it, "").
func (s Selection) where(noIndex string) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where, args = append(where, noIndex+cond), append(args, v...) }
	if s.Source != "" {
		add("source = ?", s.Source)
	}
	if s.Type != "" {
		add("type = ?", s.Type)
	}
	if s.State != "" {
		add("state = ?", string(s.State))
	}
	if s.Origin != "" {
		add("origin = ?", string(s.Origin))
	}
	if s.IDPrefix != "" {
		add("event_id >= ?", s.IDPrefix)
		add("event_id < ?", s.IDPrefix+"\U0010FFFF")
	}
	at := "received_at"
	if s.ByCreated {
		at = "created_at"
	}
	if !s.Since.IsZero() {
		add(at+" >= ?", millis(s.Since))
	}
	if !s.Until.IsZero() {
		add(at+" < ?", millis(s.Until))
	}
	return where, args
}

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

// Selection returns the events f picks over all its pages: what a
// replay of f requeues.
func (f LogFilter) Selection() Selection {
	return Selection{Source: f.Source, Type: f.Type, State: f.State, Origin: f.Origin, IDPrefix: f.IDPrefix,
		Since: f.Since, Until: f.Until}
}

// LogPage is one page of the event log, newest first.
type LogPage struct {
	Events []*Event
	// Top is the row id the walk started below: f.Before, or one more
	// than the newest row's id when the page is the first. Pages walked
	// down from the same Top show the same events however many arrive
	// meanwhile; a replay of the filter takes it as its Before.
	Top int64
	// Truncated is set on an id prefix lookup that matches more events
	// than its one page holds (or more than Scan ids have the prefix):
	// the page does not show every match.
	Truncated bool
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
// f.Scan ids with that prefix; such a page has no Next, and is Truncated
// when it does not hold every match.
func (db *DB) EventLog(ctx context.Context, f LogFilter) (LogPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Scan <= 0 {
		f.Scan = 20000
	}
	top := f.Before
	if top <= 0 {
		if err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM events`).Scan(&top); err != nil {
			return LogPage{}, fmt.Errorf("read event log: %w", translate(err))
		}
	}
	if f.IDPrefix != "" {
		return db.prefixLog(ctx, f, top)
	}
	low := max(top-int64(f.Scan), 0)
	// "+column" keeps SQLite from trading the bounded id range for an
	// index on another column, which could walk every row of a source.
	evs, err := db.logQuery(ctx, f, "id < ? AND id >= ?", []any{top, low}, "ORDER BY id DESC", f.Limit+1, "+")
	if err != nil {
		return LogPage{}, err
	}
	page := LogPage{Events: evs, Top: top}
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
// first f.Limit matches in id order among the first f.Scan ids with the
// prefix, on the (source, event_id) index.
func (db *DB) prefixLog(ctx context.Context, f LogFilter, top int64) (LogPage, error) {
	lo, hi := f.IDPrefix, f.IDPrefix+"\U0010FFFF"
	evs, err := db.logQuery(ctx, f, `id IN (SELECT id FROM events
		WHERE source IN (SELECT source FROM event_counts) AND event_id >= ? AND event_id < ? AND id < ?
		ORDER BY source, event_id LIMIT ?)`, []any{lo, hi, top, f.Scan}, "ORDER BY source, event_id", f.Limit+1, "")
	if err != nil {
		return LogPage{}, err
	}
	page := LogPage{Events: evs, Top: top}
	if len(evs) > f.Limit {
		page.Events, page.Truncated = evs[:f.Limit], true
		return page, nil
	}
	// The lookup above saw only the first f.Scan ids with the prefix;
	// whether there are more is a count bounded the same way.
	var n int
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events
		WHERE source IN (SELECT source FROM event_counts) AND event_id >= ? AND event_id < ? AND id < ? LIMIT ?)`,
		lo, hi, top, f.Scan+1).Scan(&n)
	if err != nil {
		return LogPage{}, fmt.Errorf("read event log: %w", translate(err))
	}
	page.Truncated = n > f.Scan
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

// logConditions returns the WHERE conditions of f other than the cursor:
// its Selection's, each column prefixed with noIndex.
func logConditions(f LogFilter, noIndex string) ([]string, []any) {
	return f.Selection().where(noIndex)
}
