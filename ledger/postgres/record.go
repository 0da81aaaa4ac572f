package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// notifyChannel is the LISTEN/NOTIFY channel intake signals on; the
// payload is the ledger's schema, so ledgers sharing a database wake only
// their own processors.
const notifyChannel = "hookledger_recorded"

// maxBatch bounds the requests one intake transaction commits.
const maxBatch = 256

// commitTimeout bounds one intake transaction, which serves many requests
// and so runs on no request's context.
const commitTimeout = 30 * time.Second

// recordReq is one Record call waiting for a committer.
type recordReq struct {
	ctx     context.Context
	ev      *ledger.Event
	rc      *ledger.Receipt
	headers string
	state   ledger.State // set by the committer: pending, or processed in a ledger-only ledger
	done    chan error

	now   time.Time
	isNew bool
}

// Record stores ev if no event with the same Source and EventID is in the
// ledger yet, and rc (when not nil) as the receipt of the request that
// carried it, in the same transaction. It returns true when ev was new. On
// return with a nil error both rows are committed with synchronous_commit
// on; on any error nothing of this call was committed. A duplicate
// recorded at the same instant by another process is stored once: one
// insert waits for the other's commit and then finds the row.
//
// Concurrent Records share transactions: each committer takes every
// request waiting when it starts and inserts them with one multi-row
// INSERT … ON CONFLICT DO NOTHING RETURNING, which tells new rows from
// duplicates.
func (db *DB) Record(ctx context.Context, ev *ledger.Event, rc *ledger.Receipt) (bool, error) {
	req, err := db.newRecordReq(ctx, ev, rc)
	if err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if db.closed.Load() {
		return false, fmt.Errorf("record event: %w", ledger.ErrClosed)
	}
	select {
	case db.intake <- req:
	case <-ctx.Done():
		return false, fmt.Errorf("record event: %w", ctx.Err())
	}
	// Once queued, wait for the outcome even if ctx ends: the committer
	// either skips the request (ctx already done) or commits it, and the
	// caller must learn which.
	if err := db.wait(req); err != nil {
		return false, fmt.Errorf("record event: %w", err)
	}
	if req.isNew {
		ev.ReceivedAt, ev.State, ev.UpdatedAt = req.now, req.state, req.now
		if req.state == ledger.StateProcessed {
			ev.ProcessedAt = req.now
		}
		db.notifyRecorded()
	}
	return req.isNew, nil
}

// wait returns req's outcome; ledger.ErrClosed when the ledger closed
// with req still queued, uncommitted.
func (db *DB) wait(req *recordReq) error {
	select {
	case err := <-req.done:
		return err
	case <-db.exited:
		select {
		case err := <-req.done:
			return err
		default:
			return ledger.ErrClosed
		}
	}
}

func (db *DB) newRecordReq(ctx context.Context, ev *ledger.Event, rc *ledger.Receipt) (*recordReq, error) {
	if ev.Source == "" || ev.EventID == "" {
		return nil, errors.New("source and event id are required")
	}
	if ev.Origin == "" {
		ev.Origin = ledger.OriginWebhook
	}
	if ev.Origin != ledger.OriginWebhook && ev.Origin != ledger.OriginReconcile && ev.Origin != ledger.OriginReplay {
		return nil, fmt.Errorf("unknown origin %q", ev.Origin)
	}
	if ev.ContentType == "" {
		ev.ContentType = "application/json"
	}
	req := &recordReq{ctx: ctx, ev: ev, rc: rc, headers: "{}", state: ledger.StatePending, done: make(chan error, 1)}
	if len(ev.Headers) > 0 {
		b, err := json.Marshal(ev.Headers)
		if err != nil {
			return nil, err
		}
		req.headers = string(b)
	}
	return req, nil
}

// commitLoop takes the waiting requests in batches and commits each batch
// in one transaction, until ctx ends; then it fails what is still queued.
func (db *DB) commitLoop(ctx context.Context) {
	defer db.wg.Done()
	for {
		var first *recordReq
		select {
		case first = <-db.intake:
		case <-ctx.Done():
			db.failQueued()
			return
		}
		batch := []*recordReq{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-db.intake:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

func (db *DB) failQueued() {
	for {
		select {
		case r := <-db.intake:
			r.done <- ledger.ErrClosed
		default:
			return
		}
	}
}

func (db *DB) commitBatch(batch []*recordReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		return db.recordAll(ctx, tx, live)
	})
	err = translate(err)
	if err == nil {
		db.commits.Add(1)
		db.requests.Add(int64(len(live)))
	}
	for _, r := range live {
		if err != nil {
			r.isNew = false
		}
		r.done <- err
	}
}

// recordAll inserts the batch's events, then its receipts. Within a batch
// the first request for an event wins and later ones are duplicates, as
// they would be one by one. Rows are inserted in key order, so that two
// batches holding the same events wait for each other instead of
// deadlocking.
func (db *DB) recordAll(ctx context.Context, tx pgx.Tx, reqs []*recordReq) error {
	now := db.now().UTC().Truncate(time.Millisecond)
	first := make(map[[2]string]*recordReq, len(reqs))
	var unique []*recordReq
	for _, r := range reqs {
		r.now, r.isNew = now, false
		key := [2]string{r.ev.Source, r.ev.EventID}
		if _, ok := first[key]; !ok {
			first[key] = r
			unique = append(unique, r)
		}
	}
	slices.SortFunc(unique, func(a, b *recordReq) int {
		return cmp.Or(cmp.Compare(a.ev.Source, b.ev.Source), cmp.Compare(a.ev.EventID, b.ev.EventID))
	})
	ids, err := insertEvents(ctx, tx, unique, now)
	if err != nil {
		return err
	}
	for key, row := range ids {
		first[key].isNew = true
		first[key].ev.ID, first[key].state = row.id, row.state
	}
	if err := resolveExisting(ctx, tx, reqs, ids); err != nil {
		return err
	}
	if err := insertReceipts(ctx, tx, reqs, now); err != nil {
		return err
	}
	if len(ids) > 0 {
		return notify(ctx, tx)
	}
	return nil
}

// inserted is the row an insert created and the state it stored.
type inserted struct {
	id    int64
	state ledger.State
}

// insertEvents inserts rs (distinct keys) with one statement and returns
// the rows it created; rows already in the ledger are skipped. The
// statement reads the ledger's mode itself, after taking its lock on
// events, so an event is stored processed exactly when the mode committed
// before it is ledger-only (SetMode locks events against intake while it
// counts what is waiting).
func insertEvents(ctx context.Context, tx pgx.Tx, rs []*recordReq, now time.Time) (map[[2]string]inserted, error) {
	n := len(rs)
	var (
		sources, eventIDs, types, actions, accounts = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		contentTypes, headers, origins              = make([]string, n), make([]string, n), make([]string, n)
		payloads                                    = make([][]byte, n)
		created                                     = make([]int64, n)
	)
	for i, r := range rs {
		ev := r.ev
		sources[i], eventIDs[i], types[i], actions[i], accounts[i] = ev.Source, ev.EventID, ev.Type, ev.Action, ev.Account
		contentTypes[i], headers[i], origins[i] = ev.ContentType, r.headers, string(ev.Origin)
		payloads[i], created[i] = ev.Payload, millis(ev.CreatedAt)
		if payloads[i] == nil {
			payloads[i] = []byte{}
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO events
		(source, event_id, type, action, account, content_type, headers, payload,
		 created_at, origin, state, processed_at, received_at, updated_at)
		SELECT u.*, CASE WHEN m.ledger_only THEN 'processed' ELSE 'pending' END,
			CASE WHEN m.ledger_only THEN $11::bigint ELSE 0 END, $11::bigint, $11::bigint
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
			$6::text[], $7::text[], $8::bytea[], $9::bigint[], $10::text[]) AS u,
			(SELECT coalesce((SELECT value = 'ledger-only' FROM settings WHERE key = 'mode'), false) AS ledger_only) AS m
		ON CONFLICT (source, event_id) DO NOTHING
		RETURNING id, source, event_id, state`,
		sources, eventIDs, types, actions, accounts, contentTypes, headers, payloads, created, origins, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	ids := make(map[[2]string]inserted, n)
	var id int64
	var source, eventID, state string
	_, err = pgx.ForEachRow(rows, []any{&id, &source, &eventID, &state}, func() error {
		ids[[2]string{source, eventID}] = inserted{id: id, state: ledger.State(state)}
		return nil
	})
	return ids, err
}

// resolveExisting sets the row id of every request that did not insert
// its event: a duplicate in the batch, or an event already in the ledger.
func resolveExisting(ctx context.Context, tx pgx.Tx, reqs []*recordReq, ins map[[2]string]inserted) error {
	var sources, eventIDs []string
	for _, r := range reqs {
		if row, ok := ins[[2]string{r.ev.Source, r.ev.EventID}]; ok {
			r.ev.ID = row.id
			continue
		}
		sources, eventIDs = append(sources, r.ev.Source), append(eventIDs, r.ev.EventID)
	}
	if len(sources) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT e.id, e.source, e.event_id FROM events e
		JOIN unnest($1::text[], $2::text[]) AS k(source, event_id) USING (source, event_id)`, sources, eventIDs)
	if err != nil {
		return err
	}
	found := map[[2]string]int64{}
	var id int64
	var source, eventID string
	if _, err := pgx.ForEachRow(rows, []any{&id, &source, &eventID}, func() error {
		found[[2]string{source, eventID}] = id
		return nil
	}); err != nil {
		return err
	}
	for _, r := range reqs {
		key := [2]string{r.ev.Source, r.ev.EventID}
		if _, ok := ins[key]; ok {
			continue
		}
		id, ok := found[key]
		if !ok {
			return fmt.Errorf("event %s/%s neither inserted nor found", r.ev.Source, r.ev.EventID)
		}
		r.ev.ID = id
	}
	return nil
}

// insertReceipts stores the receipts of reqs, accepted for the request
// that inserted its event and duplicate for the others.
func insertReceipts(ctx context.Context, tx pgx.Tx, reqs []*recordReq, now time.Time) error {
	var rcs []*ledger.Receipt
	for _, r := range reqs {
		if r.rc == nil {
			continue
		}
		r.rc.Source, r.rc.EventID = r.ev.Source, r.ev.EventID
		r.rc.Outcome = ledger.OutcomeAccepted
		if !r.isNew {
			r.rc.Outcome = ledger.OutcomeDuplicate
		}
		rcs = append(rcs, r.rc)
	}
	return insertReceiptRows(ctx, tx, rcs, now)
}

func insertReceiptRows(ctx context.Context, tx pgx.Tx, rcs []*ledger.Receipt, now time.Time) error {
	if len(rcs) == 0 {
		return nil
	}
	n := len(rcs)
	sources, eventIDs, outcomes, reasons, addrs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	statuses := make([]int32, n)
	sizes, durs, ats := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, rc := range rcs {
		sources[i], eventIDs[i], outcomes[i], reasons[i], addrs[i] = rc.Source, rc.EventID, string(rc.Outcome), rc.Reason, rc.RemoteAddr
		statuses[i], sizes[i], durs[i], ats[i] = int32(rc.Status), int64(rc.BodySize), rc.Duration.Microseconds(), now.UnixMilli()
		if !rc.ReceivedAt.IsZero() {
			ats[i] = rc.ReceivedAt.UnixMilli()
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO receipts
		(source, event_id, outcome, reason, remote_addr, status, body_size, duration_us, received_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
			$7::bigint[], $8::bigint[], $9::bigint[])`,
		sources, eventIDs, outcomes, reasons, addrs, statuses, sizes, durs, ats)
	return err
}

// IntakeStats are the intake figures of one DB since it opened.
type IntakeStats struct {
	Commits  int64 // intake transactions committed
	Requests int64 // Records those transactions committed, duplicates included
}

// IntakeStats returns db's intake figures so far (this process only).
func (db *DB) IntakeStats() IntakeStats {
	return IntakeStats{Commits: db.commits.Load(), Requests: db.requests.Load()}
}

// RecordReceipt stores one receipt row on its own, in a transaction of its
// own.
func (db *DB) RecordReceipt(ctx context.Context, rc *ledger.Receipt) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		return insertReceiptRows(ctx, tx, []*ledger.Receipt{rc}, db.now().UTC())
	})
	if err != nil {
		return fmt.Errorf("record receipt: %w", translate(err))
	}
	return nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
