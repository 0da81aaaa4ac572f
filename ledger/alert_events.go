package ledger

import (
	"context"
	"fmt"
	"strings"
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
// per source. Sources with no such event are absent from the result.
func (db *DB) EventsInStates(ctx context.Context, states []State, before time.Time, idLimit int) ([]StateGroup, error) {
	if len(states) == 0 {
		return nil, nil
	}
	cond, args := statesCondition(states, before)
	rows, err := db.r.QueryContext(ctx, `SELECT source, type, count(*), min(received_at)
		FROM events WHERE `+cond+` GROUP BY source, type ORDER BY source, type`, args...)
	if err != nil {
		return nil, fmt.Errorf("events in states: %w", translate(err))
	}
	var groups []StateGroup
	for rows.Next() {
		var src, typ string
		var n int
		var oldest int64
		if err := rows.Scan(&src, &typ, &n, &oldest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("events in states: %w", translate(err))
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
		return nil, fmt.Errorf("events in states: %w", translate(err))
	}
	for i := range groups {
		if groups[i].IDs, err = db.eventIDsInStates(ctx, groups[i].Source, states, before, idLimit); err != nil {
			return nil, err
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
		return nil, fmt.Errorf("events in states: %w", translate(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("events in states: %w", translate(err))
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

func statesCondition(states []State, before time.Time) (string, []any) {
	marks := make([]string, len(states))
	args := make([]any, 0, len(states)+1)
	for i, s := range states {
		marks[i] = "?"
		args = append(args, string(s))
	}
	cond := "state IN (" + strings.Join(marks, ", ") + ")"
	if !before.IsZero() {
		cond += " AND received_at < ?"
		args = append(args, millis(before))
	}
	return cond, args
}

// CountPresent returns how many of ids are events of source in the ledger,
// in any state.
func (db *DB) CountPresent(ctx context.Context, source string, ids []string) (int, error) {
	total := 0
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		marks := strings.Repeat("?, ", len(chunk)-1) + "?"
		args := []any{source}
		for _, id := range chunk {
			args = append(args, id)
		}
		var n int
		err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE source = ? AND event_id IN (`+marks+`)`,
			args...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count present events: %w", translate(err))
		}
		total += n
	}
	return total, nil
}
