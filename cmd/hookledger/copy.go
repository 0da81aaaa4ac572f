package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgercopy"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// runCopy is `hookledger copy --from PATH --to postgres://…`: the whole
// SQLite ledger (events with their payloads byte for byte, receipts,
// attempts, runs, jobs, alerts and their outbox, rejections, the mode,
// admin actions) into a PostgreSQL ledger, for a user who outgrows
// SQLite. The SQLite ledger is read as one consistent snapshot,
// read-only, so serve may keep running; but a later run only adds rows,
// never updates copied ones, so the copy to switch over with is taken
// with serve stopped. Run it again after an interruption: it resumes, and
// copies nothing twice. It ends by checking every table's count.
func runCopy(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "copy", "copy --to postgres://… [--from PATH] [--batch N] [--json]",
		"systemctl stop hookledger && hookledger copy --from hookledger.db --to 'postgres://hookledger@db.internal:5432/hookledger?sslmode=require'")
	from := fs.String("from", "", "the SQLite ledger to copy, opened read-only (default $HOOKLEDGER_DB, else "+app.DefaultDBPath+")")
	to := fs.String("to", "", "the PostgreSQL ledger to copy into (postgres:// or postgresql://): empty,\nor filled in part by an earlier run of this copy, which then resumes")
	batch := fs.Int("batch", ledgercopy.DefaultBatch, "rows read and written per transaction")
	asJSON := fs.Bool("json", false, "print the summary as one JSON document on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if !app.IsPostgres(*to) {
		return app.UsageError("copy: --to must name a PostgreSQL database (postgres://… or postgresql://…)")
	}
	if *batch <= 0 {
		return app.UsageError("copy: --batch must be positive")
	}
	path := *from
	if path == "" {
		path = cmp.Or(env.Getenv("HOOKLEDGER_DB"), app.DefaultDBPath)
	}
	if app.IsPostgres(path) {
		return app.UsageError("copy: --from must name a SQLite ledger file")
	}
	src, err := ledger.OpenReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, postgres.Options{MaxConns: 4, Committers: 1})
	if err != nil {
		return err
	}
	defer dst.Close()
	sum, err := ledgercopy.Copy(ctx, src, dst, ledgercopy.Options{Batch: *batch, Progress: copyProgress(env.Stderr)})
	if *asJSON {
		if jerr := app.WriteJSON(env.Stdout, copyJSON{Summary: sum, From: path, Seconds: sum.Elapsed.Seconds()}); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		printCopy(env.Stdout, path, sum)
	}
	return err
}

// copyJSON is the --json document.
type copyJSON struct {
	*ledgercopy.Summary
	From    string  `json:"from"`
	Seconds float64 `json:"seconds"`
}

// copyProgress prints where the copy is on w: each table when done, and
// within a large table at most once a second.
func copyProgress(w io.Writer) func(ledgercopy.Progress) {
	var last time.Time
	return func(p ledgercopy.Progress) {
		if !p.Done && time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		state := "copying"
		if p.Done {
			state = "done"
		}
		fmt.Fprintf(w, "copy: %s %s: %d of %d rows written by this run\n", state, p.Table, p.Copied, p.Total)
	}
}

// printCopy is the human summary.
func printCopy(w io.Writer, from string, sum *ledgercopy.Summary) {
	fmt.Fprintf(w, "copied %s to PostgreSQL in %v\n", from, sum.Elapsed.Round(time.Millisecond))
	for _, t := range sum.Tables {
		fmt.Fprintf(w, "  %-16s %9d rows in SQLite, %9d on PostgreSQL (%d written now)\n", t.Name, t.Source, t.Destination, t.Copied)
	}
	if len(sum.Skipped) > 0 {
		fmt.Fprintln(w, "not copied: the PostgreSQL ledger's schema has no place for these yet")
		for _, s := range sum.Skipped {
			what := "the whole table"
			if len(s.Columns) > 0 {
				what = "columns " + strings.Join(s.Columns, ", ")
			}
			fmt.Fprintf(w, "  %-16s %s (%d rows)\n", s.Table, what, s.Rows)
		}
	}
	if sum.Verified {
		fmt.Fprintln(w, "verified: every copied table's count matches, and every event's row id, source and id")
	}
}
