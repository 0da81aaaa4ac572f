package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// RequeueLog requeues, like Requeue, every event the event log shows for
// f, as ledger.DB.RequeueLog does: it walks EventLog's pages down from
// f.Before (or the newest event) and requeues each page in one
// transaction, checking each event again there under a row lock: one that
// no longer matches f is left alone, one under a live lease is skipped and
// counted in leased, and so is one another transaction holds locked (SKIP
// LOCKED, typically a claim on another instance). Each requeued event gets
// an admin action row like r.Action in the same transaction. With an
// IDPrefix, f.Limit is the page the log shows (default 50) and a prefix
// matching more returns ledger.ErrPrefixTooBroad, requeueing nothing. fn
// is called with each batch after it committed; it stops at the first
// error, from the ledger, from fn or from ctx.
func (db *DB) RequeueLog(ctx context.Context, f ledger.LogFilter, r ledger.LogReplay, fn func([]ledger.Requeued) error) (leased int, err error) {
	return ledger.WalkLogReplay(ctx, f, r, db.EventLog, func(ctx context.Context, sel ledger.Selection, evs []*ledger.Event, act ledger.Action) ([]ledger.Requeued, int, error) {
		out, held, err := db.requeueShown(ctx, sel, evs, act)
		if len(out) > 0 {
			db.wakeAll()
		}
		return out, held, err
	}, fn)
}

// requeueShown requeues, in one transaction, each of evs that sel still
// picks and no worker holds, with its action row; it returns those it
// requeued and how many it skipped as held.
func (db *DB) requeueShown(ctx context.Context, sel ledger.Selection, evs []*ledger.Event, act ledger.Action) (out []ledger.Requeued, held int, err error) {
	ids := make([]int64, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		out, held = out[:0], 0
		now := db.now().UTC().Truncate(time.Millisecond)
		where, args := selectionWhere(sel, []string{"id = ANY($1::bigint[])"}, []any{ids})
		var matching int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE `+strings.Join(where, " AND "), args...).
			Scan(&matching); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, source, event_id, type, state, attempts, lease_until, created_at
			FROM events WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC FOR UPDATE SKIP LOCKED`, args...)
		if err != nil {
			return err
		}
		var picked []int64
		locked := 0
		for rows.Next() {
			var rq ledger.Requeued
			var state string
			var leaseUntil, created int64
			if err := rows.Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &state, &rq.Attempts, &leaseUntil, &created); err != nil {
				rows.Close()
				return err
			}
			locked++
			rq.PrevState, rq.CreatedAt = ledger.State(state), fromMillis(created)
			if rq.PrevState == ledger.StateProcessing && leaseUntil > millis(now) {
				held++
				continue
			}
			picked = append(picked, rq.ID)
			out = append(out, rq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		held += matching - locked // rows another transaction holds: a claim under way
		if len(picked) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, requeueSet+` WHERE id = ANY($2::bigint[])`, millis(now), picked); err != nil {
			return err
		}
		for _, rq := range out {
			if _, err := tx.Exec(ctx, `INSERT INTO admin_actions (at, actor, action, source, event_id, detail)
				VALUES ($1, $2, $3, $4, $5, $6)`, millis(now), act.Actor, act.Action, rq.Source, rq.EventID, act.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, 0, err
		}
		return nil, 0, translate(err)
	}
	return out, held, nil
}
