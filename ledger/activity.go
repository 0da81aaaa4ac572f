package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Activity is what one source received recently.
type Activity struct {
	LastReceived time.Time // zero when the source has no event
	LastHour     int       // events received in the hour before now
	LastDay      int       // events received in the day before now
}

// Activity returns source's recent intake at now. Every query is a search
// or a range on the (state, source, received_at) index, one per state, so
// it costs what the last day received, not what the ledger holds.
func (db *DB) Activity(ctx context.Context, source string, now time.Time) (Activity, error) {
	var a Activity
	hour, day := millis(now.Add(-time.Hour)), millis(now.Add(-24*time.Hour))
	for _, s := range States {
		var last sql.NullInt64
		var h, d int
		err := db.r.QueryRowContext(ctx, `SELECT max(received_at) FROM events WHERE state = ? AND source = ?`,
			string(s), source).Scan(&last)
		if err != nil {
			return a, fmt.Errorf("read activity: %w", translate(err))
		}
		err = db.r.QueryRowContext(ctx, `SELECT count(CASE WHEN received_at >= ? THEN 1 END), count(*)
			FROM events WHERE state = ? AND source = ? AND received_at >= ?`, hour, string(s), source, day).Scan(&h, &d)
		if err != nil {
			return a, fmt.Errorf("read activity: %w", translate(err))
		}
		if t := fromMillis(last.Int64); last.Valid && t.After(a.LastReceived) {
			a.LastReceived = t
		}
		a.LastHour, a.LastDay = a.LastHour+h, a.LastDay+d
	}
	return a, nil
}

// DeadLetters returns source's most recently received dead events, newest
// first, at most limit, without payloads; LastError says why each died.
func (db *DB) DeadLetters(ctx context.Context, source string, limit int) ([]*Event, error) {
	evs, err := db.queryEvents(ctx, `SELECT `+eventColumns+` FROM events
		WHERE state = 'dead' AND source = ? ORDER BY received_at DESC, id DESC LIMIT ?`, source, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return evs, nil
}

// RunPoint is one reconcile run as the gap timeline draws it.
type RunPoint struct {
	Source       string
	StartedAt    time.Time
	Since, Until time.Time
	Complete     bool
	Missing      int // found missing by the run
	Recovered    int // of those, backfilled or redelivered
	StillMissing int
	Unknown      int
}

// RunsSince returns the runs started at or after since, oldest first,
// with the counts of their reports. It walks runs from the newest down and
// stops at the first one older than since, so it reads only the window.
func (db *DB) RunsSince(ctx context.Context, since time.Time) ([]RunPoint, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT source, started_at, since, until, complete,
		coalesce(json_extract(report, '$.missing'), 0),
		coalesce(json_extract(report, '$.backfilled'), 0) + coalesce(json_extract(report, '$.redelivered'), 0),
		coalesce(json_extract(report, '$.still_missing'), 0), coalesce(json_extract(report, '$.unknown'), 0)
		FROM runs ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", translate(err))
	}
	defer rows.Close()
	var out []RunPoint
	for rows.Next() {
		var p RunPoint
		var started, from, until int64
		if err := rows.Scan(&p.Source, &started, &from, &until, &p.Complete, &p.Missing, &p.Recovered,
			&p.StillMissing, &p.Unknown); err != nil {
			return nil, fmt.Errorf("list runs: %w", translate(err))
		}
		if p.StartedAt = fromMillis(started); p.StartedAt.Before(since) {
			break
		}
		p.Since, p.Until = fromMillis(from), fromMillis(until)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", translate(err))
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
