package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TrafficKeep is how much hourly traffic history the ledger keeps: enough
// for several weeks of a source's rhythm by hour of the week.
const TrafficKeep = 8 * 7 * 24 * time.Hour

// foldBatch bounds the events rows one fold transaction walks.
const foldBatch = 20000

// SourceTraffic is what one source sent live (origin webhook): when it
// first and last did, and how many events arrived in each hour kept.
type SourceTraffic struct {
	Source  string
	FirstAt time.Time
	LastAt  time.Time
	// Hours counts events per hour, keyed by the hour's start in whole
	// hours since the Unix epoch; hours with none are absent.
	Hours map[int64]int
}

// hourOf is the Unix hour a time in Unix milliseconds falls in.
func hourOf(ms int64) int64 { return ms / int64(time.Hour/time.Millisecond) }

// FoldTraffic counts the live events recorded since its last call into
// the hourly traffic tables, walking the events table by rowid in bounded
// batches (one transaction each), and forgets hours older than
// TrafficKeep. Its cost follows the events recorded since the last fold,
// never the size of the ledger.
func (db *DB) FoldTraffic(ctx context.Context) error {
	for {
		more := false
		err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			more, err = db.foldBatch(ctx, tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("fold traffic: %w", err)
		}
		if !more {
			return nil
		}
	}
}

// trafficRow is one (source, hour) group of events read for a fold.
type trafficRow struct {
	source        string
	hour          int64
	count         int
	first, latest int64
}

// foldBatch folds up to foldBatch events rows after the cursor and says
// whether more are left.
func (db *DB) foldBatch(ctx context.Context, tx *sql.Tx) (bool, error) {
	var cursor, top int64
	if err := tx.QueryRowContext(ctx, `SELECT last_row FROM traffic_cursor WHERE id = 1`).Scan(&cursor); err != nil {
		return false, translate(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&top); err != nil {
		return false, translate(err)
	}
	// Rowids restart below the cursor only when the newest rows were
	// deleted; new rows then get ids above the highest left.
	end := min(top, cursor+foldBatch)
	if end > cursor {
		groups, err := trafficGroups(ctx, tx, cursor, end)
		if err != nil {
			return false, err
		}
		if err := addTraffic(ctx, tx, groups); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE traffic_cursor SET last_row = ? WHERE id = 1`, end); err != nil {
		return false, translate(err)
	}
	cutoff := hourOf(millis(db.Now().Add(-TrafficKeep)))
	if _, err := tx.ExecContext(ctx, `DELETE FROM traffic_hours WHERE hour < ?`, cutoff); err != nil {
		return false, translate(err)
	}
	return end < top, nil
}

// trafficGroups reads the live events with rowid in (after, upto] (upto 0:
// no bound), counted per source and hour.
func trafficGroups(ctx context.Context, q queryer, after, upto int64) ([]trafficRow, error) {
	// Two spellings, so that SQLite walks the rowid range rather than
	// filtering the rest of the table; NOT INDEXED, as otherwise it scans
	// all of events_source_created for the GROUP BY's sake (400 ms on a
	// million events, for an empty tail).
	query, args := `SELECT source, received_at / 3600000, count(*), min(received_at), max(received_at)
		FROM events NOT INDEXED WHERE id > ? AND origin = 'webhook' GROUP BY 1, 2`, []any{after}
	if upto > 0 {
		query, args = `SELECT source, received_at / 3600000, count(*), min(received_at), max(received_at)
		FROM events NOT INDEXED WHERE id > ? AND id <= ? AND origin = 'webhook' GROUP BY 1, 2`, []any{after, upto}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	var out []trafficRow
	err = scanRows(rows, func(rows *sql.Rows) error {
		var g trafficRow
		if err := rows.Scan(&g.source, &g.hour, &g.count, &g.first, &g.latest); err != nil {
			return err
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// addTraffic adds groups to the traffic tables.
func addTraffic(ctx context.Context, tx *sql.Tx, groups []trafficRow) error {
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `INSERT INTO traffic_hours (source, hour, count) VALUES (?, ?, ?)
			ON CONFLICT (source, hour) DO UPDATE SET count = count + excluded.count`, g.source, g.hour, g.count); err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO traffic_sources (source, first_at, last_at) VALUES (?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET first_at = min(first_at, excluded.first_at),
			last_at = max(last_at, excluded.last_at)`, g.source, g.first, g.latest); err != nil {
			return translate(err)
		}
	}
	return nil
}

// Traffic returns what each source sent live, with the hours from since
// on: what the last fold counted plus the events recorded after it, so it
// is current without writing (read-only ledgers too). Sources that never
// sent a live event are absent.
func (db *DB) Traffic(ctx context.Context, since time.Time) (map[string]*SourceTraffic, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read traffic: %w", translate(err))
	}
	defer tx.Rollback()
	out, err := foldedTraffic(ctx, tx, hourOf(millis(since)))
	if err != nil {
		return nil, fmt.Errorf("read traffic: %w", err)
	}
	var cursor int64
	if err := tx.QueryRowContext(ctx, `SELECT last_row FROM traffic_cursor WHERE id = 1`).Scan(&cursor); err != nil {
		return nil, fmt.Errorf("read traffic: %w", translate(err))
	}
	tail, err := trafficGroups(ctx, tx, cursor, 0)
	if err != nil {
		return nil, fmt.Errorf("read traffic: %w", err)
	}
	for _, g := range tail {
		st := sourceTraffic(out, g.source)
		if st.FirstAt.IsZero() || fromMillis(g.first).Before(st.FirstAt) {
			st.FirstAt = fromMillis(g.first)
		}
		if fromMillis(g.latest).After(st.LastAt) {
			st.LastAt = fromMillis(g.latest)
		}
		if g.hour >= hourOf(millis(since)) {
			st.Hours[g.hour] += g.count
		}
	}
	return out, nil
}

// foldedTraffic reads the traffic tables, hours from fromHour on.
func foldedTraffic(ctx context.Context, q queryer, fromHour int64) (map[string]*SourceTraffic, error) {
	out := map[string]*SourceTraffic{}
	rows, err := q.QueryContext(ctx, `SELECT source, first_at, last_at FROM traffic_sources`)
	if err != nil {
		return nil, translate(err)
	}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var src string
		var first, last int64
		if err := rows.Scan(&src, &first, &last); err != nil {
			return err
		}
		st := sourceTraffic(out, src)
		st.FirstAt, st.LastAt = fromMillis(first), fromMillis(last)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT source, hour, count FROM traffic_hours WHERE hour >= ?`, fromHour)
	if err != nil {
		return nil, translate(err)
	}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var src string
		var hour int64
		var n int
		if err := rows.Scan(&src, &hour, &n); err != nil {
			return err
		}
		sourceTraffic(out, src).Hours[hour] += n
		return nil
	})
	return out, err
}

// sourceTraffic returns m's entry for src, adding an empty one if needed.
func sourceTraffic(m map[string]*SourceTraffic, src string) *SourceTraffic {
	st, ok := m[src]
	if !ok {
		st = &SourceTraffic{Source: src, Hours: map[int64]int{}}
		m[src] = st
	}
	return st
}
