package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// RejectionRetention is how long aggregated rejection rows are kept: the
// writer deletes older ones as it upserts new ones.
const RejectionRetention = 7 * 24 * time.Hour

// rejectionFlushDelay is how long rejections gather in memory before the
// writer upserts them: under a flood, ten small commits a second.
const rejectionFlushDelay = 100 * time.Millisecond

// Rejection is one request the receiver refused.
type Rejection struct {
	Source     string // a configured source; the receiver records none for unknown ones
	Reason     string // a short fixed word (signature, malformed, too_large, …)
	Status     int    // the HTTP status answered
	At         time.Time
	RemoteAddr string
	Error      string // the error text; never a secret or signature value
}

// RejectionCount is the rejections of one source and reason in one minute,
// with the last of them as a sample.
type RejectionCount struct {
	Source string
	Reason string
	Minute time.Time // start of the minute
	Count  int
	Last   Rejection // the latest sample in that minute
}

type rejectionKey struct {
	source, reason string
	minute         int64
}

// rejections gathers rejections in memory until the writer upserts them.
// Its size is bounded by sources × reasons × the minutes between flushes.
type rejections struct {
	mu        sync.Mutex
	pending   map[rejectionKey]*RejectionCount
	queued    bool      // a flush op is in the writer's queue
	lastPrune time.Time // writer only
}

// waiting reports whether rejections wait in memory for the writer.
func (r *rejections) waiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending) > 0
}

// RecordRejection counts r in the per-minute aggregate without waiting:
// within rejectionFlushDelay the group-commit writer upserts the aggregate
// with its next batch, so a flood of rejected requests costs a few row
// updates ten times a second, not a transaction per request. Rejections are best effort: ones that the
// writer cannot commit (a full disk, a closed ledger) are dropped.
func (db *DB) RecordRejection(r Rejection) {
	if r.At.IsZero() {
		r.At = db.now()
	}
	r.At = r.At.UTC()
	minute := r.At.Truncate(time.Minute)
	key := rejectionKey{r.Source, r.Reason, millis(minute)}
	db.rej.mu.Lock()
	if db.rej.pending == nil {
		db.rej.pending = map[rejectionKey]*RejectionCount{}
	}
	rc := db.rej.pending[key]
	if rc == nil {
		rc = &RejectionCount{Source: r.Source, Reason: r.Reason, Minute: minute}
		db.rej.pending[key] = rc
	}
	rc.Count++
	if !r.At.Before(rc.Last.At) {
		rc.Last = r
	}
	queue := !db.rej.queued
	db.rej.queued = true
	db.rej.mu.Unlock()
	if queue {
		time.AfterFunc(rejectionFlushDelay, db.queueRejections)
	}
}

// queueRejections hands the writer a flush of the pending rejections.
func (db *DB) queueRejections() {
	if !db.tryEnqueue(writeOp{ctx: context.Background(), fn: db.flushRejections, done: make(chan error, 1)}) {
		db.rej.mu.Lock()
		db.rej.queued = false // the next rejection tries again; Close flushes what is left
		db.rej.mu.Unlock()
	}
}

// SyncRejections commits the rejections recorded so far and returns when
// they are readable, or the writer's error.
func (db *DB) SyncRejections(ctx context.Context) error {
	if err := db.write(ctx, db.flushRejections); err != nil {
		return fmt.Errorf("sync rejections: %w", err)
	}
	return nil
}

// tryEnqueue hands op to the writer without waiting for room or outcome;
// false when the ledger is closed or the queue is full.
func (db *DB) tryEnqueue(op writeOp) bool {
	db.closeMu.RLock()
	defer db.closeMu.RUnlock()
	if db.closed {
		return false
	}
	select {
	case db.ops <- op:
		return true
	default:
		return false
	}
}

// flushRejections is a write function: it upserts the pending aggregate
// and, at most once a minute, deletes rows past RejectionRetention.
func (db *DB) flushRejections(ctx context.Context, tx *sql.Tx) error {
	db.rej.mu.Lock()
	pending := db.rej.pending
	db.rej.pending, db.rej.queued = nil, false
	db.rej.mu.Unlock()
	for _, rc := range pending {
		if _, err := db.exec(ctx, tx, `INSERT INTO rejections
			(source, reason, minute, count, status, last_at, remote_addr, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, reason, minute) DO UPDATE SET
				count = count + excluded.count, status = excluded.status, last_at = excluded.last_at,
				remote_addr = excluded.remote_addr, error = excluded.error`,
			rc.Source, rc.Reason, millis(rc.Minute), rc.Count, rc.Last.Status, millis(rc.Last.At),
			rc.Last.RemoteAddr, rc.Last.Error); err != nil {
			return fmt.Errorf("upsert rejections: %w", translate(err))
		}
	}
	now := db.now()
	if now.Sub(db.rej.lastPrune) < time.Minute {
		return nil
	}
	if _, err := db.exec(ctx, tx, `DELETE FROM rejections WHERE minute < ?`,
		millis(now.Add(-RejectionRetention))); err != nil {
		return fmt.Errorf("prune rejections: %w", translate(err))
	}
	db.rej.lastPrune = now
	return nil
}

// Rejections returns the aggregated rejections of source ("" for every
// source) from since on, newest minute first; at most limit rows when
// limit > 0. It reads only what the writer has committed (see
// SyncRejections).
func (db *DB) Rejections(ctx context.Context, source string, since time.Time, limit int) ([]RejectionCount, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT source, reason, minute, count, status, last_at, remote_addr, error
		FROM rejections WHERE (? = '' OR source = ?) AND minute >= ?
		ORDER BY minute DESC, source, reason LIMIT ?`,
		source, source, millis(since.Truncate(time.Minute)), limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", translate(err))
	}
	defer rows.Close()
	var out []RejectionCount
	for rows.Next() {
		var rc RejectionCount
		var minute, last int64
		if err := rows.Scan(&rc.Source, &rc.Reason, &minute, &rc.Count, &rc.Last.Status, &last,
			&rc.Last.RemoteAddr, &rc.Last.Error); err != nil {
			return nil, fmt.Errorf("list rejections: %w", translate(err))
		}
		rc.Minute, rc.Last.At = fromMillis(minute), fromMillis(last)
		rc.Last.Source, rc.Last.Reason = rc.Source, rc.Reason
		out = append(out, rc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejections: %w", translate(err))
	}
	return out, nil
}
