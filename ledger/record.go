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
// A new event starts pending, or processed when the ledger's Mode is
// ModeLedgerOnly (read in the transaction that stores it), with ReceivedAt
// set to now; Record fills ev.ID, ev.ReceivedAt and ev.State.
// For a duplicate, ev.ID is the existing row's id and the receipt's outcome
// is set to duplicate. Concurrent Records are inserted together, a few
// statements per group transaction rather than a few per event.
func (db *DB) Record(ctx context.Context, ev *Event, rc *Receipt) (bool, error) {
	if ev.Source == "" || ev.EventID == "" {
		return false, errors.New("record event: source and event id are required")
	}
	if ev.Origin == "" {
		ev.Origin = OriginWebhook
	}
	if ev.Origin != OriginWebhook && ev.Origin != OriginReconcile && ev.Origin != OriginReplay {
		return false, fmt.Errorf("record event: unknown origin %q", ev.Origin)
	}
	if ev.ContentType == "" {
		ev.ContentType = "application/json"
	}
	req := &recordReq{ev: ev, rc: rc, headers: "{}", payload: db.encodePayload(ev.Source, ev.Payload)}
	if len(ev.Headers) > 0 {
		b, err := json.Marshal(ev.Headers)
		if err != nil {
			return false, fmt.Errorf("record event: %w", err)
		}
		req.headers = string(b)
	}
	op := writeOp{ctx: ctx, rec: req, done: make(chan error, 1)}
	if err := db.enqueue(ctx, op); err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if req.isNew {
		ev.ReceivedAt, ev.State, ev.UpdatedAt = req.now, req.state, req.now
		if req.state == StateProcessed {
			ev.ProcessedAt = req.now
		}
		db.notifyRecorded()
	}
	return req.isNew, nil
}

// recordReq is one Record call waiting in the writer's queue; recordAll
// fills its outcome.
type recordReq struct {
	ev      *Event
	rc      *Receipt
	headers string
	payload encodedPayload // compressed by Record, on the caller's goroutine

	state State     // set by the writer: pending, or processed in a ledger-only ledger
	now   time.Time // set by the writer: the transaction's time
	isNew bool
}

// recordChunk bounds the rows of one multi-row INSERT (13 variables each,
// far below SQLite's limit), so the statement cache holds few shapes.
const recordChunk = 32

// recordAll inserts the events of reqs with ON CONFLICT DO NOTHING, in
// chunks, then their receipts. Within a batch the first request for an
// event wins and later ones are duplicates, as they would be one by one.
func (db *DB) recordAll(ctx context.Context, tx *sql.Tx, reqs []*recordReq) error {
	now := db.now().UTC()
	mode, err := db.modeTx(ctx, tx)
	if err != nil {
		return err
	}
	state := StatePending
	if mode == ModeLedgerOnly {
		state = StateProcessed
	}
	for _, r := range reqs {
		r.state = state
	}
	for start := 0; start < len(reqs); start += recordChunk {
		chunk := reqs[start:min(start+recordChunk, len(reqs))]
		if err := db.insertEvents(ctx, tx, chunk, now); err != nil {
			return err
		}
	}
	// The accepted receipt went into the event row; duplicates get rows.
	var rcs []*Receipt
	for _, r := range reqs {
		if r.rc != nil {
			r.rc.Source, r.rc.EventID = r.ev.Source, r.ev.EventID
			r.rc.Outcome = OutcomeAccepted
			if !r.isNew {
				r.rc.Outcome = OutcomeDuplicate
				rcs = append(rcs, r.rc)
			}
		}
	}
	return db.insertReceipts(ctx, tx, rcs, now)
}

// appendReceipt appends the event row's receipt columns for rc, the
// request that carried the event: zero when there was none. Should the
// row be a duplicate's, the insert does not happen and rc gets a row.
func appendReceipt(args []any, rc *Receipt, now time.Time) []any {
	if rc == nil {
		return append(args, 0, 0, "", 0, 0)
	}
	return append(args, receiptAt(rc, now), rc.Status, rc.RemoteAddr, rc.BodySize, rc.Duration.Microseconds())
}

// receiptAt is when rc's request began, or now when the caller did not say.
func receiptAt(rc *Receipt, now time.Time) int64 {
	if rc.ReceivedAt.IsZero() {
		return millis(now)
	}
	return millis(rc.ReceivedAt)
}

func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, chunk []*recordReq, now time.Time) error {
	const cols = 18
	args := make([]any, 0, len(chunk)*cols)
	for _, r := range chunk {
		ev, processedAt := r.ev, int64(0)
		if r.state == StateProcessed {
			processedAt = millis(now)
		}
		args = append(args, ev.Source, ev.EventID, ev.Type, ev.Action, ev.Account, ev.ContentType, r.headers,
			millis(ev.CreatedAt), millis(now), string(ev.Origin), string(r.state), processedAt, millis(now))
		args = appendReceipt(args, r.rc, now)
		r.now = now
	}
	rows, err := db.query(ctx, tx, `INSERT INTO events
		(source, event_id, type, action, account, content_type, headers,
		 created_at, received_at, origin, state, processed_at, updated_at,
		 receipt_at, receipt_status, receipt_addr, receipt_size, receipt_us)
		VALUES `+valueRows(len(chunk), cols)+`
		ON CONFLICT (source, event_id) DO NOTHING
		RETURNING id, source, event_id`, args...)
	if err != nil {
		return translate(err)
	}
	inserted := make(map[[2]string]int64, len(chunk))
	err = scanRows(rows, func(rows *sql.Rows) error {
		var id int64
		var source, eventID string
		if err := rows.Scan(&id, &source, &eventID); err != nil {
			return err
		}
		inserted[[2]string{source, eventID}] = id
		return nil
	})
	if err != nil {
		return err
	}
	if err := db.resolveIDs(ctx, tx, chunk, inserted); err != nil {
		return err
	}
	return db.insertPayloads(ctx, tx, chunk)
}

// insertPayloads stores the payloads of the chunk's new events, as Record
// encoded them.
func (db *DB) insertPayloads(ctx context.Context, tx *sql.Tx, chunk []*recordReq) error {
	const cols = 3
	args := make([]any, 0, len(chunk)*cols)
	for _, r := range chunk {
		if r.isNew {
			if r.payload.encoding == "" { // a request not made by Record
				r.payload = db.encodePayload(r.ev.Source, r.ev.Payload)
			}
			args = append(args, r.ev.ID, r.payload.encoding, r.payload.data)
		}
	}
	if len(args) == 0 {
		return nil
	}
	// REPLACE: a row already under a new event's id is an orphan (its event
	// was deleted outside the ledger, and SQLite reuses the top row id).
	_, err := db.exec(ctx, tx, `INSERT OR REPLACE INTO payloads (event_row, encoding, data) VALUES `+valueRows(len(args)/cols, cols), args...)
	return translate(err)
}

// resolveIDs sets each request's row id and whether it was the one that
// inserted the row; events that were already in the ledger are looked up.
func (db *DB) resolveIDs(ctx context.Context, tx *sql.Tx, chunk []*recordReq, inserted map[[2]string]int64) error {
	claimed := make(map[[2]string]bool, len(inserted))
	for _, r := range chunk {
		key := [2]string{r.ev.Source, r.ev.EventID}
		if id, ok := inserted[key]; ok {
			r.ev.ID, r.isNew = id, !claimed[key]
			claimed[key] = true
			continue
		}
		err := db.queryRow(ctx, tx, `SELECT id FROM events WHERE source = ? AND event_id = ?`,
			r.ev.Source, r.ev.EventID).Scan(&r.ev.ID)
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// RecordReceipt stores one receipt row on its own, in a transaction of its
// own. The receiver does not use it for rejected requests, which must not
// cost a row each: it counts them with RecordRejection.
func (db *DB) RecordReceipt(ctx context.Context, rc *Receipt) error {
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.insertReceipts(ctx, tx, []*Receipt{rc}, db.now().UTC())
	})
	if err != nil {
		return fmt.Errorf("record receipt: %w", err)
	}
	return nil
}

func (db *DB) insertReceipts(ctx context.Context, tx *sql.Tx, rcs []*Receipt, now time.Time) error {
	const cols = 9
	for start := 0; start < len(rcs); start += recordChunk {
		chunk := rcs[start:min(start+recordChunk, len(rcs))]
		args := make([]any, 0, len(chunk)*cols)
		for _, rc := range chunk {
			args = append(args, rc.Source, rc.EventID, string(rc.Outcome), rc.Reason, rc.Status, rc.RemoteAddr,
				rc.BodySize, rc.Duration.Microseconds(), receiptAt(rc, now))
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO receipts
			(source, event_id, outcome, reason, status, remote_addr, body_size, duration_us, received_at)
			VALUES `+valueRows(len(chunk), cols), args...); err != nil {
			return translate(err)
		}
	}
	return nil
}
