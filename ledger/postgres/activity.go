package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// Activity returns source's recent intake at now, as ledger.DB.Activity
// does. Each of its queries is a range on the (state, source,
// received_at) index, one per state, so it costs what the last day
// received, not what the ledger holds.
func (db *DB) Activity(ctx context.Context, source string, now time.Time) (ledger.Activity, error) {
	var a ledger.Activity
	hour, day := millis(now.Add(-time.Hour)), millis(now.Add(-24*time.Hour))
	for _, s := range ledger.States {
		var last *int64
		var h, d int
		err := db.pool.QueryRow(ctx, `SELECT (SELECT max(received_at) FROM events WHERE state = $1 AND source = $2),
			count(*) FILTER (WHERE received_at >= $3), count(*)
			FROM events WHERE state = $1 AND source = $2 AND received_at >= $4`,
			string(s), source, hour, day).Scan(&last, &h, &d)
		if err != nil {
			return a, fmt.Errorf("read activity: %w", translate(err))
		}
		if last != nil {
			if t := fromMillis(*last); t.After(a.LastReceived) {
				a.LastReceived = t
			}
		}
		a.LastHour, a.LastDay = a.LastHour+h, a.LastDay+d
	}
	return a, nil
}

// listColumns are eventColumns with the payload read as empty: lists
// never carry payloads.
var listColumns = strings.Replace(eventColumns, "payload_pruned_at, payload", "payload_pruned_at, ''::bytea", 1)

// DeadLetters returns source's most recently received dead events, newest
// first, at most limit, without payloads; LastError says why each died.
func (db *DB) DeadLetters(ctx context.Context, source string, limit int) ([]*ledger.Event, error) {
	evs, err := db.queryEvents(ctx, `SELECT `+listColumns+` FROM events
		WHERE state = 'dead' AND source = $1 ORDER BY received_at DESC, id DESC LIMIT $2`, source, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return evs, nil
}

// queryEvents reads events with listColumns (no payloads).
func (db *DB) queryEvents(ctx context.Context, q string, args ...any) ([]*ledger.Event, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	evs, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, translate(err)
	}
	for _, ev := range evs {
		ev.Payload = nil
	}
	return evs, nil
}

// RunsSince returns the runs started at or after since, oldest first,
// with the counts of their reports. It walks runs from the newest down, a
// page at a time, and stops at the first one older than since, so it reads
// only the window.
func (db *DB) RunsSince(ctx context.Context, since time.Time) ([]ledger.RunPoint, error) {
	const page = 500
	var out []ledger.RunPoint
	before := int64(math.MaxInt64)
	for {
		rows, err := db.pool.Query(ctx, `SELECT id, source, started_at, since, until, complete,
			coalesce((report::jsonb->>'missing')::bigint, 0),
			coalesce((report::jsonb->>'backfilled')::bigint, 0) + coalesce((report::jsonb->>'redelivered')::bigint, 0),
			coalesce((report::jsonb->>'still_missing')::bigint, 0), coalesce((report::jsonb->>'unknown')::bigint, 0)
			FROM runs WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, page)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", translate(err))
		}
		n, done := 0, false
		var p ledger.RunPoint
		var id, started, from, until int64
		_, err = pgx.ForEachRow(rows, []any{&id, &p.Source, &started, &from, &until, &p.Complete, &p.Missing,
			&p.Recovered, &p.StillMissing, &p.Unknown}, func() error {
			n, before = n+1, id
			if done {
				return nil
			}
			if p.StartedAt = fromMillis(started); p.StartedAt.Before(since) {
				done = true
				return nil
			}
			p.Since, p.Until = fromMillis(from), fromMillis(until)
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", translate(err))
		}
		if done || n < page {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}
