package ledger

import (
	"context"
	"fmt"
	"time"
)

// StateGroup summarises the events of one source in some states: what the
// alert check reports about dead and stuck events.
type StateGroup struct {
	Source string
	Count  int
	ByType map[string]int
	IDs    []string  // up to the limit asked for, oldest first
	Oldest time.Time // the earliest ReceivedAt among them
}

// EventsInStates groups, per source, the events in one of states that were
// received before before (zero: any time), naming up to idLimit event ids
// per source. Sources with no such event are absent from the result; it
// returns nil for an empty states.
func (db *DB) EventsInStates(ctx context.Context, states []State, before time.Time, idLimit int) ([]StateGroup, error) {
	if len(states) == 0 {
		return nil, nil
	}
	cond, args := statesCondition(states, before)
	rows, err := db.r.QueryContext(ctx, `SELECT source, type, count(*), min(received_at)
		FROM events WHERE `+cond+` GROUP BY source, type ORDER BY source, type`, args...)
	if err != nil {
		return nil, fmt.Errorf("list events in states: %w", translate(err))
	}
	var groups []StateGroup
	for rows.Next() {
		var src, typ string
		var n int
		var oldest int64
		if err := rows.Scan(&src, &typ, &n, &oldest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list events in states: %w", translate(err))
		}
		if len(groups) == 0 || groups[len(groups)-1].Source != src {
			groups = append(groups, StateGroup{Source: src, ByType: map[string]int{}, Oldest: fromMillis(oldest)})
		}
		g := &groups[len(groups)-1]
		g.Count += n
		g.ByType[typ] += n
		if t := fromMillis(oldest); t.Before(g.Oldest) {
			g.Oldest = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events in states: %w", translate(err))
	}
	for i := range groups {
		if groups[i].IDs, err = db.eventIDsInStates(ctx, groups[i].Source, states, before, idLimit); err != nil {
			return nil, fmt.Errorf("list events in states: %w", err)
		}
	}
	return groups, nil
}

func (db *DB) eventIDsInStates(ctx context.Context, source string, states []State, before time.Time, limit int) ([]string, error) {
	cond, args := statesCondition(states, before)
	args = append([]any{source}, args...)
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, `SELECT event_id FROM events WHERE source = ? AND `+cond+`
		ORDER BY received_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	return scanIDs(rows)
}

// statesCondition returns the WHERE condition, and its arguments, for
// events in one of states received before before (zero: any time).
func statesCondition(states []State, before time.Time) (string, []any) {
	args := make([]any, 0, len(states)+1)
	for _, s := range states {
		args = append(args, string(s))
	}
	cond := "state IN (" + placeholders(len(states)) + ")"
	if !before.IsZero() {
		cond += " AND received_at < ?"
		args = append(args, millis(before))
	}
	return cond, args
}
