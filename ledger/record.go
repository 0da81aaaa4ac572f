package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record stores ev if no event with the same Source and EventID is in the
// ledger yet, and stores rc (when not nil) as the receipt of the request that
// carried it, in the same transaction. It returns true when ev was new. On
// return with a nil error both rows are committed and synced to disk; on any
// error nothing of this call was committed.
//
// A new event starts pending (or processed, in ledger-only mode) with
// ReceivedAt set to now; Record fills ev.ID, ev.ReceivedAt and ev.State.
// For a duplicate, ev.ID is the existing row's id and the receipt's outcome
// is set to duplicate.
func (db *DB) Record(ctx context.Context, ev *Event, rc *Receipt) (bool, error) {
	if ev.Source == "" || ev.EventID == "" {
		return false, errors.New("record event: source and event id are required")
	}
	if ev.Origin == "" {
		ev.Origin = OriginWebhook
	}
	headers, err := json.Marshal(ev.Headers)
	if err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if ev.Headers == nil {
		headers = []byte("{}")
	}
	if ev.ContentType == "" {
		ev.ContentType = "application/json"
	}
	now := db.Now().UTC()
	state := StatePending
	processedAt := int64(0)
	if db.ledgerOnly.Load() {
		state, processedAt = StateProcessed, millis(now)
	}
	var isNew bool
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := db.queryRow(ctx, tx, `INSERT INTO events
			(source, event_id, type, action, account, content_type, headers, payload,
			 created_at, received_at, origin, state, processed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, event_id) DO NOTHING
			RETURNING id`,
			ev.Source, ev.EventID, ev.Type, ev.Action, ev.Account, ev.ContentType, string(headers), ev.Payload,
			millis(ev.CreatedAt), millis(now), string(ev.Origin), string(state), processedAt, millis(now),
		).Scan(&id)
		isNew = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = db.queryRow(ctx, tx, `SELECT id FROM events WHERE source = ? AND event_id = ?`,
				ev.Source, ev.EventID).Scan(&id)
		}
		if err != nil {
			return translate(err)
		}
		ev.ID = id
		if rc == nil {
			return nil
		}
		rc.Source, rc.EventID = ev.Source, ev.EventID
		rc.Outcome = OutcomeAccepted
		if !isNew {
			rc.Outcome = OutcomeDuplicate
		}
		return db.insertReceipt(ctx, tx, rc, now)
	})
	if err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if isNew {
		ev.ReceivedAt, ev.State, ev.UpdatedAt = now, state, now
		db.notifyRecorded()
	}
	return isNew, nil
}

// RecordReceipt stores a receipt for a request that carried no storable
// event (rejected: bad signature, malformed, too large).
func (db *DB) RecordReceipt(ctx context.Context, rc *Receipt) error {
	now := db.Now().UTC()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.insertReceipt(ctx, tx, rc, now)
	})
	if err != nil {
		return fmt.Errorf("record receipt: %w", err)
	}
	return nil
}

func (db *DB) insertReceipt(ctx context.Context, tx *sql.Tx, rc *Receipt, now time.Time) error {
	at := millis(now)
	if !rc.ReceivedAt.IsZero() {
		at = millis(rc.ReceivedAt)
	}
	res, err := db.exec(ctx, tx, `INSERT INTO receipts
		(source, event_id, outcome, reason, status, remote_addr, body_size, duration_us, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rc.Source, rc.EventID, string(rc.Outcome), rc.Reason, rc.Status, rc.RemoteAddr,
		rc.BodySize, rc.Duration.Microseconds(), at)
	if err != nil {
		return translate(err)
	}
	rc.ID, _ = res.LastInsertId()
	return nil
}
