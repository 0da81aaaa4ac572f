// Package ledgercopy copies a whole SQLite ledger into a PostgreSQL one,
// table by table, for a user who outgrows SQLite and keeps their history
// (`hookledger copy`). It reads a consistent snapshot of the SQLite
// ledger (ledger.Export, read-only, so a live serve goes on) in keyset
// batches and writes each batch in one transaction that skips rows
// already there (postgres.Import): a copy that was stopped part way
// simply runs again, resumes after the last batch it wrote and copies
// nothing twice. At the end it moves the PostgreSQL id sequences past the
// copied ids and checks, table by table, that the counts agree.
package ledgercopy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// DefaultBatch is how many rows one batch reads and writes when
// Options.Batch is 0.
const DefaultBatch = 1000

// ErrMismatch is returned (wrapped, with the tables and counts) when the
// copy's counts differ from the source's after copying.
var ErrMismatch = errors.New("copy verification failed")

// Options tunes Copy. The zero value is the default.
type Options struct {
	// Batch is how many rows each batch carries; DefaultBatch when 0.
	Batch int
	// Progress, when not nil, is called after each batch written and once
	// when each table is done, on Copy's goroutine.
	Progress func(Progress)
	// Now is the clock Summary.Elapsed is measured with; time.Now when nil.
	Now func() time.Time
}

// Progress is where a copy stands in one table.
type Progress struct {
	Table  string
	Copied int64 // rows of this table written by this run so far
	Total  int64 // rows of this table in the source snapshot
	Done   bool  // the table is finished
}

// Table is the outcome of one table.
type Table struct {
	Name        string `json:"table"`
	Source      int64  `json:"source_rows"`      // rows in the SQLite snapshot
	Copied      int64  `json:"copied"`           // rows this run wrote (0 for a table an earlier run finished)
	Destination int64  `json:"destination_rows"` // rows in PostgreSQL after the copy
	Expected    int64  `json:"expected_rows"`    // what Destination must be
}

// Skipped is something of the source the PostgreSQL schema has no place
// for: a whole table (Columns empty) or some of a table's columns.
type Skipped struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns,omitempty"`
	Rows    int64    `json:"rows"` // rows of the table in the source
	Reason  string   `json:"reason"`
}

// Summary is what a copy did.
type Summary struct {
	Tables   []Table       `json:"tables"`
	Skipped  []Skipped     `json:"skipped"`
	Verified bool          `json:"verified"`
	Elapsed  time.Duration `json:"-"`
}

// Copy copies every table of src into dst and verifies the counts. It
// returns the summary so far with any error; an error wrapping
// ErrMismatch when the copy completed but a table's count differs (dst
// had rows of its own, or the source changed in a way a resumed copy
// cannot see). Running it again after an error or a cancel continues
// where it stopped.
func Copy(ctx context.Context, src *ledger.DB, dst *postgres.DB, opts Options) (*Summary, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	sum := &Summary{Tables: []Table{}, Skipped: []Skipped{}}
	defer func() { sum.Elapsed = now().Sub(start) }()
	x, err := src.BeginExport(ctx)
	if err != nil {
		return sum, fmt.Errorf("copy: %w", err)
	}
	defer x.Close()
	im, err := dst.BeginImport(ctx)
	if err != nil {
		return sum, fmt.Errorf("copy: %w", err)
	}
	defer im.Close()
	c := &copier{x: x, im: im, opts: opts, sum: sum}
	if c.opts.Batch <= 0 {
		c.opts.Batch = DefaultBatch
	}
	if err := c.checkDestination(ctx); err != nil {
		return sum, err
	}
	for _, t := range x.Tables() {
		if err := c.table(ctx, t); err != nil {
			return sum, fmt.Errorf("copy: %w", err)
		}
	}
	folded, err := x.TrafficFoldedBefore(ctx)
	if err == nil {
		err = im.SetTrafficFolded(ctx, folded)
	}
	if err != nil {
		return sum, fmt.Errorf("copy: %w", err)
	}
	if err := im.AdvanceSequences(ctx); err != nil {
		return sum, fmt.Errorf("copy: %w", err)
	}
	if err := c.verify(ctx); err != nil {
		return sum, err
	}
	sum.Verified = true
	return sum, nil
}

// copier is one run of Copy.
type copier struct {
	x    *ledger.Export
	im   *postgres.Import
	opts Options
	sum  *Summary
}

// table copies t, or records it as skipped when dst has no such table.
func (c *copier) table(ctx context.Context, t ledger.ExportTable) error {
	total, err := c.x.Count(ctx, t.Name)
	if err != nil {
		return err
	}
	if _, ok := c.im.Columns(t.Name); !ok {
		c.sum.Skipped = append(c.sum.Skipped, Skipped{Table: t.Name, Rows: total,
			Reason: "the PostgreSQL ledger's schema has no such table"})
		return nil
	}
	if dropped := c.im.Dropped(t.Name, t.Columns); len(dropped) > 0 {
		c.sum.Skipped = append(c.sum.Skipped, Skipped{Table: t.Name, Columns: dropped, Rows: total,
			Reason: "the PostgreSQL ledger's schema has no such columns"})
	}
	after, err := c.resumeAfter(ctx, t)
	if err != nil {
		return err
	}
	row := Table{Name: t.Name, Source: total, Expected: total}
	for rows, err := range c.x.Rows(ctx, t.Name, after, c.opts.Batch) {
		if err != nil {
			return err
		}
		w, err := c.im.Write(ctx, t.Name, t.Columns, rows)
		if err != nil {
			return err
		}
		row.Copied += w.Rows
		c.progress(Progress{Table: t.Name, Copied: row.Copied, Total: total})
	}
	c.sum.Tables = append(c.sum.Tables, row)
	c.progress(Progress{Table: t.Name, Copied: row.Copied, Total: total, Done: true})
	return ctx.Err()
}

// resumeAfter returns the key a table's copy continues after: for a table
// keyed by one integer id, the largest one dst has, since batches are
// written in id order, each in one transaction. Other tables (few rows
// each) start from the beginning, and rows already there are skipped.
func (c *copier) resumeAfter(ctx context.Context, t ledger.ExportTable) ([]any, error) {
	if len(t.Key) != 1 || t.Key[0] != "id" {
		return nil, nil
	}
	n, ok, err := c.im.MaxKey(ctx, t.Name, "id")
	if err != nil || !ok {
		return nil, err
	}
	return []any{n}, nil
}

func (c *copier) progress(p Progress) {
	if c.opts.Progress != nil {
		c.opts.Progress(p)
	}
}
