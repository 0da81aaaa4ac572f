package postgres

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// maxErrorLen bounds the error text kept on events and attempts, as on
// SQLite.
const maxErrorLen = 2048

// Settle applies results in one transaction, as ledger.DB.Finish does:
// processed events become processed, retries failed until NextAt, dead
// ones dead, released ones pending again without the attempt counting.
// Every result but a stale one adds a row to attempts. A result whose
// claim no longer holds its event (its lease was lost) is marked Stale and
// changes nothing. The whole batch is one UPDATE and one INSERT.
func (db *DB) Settle(ctx context.Context, results []*ledger.AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	now := millis(db.now())
	s := settleRows{}
	for _, r := range results {
		if err := s.add(r, now, db.errorText); err != nil {
			return fmt.Errorf("finish attempts: %w", err)
		}
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		settled, err := s.update(ctx, tx, now)
		if err != nil {
			return err
		}
		return insertAttempts(ctx, tx, results, settled, db.errorText)
	})
	if err != nil {
		return fmt.Errorf("finish attempts: %w", translate(err))
	}
	return nil
}

// settleRows holds the new values of each result's event, column by
// column, for one UPDATE … FROM unnest.
type settleRows struct {
	ids                                  []int64
	owners, states, lastErrs, attOrigins []string
	attempts, uncount                    []int32
	next, processedAt                    []int64
}

func (s *settleRows) add(r *ledger.AttemptResult, now int64, errorText func(string) string) error {
	c := r.Claim
	state, uncount, next, lastErr, processedAt := ledger.StateFailed, 0, millis(r.NextAt), errorText(r.Error), int64(0)
	attemptOrigin := ""
	if c.Origin != c.Event.Origin {
		attemptOrigin = string(c.Origin)
	}
	switch r.Outcome {
	case ledger.AttemptProcessed:
		state, next, lastErr, processedAt, attemptOrigin = ledger.StateProcessed, 0, "", now, ""
	case ledger.AttemptDead:
		state, next, attemptOrigin = ledger.StateDead, 0, ""
	case ledger.AttemptReleased:
		state, uncount, next, lastErr = ledger.StatePending, 1, 0, c.Event.LastError
	case ledger.AttemptRetry:
	default:
		return fmt.Errorf("event %d: unknown outcome %q", c.Event.ID, r.Outcome)
	}
	s.ids, s.owners, s.attempts = append(s.ids, c.Event.ID), append(s.owners, c.Owner), append(s.attempts, int32(c.Attempt))
	s.states, s.uncount, s.next = append(s.states, string(state)), append(s.uncount, int32(uncount)), append(s.next, next)
	s.lastErrs, s.processedAt, s.attOrigins = append(s.lastErrs, lastErr), append(s.processedAt, processedAt), append(s.attOrigins, attemptOrigin)
	return nil
}

// update settles every row whose claim still holds its event and returns
// the ids it settled.
func (s *settleRows) update(ctx context.Context, tx pgx.Tx, now int64) (map[int64]bool, error) {
	rows, err := tx.Query(ctx, `UPDATE events e SET state = r.state, attempts = e.attempts - r.uncount,
			next_attempt_at = r.next, last_error = r.last_error, processed_at = r.processed_at,
			attempt_origin = r.attempt_origin, lease_owner = '', lease_until = 0, updated_at = $10
		FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::int[], $6::bigint[], $7::text[],
			$8::bigint[], $9::text[]) AS r(id, owner, attempt, state, uncount, next, last_error, processed_at, attempt_origin)
		WHERE e.id = r.id AND e.state = 'processing' AND e.lease_owner = r.owner AND e.attempts = r.attempt
		RETURNING e.id`,
		s.ids, s.owners, s.attempts, s.states, s.uncount, s.next, s.lastErrs, s.processedAt, s.attOrigins, now)
	if err != nil {
		return nil, err
	}
	settled := map[int64]bool{}
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		settled[id] = true
		return nil
	})
	return settled, err
}

// insertAttempts adds the attempt row of each settled result and marks the
// others Stale.
func insertAttempts(ctx context.Context, tx pgx.Tx, results []*ledger.AttemptResult, settled map[int64]bool, errorText func(string) string) error {
	var rows, started, durs []int64
	var attempts []int32
	var origins, outcomes, errs []string
	for _, r := range results {
		c := r.Claim
		if !settled[c.Event.ID] {
			r.Stale = true
			continue
		}
		rows, attempts, origins = append(rows, c.Event.ID), append(attempts, int32(c.Attempt)), append(origins, string(c.Origin))
		started, durs = append(started, millis(r.Started)), append(durs, r.Duration.Microseconds())
		outcomes, errs = append(outcomes, string(r.Outcome)), append(errs, errorText(r.Error))
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO attempts (event_row, attempt, origin, started_at, duration_us, outcome, error)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])`,
		rows, attempts, origins, started, durs, outcomes, errs)
	return err
}

// SetRedact makes the ledger pass every error text it stores through fn
// (the command's secret redaction), as ledger.DB.SetRedact does.
func (db *DB) SetRedact(fn func(string) string) { db.redactFn.Store(&fn) }

// redact is s with every configured secret removed.
func (db *DB) redact(s string) string {
	if fn := db.redactFn.Load(); fn != nil {
		return (*fn)(s)
	}
	return s
}

// errorText is s redacted and shortened to maxErrorLen bytes.
func (db *DB) errorText(s string) string { return truncateError(db.redact(s)) }

// truncateError shortens s to maxErrorLen bytes on a rune boundary.
func truncateError(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	s = s[:maxErrorLen]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
