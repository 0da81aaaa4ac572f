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

	now      time.Time
	isNew    bool
	resolved bool // its row id is known: inserted, or looked up after
}

// Record stores ev if no event with the same Source and EventID is in the
// ledger yet, and rc (when not nil) as the receipt of the request that
// carried it, in the same transaction: on ev's row when ev was new (as
// the SQLite ledger does), as a duplicate's receipts row otherwise. It
// returns true when ev was new. On return with a nil error both are
// committed with synchronous_commit on. On an error ev was not stored by
// this call: either nothing of the batch was committed, or ev was a
// duplicate whose existing row could not be looked up after the commit
// (its receipt may be stored; the provider's retry is another duplicate).
// A duplicate
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
		db.commitBatch(db.pool, batch)
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

// commitBatch records batch through q (the pool) and answers every
// request.
func (db *DB) commitBatch(q querier, batch []*recordReq) {
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
	err := translate(db.recordAll(ctx, q, live))
	var lookup *lookupError
	committed := err == nil || errors.As(err, &lookup)
	if committed {
		db.commits.Add(1)
		db.requests.Add(int64(len(live)))
		if slices.ContainsFunc(live, func(r *recordReq) bool { return r.isNew }) {
			db.wakeAll()
		}
	}
	for _, r := range live {
		rerr := err
		if lookup != nil && r.resolved {
			rerr = nil // inserted (or found) and committed: only others' lookup failed
		}
		if rerr != nil {
			r.isNew = false
		}
		r.done <- rerr
	}
}

// lookupError is a batch's error when its statement committed but the
// rows of some duplicates could not be looked up after: only the requests
// left without a row id fail.
type lookupError struct{ err error }

func (e *lookupError) Error() string { return "look up existing events: " + e.err.Error() }
func (e *lookupError) Unwrap() error { return e.err }

// querier is what intake queries through: the pool, one statement per
// implicit transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// recordAll stores the batch's events and receipts with one statement,
// which is its own transaction: PostgreSQL commits it, durably
// (synchronous_commit on), before it answers the statement's end, so a
// nil error means the batch is committed, a *lookupError that it is but
// some duplicates' rows could not be looked up after (those requests have
// resolved false), and any other error that nothing of it is. One round
// trip per batch (two with duplicates), not one per statement of a BEGIN … COMMIT
// block: on a busy server the round trips, not the rows, were most of an
// intake transaction's cost.
//
// Within a batch the first request for an event wins and later ones are
// duplicates, as they would be one by one. Rows are inserted in key order,
// so that two batches holding the same events wait for each other instead
// of deadlocking.
func (db *DB) recordAll(ctx context.Context, q querier, reqs []*recordReq) error {
	now := db.now().UTC().Truncate(time.Millisecond)
	first := make(map[[2]string]*recordReq, len(reqs))
	var unique []*recordReq
	for _, r := range reqs {
		r.now, r.isNew, r.resolved = now, false, false
		key := [2]string{r.ev.Source, r.ev.EventID}
		if _, ok := first[key]; !ok {
			first[key] = r
			unique = append(unique, r)
		}
	}
	slices.SortFunc(unique, func(a, b *recordReq) int {
		return cmp.Or(cmp.Compare(a.ev.Source, b.ev.Source), cmp.Compare(a.ev.EventID, b.ev.EventID))
	})
	rows, err := q.Query(ctx, recordSQL, recordArgs(unique, reqs, first, now)...)
	if err != nil {
		return err
	}
	ids := make(map[[2]string]inserted, len(unique))
	var id int64
	var source, eventID, state string
	_, err = pgx.ForEachRow(rows, []any{&id, &source, &eventID, &state}, func() error {
		key := [2]string{source, eventID}
		ids[key] = inserted{id: id, state: ledger.State(state)}
		return nil
	})
	if err != nil {
		return err
	}
	for key, row := range ids {
		first[key].isNew, first[key].state = true, row.state
	}
	for _, r := range reqs {
		if row, ok := ids[[2]string{r.ev.Source, r.ev.EventID}]; ok {
			r.ev.ID, r.resolved = row.id, true
		}
		if r.rc != nil {
			r.rc.Source, r.rc.EventID = r.ev.Source, r.ev.EventID
			r.rc.Outcome = ledger.OutcomeAccepted
			if !r.isNew {
				r.rc.Outcome = ledger.OutcomeDuplicate
			}
		}
	}
	// Events already in the ledger, and any another transaction was
	// inserting when the statement began (skipped by ON CONFLICT once that
	// transaction committed, after the statement's snapshot): look their
	// rows up now.
	if err := resolveExisting(ctx, q, reqs, ids); err != nil {
		return &lookupError{err}
	}
	return nil
}

// recordSQL inserts a batch's events ($1–$10 and their first receipts
// $12–$16, distinct keys in key order) and the receipts of duplicates
// ($17–$25) in one statement and returns the rows it inserted; the keys
// already there are looked up after (resolveExisting), a second round
// trip only for batches holding a duplicate.
// The insert reads the ledger's mode itself, after taking its lock on
// events, so an event is stored processed exactly when the mode committed
// before it is ledger-only (SetMode locks events against intake while it
// counts what is waiting). The receipt of a key's first request goes onto
// the event row it inserts (receipt_at 0 when that request carried no
// receipt); every other receipt, and a first one whose key was already
// there ($19 false or no row inserted), is a duplicate's row. No NOTIFY
// here: it would serialize intake's commits (see notifySQL); commitBatch
// announces new events once committed.
//
// The statement looked the rows already there up itself, for every key of
// every batch: one more probe per key, and on a ledger that was empty when
// a connection cached the statement's generic plan, a probe of
// events_source_created (source, created_at, origin, event_id), which
// bounds only source, so each probe walked every event of the source:
// _bt_checkkeys, a third of the server's CPU in intake.
const recordSQL = `WITH m AS (
	SELECT coalesce((SELECT value = 'ledger-only' FROM settings WHERE key = 'mode'), false) AS ledger_only
), ins AS (
	INSERT INTO events
		(source, event_id, type, action, account, content_type, headers, payload,
		 created_at, origin, receipt_at, receipt_status, receipt_addr, receipt_size, receipt_us,
		 state, processed_at, received_at, updated_at)
	SELECT u.*, CASE WHEN m.ledger_only THEN 'processed' ELSE 'pending' END,
		CASE WHEN m.ledger_only THEN $11::bigint ELSE 0 END, $11::bigint, $11::bigint
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
		$6::text[], $7::text[], $8::bytea[], $9::bigint[], $10::text[],
		$12::bigint[], $13::int[], $14::text[], $15::bigint[], $16::bigint[]) AS u, m
	ON CONFLICT (source, event_id) DO NOTHING
	RETURNING id, source, event_id, state
), rc AS (
	INSERT INTO receipts
		(source, event_id, outcome, reason, remote_addr, status, body_size, duration_us, received_at)
	SELECT r.source, r.event_id, 'duplicate', r.reason, r.addr, r.status, r.size, r.dur, r.at
	FROM unnest($17::text[], $18::text[], $19::bool[], $20::text[], $21::text[], $22::int[],
		$23::bigint[], $24::bigint[], $25::bigint[]) AS r(source, event_id, first, reason, addr, status, size, dur, at)
	WHERE NOT r.first OR NOT EXISTS (SELECT 1 FROM ins WHERE ins.source = r.source AND ins.event_id = r.event_id)
)
SELECT id, source, event_id, state FROM ins`

// recordArgs are recordSQL's arguments: the events of unique with their
// requests' receipts, the receipts of reqs (first names each key's first
// request), and now.
func recordArgs(unique, reqs []*recordReq, first map[[2]string]*recordReq, now time.Time) []any {
	n := len(unique)
	var (
		sources, eventIDs, types, actions, accounts = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		contentTypes, headers, origins, rcAddrs     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		payloads                                    = make([][]byte, n)
		created, rcAts, rcSizes, rcDurs             = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		rcStatuses                                  = make([]int32, n)
	)
	for i, r := range unique {
		ev := r.ev
		sources[i], eventIDs[i], types[i], actions[i], accounts[i] = ev.Source, ev.EventID, ev.Type, ev.Action, ev.Account
		contentTypes[i], headers[i], origins[i] = ev.ContentType, r.headers, string(ev.Origin)
		payloads[i], created[i] = ev.Payload, millis(ev.CreatedAt)
		if payloads[i] == nil {
			payloads[i] = []byte{}
		}
		if rc := r.rc; rc != nil {
			rcAts[i], rcStatuses[i], rcAddrs[i] = receiptAt(rc, now), int32(rc.Status), rc.RemoteAddr
			rcSizes[i], rcDurs[i] = int64(rc.BodySize), rc.Duration.Microseconds()
		}
	}
	var rcs []*ledger.Receipt
	var firsts []bool
	for _, r := range reqs {
		if r.rc != nil {
			rc := *r.rc
			rc.Source, rc.EventID = r.ev.Source, r.ev.EventID
			rcs = append(rcs, &rc)
			firsts = append(firsts, first[[2]string{r.ev.Source, r.ev.EventID}] == r)
		}
	}
	rargs := receiptArgs(rcs, now)
	args := []any{sources, eventIDs, types, actions, accounts, contentTypes, headers, payloads, created, origins, now.UnixMilli(),
		rcAts, rcStatuses, rcAddrs, rcSizes, rcDurs}
	args = append(args, rargs[0], rargs[1], firsts)
	return append(args, rargs[3:]...)
}

// inserted is a row an intake statement inserted.
type inserted struct {
	id    int64
	state ledger.State
}

// resolveExisting sets the row id of every request whose key the intake
// statement did not insert: a duplicate. Its query is planned for each
// execution with its arguments and the table's size now
// (QueryExecModeExec, an unnamed statement), never from a generic plan
// cached while the ledger was empty (see recordSQL).
func resolveExisting(ctx context.Context, q querier, reqs []*recordReq, ins map[[2]string]inserted) error {
	var sources, eventIDs []string
	for _, r := range reqs {
		if _, ok := ins[[2]string{r.ev.Source, r.ev.EventID}]; !ok {
			sources, eventIDs = append(sources, r.ev.Source), append(eventIDs, r.ev.EventID)
		}
	}
	if len(sources) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT e.id, k.source, k.event_id FROM unnest($1::text[], $2::text[]) AS k(source, event_id)
		CROSS JOIN LATERAL (SELECT id FROM events
			WHERE events.source = k.source AND events.event_id = k.event_id LIMIT 1) AS e`,
		pgx.QueryExecModeExec, sources, eventIDs)
	if err != nil {
		return err
	}
	found := map[[2]string]int64{}
	var missing error
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
			missing = fmt.Errorf("event %s/%s neither inserted nor found", r.ev.Source, r.ev.EventID)
			continue
		}
		r.ev.ID, r.resolved = id, true
	}
	return missing
}

// receiptArgs are the column arrays of rcs for an unnest insert: source,
// event id, outcome, reason, remote address, status, body size, duration
// (µs), received at.
func receiptArgs(rcs []*ledger.Receipt, now time.Time) []any {
	n := len(rcs)
	sources, eventIDs, outcomes, reasons, addrs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	statuses := make([]int32, n)
	sizes, durs, ats := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, rc := range rcs {
		sources[i], eventIDs[i], outcomes[i], reasons[i], addrs[i] = rc.Source, rc.EventID, string(rc.Outcome), rc.Reason, rc.RemoteAddr
		statuses[i], sizes[i], durs[i], ats[i] = int32(rc.Status), int64(rc.BodySize), rc.Duration.Microseconds(), receiptAt(rc, now)
	}
	return []any{sources, eventIDs, outcomes, reasons, addrs, statuses, sizes, durs, ats}
}

// receiptAt is when rc's request began (Unix ms), or now when the caller
// did not say.
func receiptAt(rc *ledger.Receipt, now time.Time) int64 {
	if rc.ReceivedAt.IsZero() {
		return now.UnixMilli()
	}
	return rc.ReceivedAt.UnixMilli()
}

func insertReceiptRows(ctx context.Context, tx pgx.Tx, rcs []*ledger.Receipt, now time.Time) error {
	if len(rcs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO receipts
		(source, event_id, outcome, reason, remote_addr, status, body_size, duration_us, received_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
			$7::bigint[], $8::bigint[], $9::bigint[])`, receiptArgs(rcs, now)...)
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
