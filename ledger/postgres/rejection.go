package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// rejectionFlushEvery is how often the pending rejection counts are
// upserted, as on SQLite.
const rejectionFlushEvery = 100 * time.Millisecond

type rejectionKey struct {
	source, reason string
	minute         int64
}

// rejections is the in-memory aggregate of rejections not yet upserted.
type rejections struct {
	mu        sync.Mutex
	pending   map[rejectionKey]*ledger.RejectionCount
	flushMu   sync.Mutex // one flush at a time
	flushed   bool       // some rejections were upserted (under flushMu)
	lastPrune time.Time
}

// RecordRejection counts r in the per-minute aggregate without waiting,
// as ledger.DB.RecordRejection does; within rejectionFlushEvery the counts
// are upserted, adding to what other instances counted for the same
// minute. Rejections are best effort: counts that cannot be committed are
// dropped.
func (db *DB) RecordRejection(r ledger.Rejection) {
	if r.At.IsZero() {
		r.At = db.now()
	}
	r.At = r.At.UTC()
	minute := r.At.Truncate(time.Minute)
	key := rejectionKey{r.Source, r.Reason, millis(minute)}
	db.rej.mu.Lock()
	defer db.rej.mu.Unlock()
	if db.rej.pending == nil {
		db.rej.pending = map[rejectionKey]*ledger.RejectionCount{}
	}
	rc := db.rej.pending[key]
	if rc == nil {
		rc = &ledger.RejectionCount{Source: r.Source, Reason: r.Reason, Minute: minute}
		db.rej.pending[key] = rc
	}
	rc.Count++
	if !r.At.Before(rc.Last.At) {
		rc.Last = r
	}
}

// SyncRejections commits the rejections recorded so far and returns when
// they are readable, or the error.
func (db *DB) SyncRejections(ctx context.Context) error {
	if err := db.flushRejections(ctx); err != nil {
		return fmt.Errorf("sync rejections: %w", err)
	}
	return nil
}

// flushLoop upserts the pending rejections every rejectionFlushEvery
// until ctx ends, then once more.
func (db *DB) flushLoop(ctx context.Context) {
	defer db.wg.Done()
	t := time.NewTicker(rejectionFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = db.flushRejections(fctx)
			cancel()
			return
		case <-t.C:
			_ = db.flushRejections(ctx)
		}
	}
}

// flushRejections upserts the pending aggregate in one statement and, at
// most once a minute, deletes rows past ledger.RejectionRetention. Only a
// DB that has upserted rejections deletes old ones (the rows grow only
// where rejections are recorded): one that records none, as a copy's
// destination, would otherwise delete old rejections it had just copied,
// before the copy counted them.
func (db *DB) flushRejections(ctx context.Context) error {
	db.rej.flushMu.Lock()
	defer db.rej.flushMu.Unlock()
	db.rej.mu.Lock()
	pending := db.rej.pending
	db.rej.pending = nil
	db.rej.mu.Unlock()
	if len(pending) > 0 {
		var sources, reasons, addrs, errs []string
		var minutes, counts, lasts []int64
		var statuses []int32
		for _, rc := range pending {
			sources, reasons, minutes = append(sources, rc.Source), append(reasons, rc.Reason), append(minutes, millis(rc.Minute))
			counts, statuses, lasts = append(counts, int64(rc.Count)), append(statuses, int32(rc.Last.Status)), append(lasts, millis(rc.Last.At))
			addrs, errs = append(addrs, rc.Last.RemoteAddr), append(errs, db.redact(rc.Last.Error))
		}
		_, err := db.pool.Exec(ctx, `INSERT INTO rejections AS r
			(source, reason, minute, count, status, last_at, remote_addr, error)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::int[], $6::bigint[], $7::text[], $8::text[])
			ON CONFLICT (source, reason, minute) DO UPDATE SET count = r.count + excluded.count,
				status = CASE WHEN excluded.last_at >= r.last_at THEN excluded.status ELSE r.status END,
				remote_addr = CASE WHEN excluded.last_at >= r.last_at THEN excluded.remote_addr ELSE r.remote_addr END,
				error = CASE WHEN excluded.last_at >= r.last_at THEN excluded.error ELSE r.error END,
				last_at = greatest(r.last_at, excluded.last_at)`,
			sources, reasons, minutes, counts, statuses, lasts, addrs, errs)
		if err != nil {
			return fmt.Errorf("upsert rejections: %w", translate(err))
		}
	}
	if len(pending) > 0 {
		db.rej.flushed = true
	}
	now := db.now()
	if !db.rej.flushed || now.Sub(db.rej.lastPrune) < time.Minute {
		return nil
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM rejections WHERE minute < $1`,
		millis(now.Add(-ledger.RejectionRetention))); err != nil {
		return fmt.Errorf("prune rejections: %w", translate(err))
	}
	db.rej.lastPrune = now
	return nil
}

// Rejections returns the aggregated rejections of source ("" for every
// source) from since on, newest minute first; at most limit rows when
// limit > 0. It reads only what was committed (see SyncRejections).
func (db *DB) Rejections(ctx context.Context, source string, since time.Time, limit int) ([]ledger.RejectionCount, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := db.pool.Query(ctx, `SELECT source, reason, minute, count, status, last_at, remote_addr, error
		FROM rejections WHERE ($1 = '' OR source = $1) AND minute >= $2
		ORDER BY minute DESC, source, reason LIMIT $3`,
		source, millis(since.Truncate(time.Minute)), lim)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", translate(err))
	}
	defer rows.Close()
	var out []ledger.RejectionCount
	for rows.Next() {
		var rc ledger.RejectionCount
		var minute, last, count int64
		if err := rows.Scan(&rc.Source, &rc.Reason, &minute, &count, &rc.Last.Status, &last,
			&rc.Last.RemoteAddr, &rc.Last.Error); err != nil {
			return nil, fmt.Errorf("list rejections: %w", translate(err))
		}
		rc.Count, rc.Minute, rc.Last.At = int(count), fromMillis(minute), fromMillis(last)
		rc.Last.Source, rc.Last.Reason = rc.Source, rc.Reason
		out = append(out, rc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejections: %w", translate(err))
	}
	return out, nil
}
