package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run is one reconcile run of one source over a window, with its report.
type Run struct {
	ID         int64
	Source     string
	Job        string // the scheduled job or "manual"
	Since      time.Time
	Until      time.Time
	StartedAt  time.Time
	FinishedAt time.Time // zero while the run is in progress (or died)
	Complete   bool      // the whole window was listed and checked
	Report     json.RawMessage
	Error      string
}

// StartRun records r as started now and sets r.ID and r.StartedAt.
func (db *DB) StartRun(ctx context.Context, r *Run) error {
	if r.Source == "" || r.Job == "" {
		return errors.New("start run: source and job are required")
	}
	r.StartedAt = db.now().UTC()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (source, job, since, until, started_at)
			VALUES (?, ?, ?, ?, ?)`,
			r.Source, r.Job, millis(r.Since), millis(r.Until), millis(r.StartedAt))
		if err != nil {
			return translate(err)
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	return nil
}

// FinishRun stores the outcome of the run r.ID (Complete, Report, Error)
// and sets r.FinishedAt. It returns ErrNotFound for an unknown run.
func (db *DB) FinishRun(ctx context.Context, r *Run) error {
	r.FinishedAt = db.now().UTC()
	report := db.redact(string(r.Report))
	if report == "" {
		report = "{}"
	}
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, complete = ?, report = ?, error = ?
			WHERE id = ?`, millis(r.FinishedAt), r.Complete, report, db.redact(r.Error), r.ID)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

// Watermark returns the latest Until among source's complete runs:
// everything the provider sent before it has been checked. ok is false
// when source never had a complete run.
func (db *DB) Watermark(ctx context.Context, source string) (t time.Time, ok bool, err error) {
	var until sql.NullInt64
	err = db.r.QueryRowContext(ctx, `SELECT max(until) FROM runs WHERE source = ? AND complete = 1`,
		source).Scan(&until)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read watermark: %w", translate(err))
	}
	if !until.Valid {
		return time.Time{}, false, nil
	}
	return fromMillis(until.Int64), true, nil
}

// LastRuns returns, per source, the latest complete (successful) reconcile
// run, ordered by source; empty when there was none.
func (db *DB) LastRuns(ctx context.Context) ([]Run, error) {
	return db.queryRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE id IN (SELECT max(id) FROM runs WHERE complete = 1 GROUP BY source)
		ORDER BY source`)
}

// RecentRuns returns the latest limit runs of source (every source when
// source is ""), newest first, complete or not.
func (db *DB) RecentRuns(ctx context.Context, source string, limit int) ([]Run, error) {
	return db.queryRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE ? = '' OR source = ? ORDER BY id DESC LIMIT ?`, source, source, limit)
}

const runColumns = `id, source, job, since, until, started_at, finished_at, complete, report, error`

func (db *DB) queryRuns(ctx context.Context, query string, args ...any) ([]Run, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", translate(err))
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var since, until, started, finished int64
		var report string
		if err := rows.Scan(&r.ID, &r.Source, &r.Job, &since, &until, &started, &finished,
			&r.Complete, &report, &r.Error); err != nil {
			return nil, fmt.Errorf("query runs: %w", translate(err))
		}
		r.Since, r.Until = fromMillis(since), fromMillis(until)
		r.StartedAt, r.FinishedAt = fromMillis(started), fromMillis(finished)
		r.Report = json.RawMessage(report)
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query runs: %w", translate(err))
	}
	return runs, nil
}

// JobRun is the last run of one scheduled job.
type JobRun struct {
	Name       string
	Spec       string
	StartedAt  time.Time
	FinishedAt time.Time // zero while the job runs
	Error      string    // the last run's error, "" when it succeeded
	LastOKAt   time.Time // when the job last succeeded
	Runs       int
	Failures   int
}

// StartJob records that the job name (with schedule spec) started at.
func (db *DB) StartJob(ctx context.Context, name, spec string, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (name, spec, started_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, started_at = excluded.started_at,
				finished_at = 0`, name, spec, millis(at))
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("start job: %w", err)
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
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET finished_at = ?, error = ?,
			last_ok_at = CASE WHEN ? > 0 THEN ? ELSE last_ok_at END,
			runs = runs + 1, failures = failures + ? WHERE name = ?`,
			millis(at), msg, ok, ok, failed, name)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	return nil
}

// Jobs returns the last run of every scheduled job that ever ran, by name.
func (db *DB) Jobs(ctx context.Context) ([]JobRun, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, spec, started_at, finished_at, error,
		last_ok_at, runs, failures FROM jobs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", translate(err))
	}
	defer rows.Close()
	var jobs []JobRun
	for rows.Next() {
		var j JobRun
		var started, finished, okAt int64
		if err := rows.Scan(&j.Name, &j.Spec, &started, &finished, &j.Error, &okAt,
			&j.Runs, &j.Failures); err != nil {
			return nil, fmt.Errorf("list jobs: %w", translate(err))
		}
		j.StartedAt, j.FinishedAt, j.LastOKAt = fromMillis(started), fromMillis(finished), fromMillis(okAt)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", translate(err))
	}
	return jobs, nil
}
