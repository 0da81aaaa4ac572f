package postgres

import (
	"context"
	"fmt"
	"iter"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// eventsPageSize is how many events Events reads per query.
const eventsPageSize = 500

// Events returns the events f selects, without payloads, by ledger id
// (newest first with f.Newest), read a page at a time so memory stays
// flat; at most f.Limit when f.Limit > 0. A failed read is yielded once as
// the error and ends the sequence.
func (db *DB) Events(ctx context.Context, f ledger.EventFilter) iter.Seq2[*ledger.Event, error] {
	return func(yield func(*ledger.Event, error) bool) {
		after, seen := int64(0), 0
		if f.Newest {
			after = math.MaxInt64
		}
		for {
			n := eventsPageSize
			if f.Limit > 0 && f.Limit-seen < n {
				n = f.Limit - seen
			}
			if n <= 0 {
				return
			}
			evs, err := db.eventsPage(ctx, f, after, n)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, ev := range evs {
				if !yield(ev, nil) {
					return
				}
			}
			if len(evs) < n {
				return
			}
			after, seen = evs[len(evs)-1].ID, seen+len(evs)
		}
	}
}

func (db *DB) eventsPage(ctx context.Context, f ledger.EventFilter, after int64, n int) ([]*ledger.Event, error) {
	where, order := []string{"id > $1"}, "id"
	if f.Newest {
		where, order = []string{"id < $1"}, "id DESC"
	}
	args := []any{after}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Source != "" {
		add("source = $%d", f.Source)
	}
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if !f.Since.IsZero() {
		add("received_at >= $%d", millis(f.Since))
	}
	args = append(args, n)
	// The payload column is read as empty: listings never carry payloads.
	cols := strings.Replace(eventColumns, "payload_pruned_at, payload", "payload_pruned_at, ''::bytea", 1)
	rows, err := db.pool.Query(ctx, `SELECT `+cols+` FROM events
		WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", translate(err))
	}
	evs, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", translate(err))
	}
	for _, ev := range evs {
		ev.Payload = nil
	}
	return evs, nil
}

// Sources returns the distinct sources of the ledger's events, in order.
func (db *DB) Sources(ctx context.Context) ([]string, error) {
	// A loose index scan on (source, …): one probe per source, not a scan.
	rows, err := db.pool.Query(ctx, `WITH RECURSIVE s(source) AS (
			SELECT min(source) FROM events
			UNION ALL
			SELECT (SELECT min(source) FROM events WHERE source > s.source) FROM s WHERE s.source IS NOT NULL)
		SELECT source FROM s WHERE source IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", translate(err))
	}
	return out, nil
}
