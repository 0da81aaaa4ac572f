package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// foldBatch bounds the events one fold transaction walks.
const foldBatch = 20000

// foldLag is how far behind the clock FoldTraffic stops: an intake
// transaction dates its rows when it begins and commits within
// commitTimeout, so every live event received before now-foldLag is
// committed and none can appear below the cursor later. The margin also
// absorbs some clock skew between instances.
const foldLag = 2 * commitTimeout

// hourMillis is one hour in Unix milliseconds.
const hourMillis = int64(time.Hour / time.Millisecond)

// FoldTraffic counts the live events received since the last fold (up to
// foldLag ago) into the hourly traffic tables, in bounded batches of one
// transaction each on the events_live_received index, and forgets hours
// older than ledger.TrafficKeep, as ledger.DB.FoldTraffic does. The fold
// walks receipt times, not row ids: here ids are taken at insert, so a
// lower id can commit after a higher one. Folds from several instances
// serialise on the cursor row.
func (db *DB) FoldTraffic(ctx context.Context) error {
	for {
		more := false
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var err error
			more, err = db.foldBatch(ctx, tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("fold traffic: %w", translate(err))
		}
		if !more {
			return nil
		}
	}
}

// foldBatch folds up to about foldBatch live events received in
// [cursor, now-foldLag) and says whether more are left.
func (db *DB) foldBatch(ctx context.Context, tx pgx.Tx) (bool, error) {
	var cursor int64
	if err := tx.QueryRow(ctx, `SELECT last_row FROM traffic_cursor WHERE id = 1 FOR UPDATE`).Scan(&cursor); err != nil {
		return false, err
	}
	now := db.now()
	safe := millis(now.Add(-foldLag))
	if safe <= cursor {
		return false, nil
	}
	// The batch ends at the received_at of the foldBatch-th event, or at
	// safe when fewer remain.
	end, more := safe, false
	err := tx.QueryRow(ctx, `SELECT received_at FROM events WHERE origin = 'webhook'
		AND received_at >= $1 AND received_at < $2 ORDER BY received_at OFFSET $3 LIMIT 1`,
		cursor, safe, foldBatch).Scan(&end)
	switch {
	case err == nil:
		more = true
		if end == cursor { // one millisecond holds a whole batch: take it all
			end++
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO traffic_hours (source, hour, count)
		SELECT source, received_at / 3600000, count(*) FROM events
		WHERE origin = 'webhook' AND received_at >= $1 AND received_at < $2 GROUP BY 1, 2
		ON CONFLICT (source, hour) DO UPDATE SET count = traffic_hours.count + excluded.count`, cursor, end); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO traffic_sources (source, first_at, last_at)
		SELECT source, min(received_at), max(received_at) FROM events
		WHERE origin = 'webhook' AND received_at >= $1 AND received_at < $2 GROUP BY 1
		ON CONFLICT (source) DO UPDATE SET first_at = least(traffic_sources.first_at, excluded.first_at),
			last_at = greatest(traffic_sources.last_at, excluded.last_at)`, cursor, end); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE traffic_cursor SET last_row = $1 WHERE id = 1`, end); err != nil {
		return false, err
	}
	cutoff := millis(now.Add(-ledger.TrafficKeep)) / hourMillis
	if _, err := tx.Exec(ctx, `DELETE FROM traffic_hours WHERE hour < $1`, cutoff); err != nil {
		return false, err
	}
	return more, nil
}

// Traffic returns what each source sent live, with the hours from since
// on: what the folds counted plus the live events received after the
// cursor, so it is current without writing, as ledger.DB.Traffic is.
// Sources that never sent a live event are absent.
func (db *DB) Traffic(ctx context.Context, since time.Time) (map[string]*ledger.SourceTraffic, error) {
	out := map[string]*ledger.SourceTraffic{}
	fromHour := millis(since) / hourMillis
	// One snapshot, so a fold committing meanwhile is seen whole or not at all.
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT source, first_at, last_at FROM traffic_sources
			UNION ALL
			SELECT source, min(received_at), max(received_at) FROM events
			WHERE origin = 'webhook' AND received_at >= (SELECT last_row FROM traffic_cursor WHERE id = 1) GROUP BY 1`)
		if err != nil {
			return err
		}
		var src string
		var first, last int64
		if _, err := pgx.ForEachRow(rows, []any{&src, &first, &last}, func() error {
			st := sourceTraffic(out, src)
			if t := fromMillis(first); st.FirstAt.IsZero() || t.Before(st.FirstAt) {
				st.FirstAt = t
			}
			if t := fromMillis(last); t.After(st.LastAt) {
				st.LastAt = t
			}
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT source, hour, count FROM traffic_hours WHERE hour >= $1
			UNION ALL
			SELECT source, received_at / 3600000, count(*) FROM events
			WHERE origin = 'webhook' AND received_at >= (SELECT last_row FROM traffic_cursor WHERE id = 1)
				AND received_at / 3600000 >= $1 GROUP BY 1, 2`, fromHour)
		if err != nil {
			return err
		}
		var hour, n int64
		_, err = pgx.ForEachRow(rows, []any{&src, &hour, &n}, func() error {
			sourceTraffic(out, src).Hours[hour] += int(n)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read traffic: %w", translate(err))
	}
	return out, nil
}

// sourceTraffic returns m's entry for src, adding an empty one if needed.
func sourceTraffic(m map[string]*ledger.SourceTraffic, src string) *ledger.SourceTraffic {
	st, ok := m[src]
	if !ok {
		st = &ledger.SourceTraffic{Source: src, Hours: map[int64]int{}}
		m[src] = st
	}
	return st
}
