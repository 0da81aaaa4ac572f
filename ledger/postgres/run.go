package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// StartRun records r as started now and sets r.ID and r.StartedAt.
func (db *DB) StartRun(ctx context.Context, r *ledger.Run) error {
	if r.Source == "" || r.Job == "" {
		return errors.New("start run: source and job are required")
	}
	r.StartedAt = db.now().UTC().Truncate(time.Millisecond)
	err := db.pool.QueryRow(ctx, `INSERT INTO runs (source, job, since, until, started_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		r.Source, r.Job, millis(r.Since), millis(r.Until), millis(r.StartedAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("start run: %w", translate(err))
	}
	return nil
}

// FinishRun stores the outcome of the run r.ID (Complete, Report, Error)
// and sets r.FinishedAt. It returns ledger.ErrNotFound for an unknown run.
func (db *DB) FinishRun(ctx context.Context, r *ledger.Run) error {
	r.FinishedAt = db.now().UTC().Truncate(time.Millisecond)
	report := db.redact(string(r.Report))
	if report == "" {
		report = "{}"
	}
	tag, err := db.pool.Exec(ctx, `UPDATE runs SET finished_at = $1, complete = $2, report = $3, error = $4
		WHERE id = $5`, millis(r.FinishedAt), r.Complete, report, db.redact(r.Error), r.ID)
	if err != nil {
		return fmt.Errorf("finish run: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish run: %w", ledger.ErrNotFound)
	}
	return nil
}

// Watermark returns the latest Until among source's complete runs; ok is
// false when source never had a complete run.
func (db *DB) Watermark(ctx context.Context, source string) (t time.Time, ok bool, err error) {
	var until *int64
	err = db.pool.QueryRow(ctx, `SELECT max(until) FROM runs WHERE source = $1 AND complete`, source).Scan(&until)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read watermark: %w", translate(err))
	}
	if until == nil {
		return time.Time{}, false, nil
	}
	return fromMillis(*until), true, nil
}

// LastRuns returns, per source, the latest complete reconcile run, ordered
// by source; empty when there was none.
func (db *DB) LastRuns(ctx context.Context) ([]ledger.Run, error) {
	return db.queryRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE id IN (SELECT max(id) FROM runs WHERE complete GROUP BY source)
		ORDER BY source`)
}

// RecentRuns returns the latest limit runs of source (every source when
// source is ""), newest first, complete or not.
func (db *DB) RecentRuns(ctx context.Context, source string, limit int) ([]ledger.Run, error) {
	return db.queryRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE $1 = '' OR source = $1 ORDER BY id DESC LIMIT $2`, source, limit)
}

const runColumns = `id, source, job, since, until, started_at, finished_at, complete, report, error`

func (db *DB) queryRuns(ctx context.Context, query string, args ...any) ([]ledger.Run, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", translate(err))
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Run, error) {
		var r ledger.Run
		var since, until, started, finished int64
		var report string
		err := row.Scan(&r.ID, &r.Source, &r.Job, &since, &until, &started, &finished, &r.Complete, &report, &r.Error)
		r.Since, r.Until = fromMillis(since), fromMillis(until)
		r.StartedAt, r.FinishedAt = fromMillis(started), fromMillis(finished)
		r.Report = json.RawMessage(report)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", translate(err))
	}
	return runs, nil
}

// StartJob records that the job name (with schedule spec) started at.
func (db *DB) StartJob(ctx context.Context, name, spec string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO jobs (name, spec, started_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, started_at = excluded.started_at,
			finished_at = 0`, name, spec, millis(at))
	if err != nil {
		return fmt.Errorf("start job: %w", translate(err))
	}
	return nil
}

// FinishJob records the outcome of the job name's current run: jobErr nil
// is a success.
func (db *DB) FinishJob(ctx context.Context, name string, at time.Time, jobErr error) error {
	msg, ok, failed := "", millis(at), 0
	if jobErr != nil {
		msg, ok, failed = db.redact(jobErr.Error()), 0, 1
	}
	_, err := db.pool.Exec(ctx, `UPDATE jobs SET finished_at = $1, error = $2,
		last_ok_at = CASE WHEN $3::bigint > 0 THEN $3::bigint ELSE last_ok_at END,
		runs = runs + 1, failures = failures + $4 WHERE name = $5`,
		millis(at), msg, ok, failed, name)
	if err != nil {
		return fmt.Errorf("finish job: %w", translate(err))
	}
	return nil
}

// Jobs returns the last run of every scheduled job that ever ran, by name.
func (db *DB) Jobs(ctx context.Context) ([]ledger.JobRun, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, spec, started_at, finished_at, error,
		last_ok_at, runs, failures FROM jobs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", translate(err))
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.JobRun, error) {
		var j ledger.JobRun
		var started, finished, okAt, runs, failures int64
		err := row.Scan(&j.Name, &j.Spec, &started, &finished, &j.Error, &okAt, &runs, &failures)
		j.StartedAt, j.FinishedAt, j.LastOKAt = fromMillis(started), fromMillis(finished), fromMillis(okAt)
		j.Runs, j.Failures = int(runs), int(failures)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", translate(err))
	}
	return jobs, nil
}
