package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// windowFunc picks the window to reconcile for one source.
type windowFunc = func(context.Context, sources.Lister) (sources.Window, error)

// reconcileFlags are the parsed flags of `hookledger reconcile`.
type reconcileFlags struct {
	since, until, source, mode, db string
	dryRun, json                   bool
	log                            app.LogConfig
}

// runReconcile is `hookledger reconcile`: one pass over the window the
// flags name (or each source's incremental window), as a table or as
// {"runs": [REPORT, …]}.
func runReconcile(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "reconcile",
		"reconcile [--since D|T] [--until T] [--source NAME] [--dry-run] [--mode backfill|redeliver] [--json] [--db PATH] [--log-level L]",
		"hookledger reconcile --since 7d --source stripe --dry-run")
	var f reconcileFlags
	fs.StringVar(&f.since, "since", "", "window start: a duration back from now (7d, 36h) or an RFC 3339 time\n(default: from the last complete run, or the provider's retention)")
	fs.StringVar(&f.until, "until", "", "window end: a duration back from now or an RFC 3339 time (default now)")
	fs.StringVar(&f.source, "source", "", "reconcile only this source (stripe, github, paddle; `hookledger sources` says which can)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "list and compare only: change nothing in the ledger or at the provider")
	fs.StringVar(&f.mode, "mode", "backfill", "what to do about missing events: backfill (from the provider's API) or redeliver")
	fs.BoolVar(&f.json, "json", false, `print {"runs": [REPORT, …]} on stdout`)
	fs.StringVar(&f.db, "db", "", app.DBFlagUsage)
	// The command's output is its report: by default only warnings go to
	// the log.
	logf := addLogFlags(fs, slog.LevelWarn)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var err error
	if f.log, err = logf.config(env, slog.LevelWarn); err != nil {
		return err
	}
	cfg, err := app.LoadConfigDB(env, f.db)
	if err != nil {
		return err
	}
	return reconcileCmd(ctx, env, cfg, f)
}

// reconcileCmd runs one reconcile pass as the command line asked and maps
// the outcome to the exit codes: nil (0) complete, app.ErrGaps (3) gaps remain,
// usage (2), anything else (1) the run could not finish.
func reconcileCmd(ctx context.Context, env *app.Env, cfg app.Config, f reconcileFlags) error {
	mode, err := reconcile.ParseMode(f.mode)
	if err != nil {
		return app.UsageError(err.Error())
	}
	// Every usage error is found before the ledger is opened (or created);
	// the window itself is taken once it is open, as the run starts.
	if _, err := reconcileWindow(f, time.Now()); err != nil {
		return err
	}
	logger := app.RedactedLogger(env, cfg, app.NewLogger(env, f.log))
	provs, err := app.BuildProviders(cfg, logger, nil)
	if err != nil {
		return err
	}
	listers, err := pickSource(provs, f.source)
	if err != nil {
		return err
	}
	if f.source == "" {
		// Said on stderr so that --json keeps stdout to the one document.
		for _, in := range provs.LiveOnly() {
			fmt.Fprintf(env.Stderr, "%s: not reconciled: %s\n", in.Name, in.Caps.LiveOnly)
		}
	}
	a, err := app.Open(ctx, env, cfg, logger, provs)
	if err != nil {
		return err
	}
	defer a.Close()
	window, err := reconcileWindow(f, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, app.ModeLine(app.LedgerName(a.DB), a.Mode))
	reports, runErr := reconcileManual(ctx, a, env.Stderr, listers, window, reconcile.Options{Mode: mode, DryRun: f.dryRun})
	if note := delivery(a, reports); note != "" {
		fmt.Fprintln(env.Stderr, note)
	}
	if err := writeReports(env.Stdout, reports, f.json); err != nil {
		return errors.Join(runErr, err)
	}
	return reconcileOutcome(reports, runErr)
}

// reconcileManual runs the "manual" reconcile job over listers and window
// (nil: each source's incremental window), with a progress bar when
// stderr is a terminal. It delivers nothing itself: what it backfilled is
// pending for the processor of serve or process (see delivery).
func reconcileManual(ctx context.Context, a *app.App, stderr io.Writer, listers []sources.Lister,
	window windowFunc, opts reconcile.Options) ([]reconcile.Report, error) {
	bar := newProgress(stderr)
	if bar != nil {
		opts.OnListed = func(source string, listed int) {
			bar.Describe("listing " + source)
			bar.Set(listed)
		}
	}
	// Manual runs alert like scheduled ones (never a dry run): the team
	// channel hears about every gap, whoever found it.
	rec := a.Reconciler("manual", opts)
	if window == nil {
		window = rec.Incremental
	}
	reports, runErr := rec.RunAll(ctx, listers, window)
	if bar != nil {
		bar.Finish()
	}
	return reports, runErr
}

// delivery says what becomes of the events reports recovered, "" when
// there are none. Reconcile never delivers: only the processor of serve or
// process does, through its own handler, so that a shell without (or with
// a different) handler configuration can never mark an event processed
// or deliver it differently.
func delivery(a *app.App, reports []reconcile.Report) string {
	n := 0
	for _, r := range reports {
		if !r.DryRun {
			n += r.Backfilled + r.Redelivered
		}
	}
	switch {
	case n == 0:
		return ""
	case a.Mode == ledger.ModeLedgerOnly:
		return fmt.Sprintf("%d recovered events recorded as processed (ledger-only: nothing is delivered)", n)
	}
	return fmt.Sprintf("%d recovered events are pending: a running `hookledger serve`, or `hookledger process`, "+
		"delivers them through its handler", n)
}

// pickSource keeps the lister named name ("" keeps all). It is a usage
// error when none is configured or the named one is not; for a live-only
// source the error says why it cannot be reconciled.
func pickSource(provs app.Providers, name string) ([]sources.Lister, error) {
	listers := provs.Reconcile
	for _, in := range provs.LiveOnly() {
		if in.Name == name {
			return nil, app.UsageError(fmt.Sprintf("reconcile: %s cannot be reconciled: %s", name, in.Caps.LiveOnly))
		}
	}
	if len(listers) == 0 {
		return nil, app.UsageError("reconcile: no source to reconcile: set STRIPE_API_KEY, GITHUB_TOKEN with GITHUB_HOOKS, or PADDLE_API_KEY with PADDLE_NOTIFICATION_SETTING_ID")
	}
	if name == "" {
		return listers, nil
	}
	for _, l := range listers {
		if l.Name() == name {
			return []sources.Lister{l}, nil
		}
	}
	return nil, app.UsageError(fmt.Sprintf("reconcile: source %q is not configured for reconcile (configured: %s)",
		name, strings.Join(app.Names(listers), ", ")))
}

// reconcileWindow turns --since/--until into a window function; nil means
// the incremental window from each source's watermark.
func reconcileWindow(f reconcileFlags, now time.Time) (windowFunc, error) {
	until := now.UTC()
	if f.until != "" {
		t, err := parseSince(f.until, now)
		if err != nil {
			return nil, app.UsageError("--until: " + err.Error())
		}
		until = t
	}
	if f.since == "" {
		if f.until != "" {
			return nil, app.UsageError("--until needs --since")
		}
		return nil, nil
	}
	since, err := parseSince(f.since, now)
	if err != nil {
		return nil, app.UsageError("--since: " + err.Error())
	}
	if !since.Before(until) {
		return nil, app.UsageError(fmt.Sprintf("--since %s is not before --until %s",
			since.Format(time.RFC3339), until.Format(time.RFC3339)))
	}
	return reconcile.Fixed(since, until), nil
}

// reconcileOutcome maps the run's result to the command's error: runErr
// when the run failed, app.ErrGaps when a report has gaps, else nil.
func reconcileOutcome(reports []reconcile.Report, runErr error) error {
	if runErr != nil {
		return runErr
	}
	gaps, still := false, 0
	for _, r := range reports {
		if r.Gaps() {
			gaps, still = true, still+r.StillMissing
		}
	}
	if gaps {
		return fmt.Errorf("%w: %d events still missing", app.ErrGaps, still)
	}
	return nil
}

// newProgress returns a spinner with a count on w when w is a terminal,
// else nil.
func newProgress(w io.Writer) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("listing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
}

// writeReports prints the reports: exactly {"runs": [...]} with asJSON,
// else a summary table followed by the details that need attention.
func writeReports(w io.Writer, reports []reconcile.Report, asJSON bool) error {
	if asJSON {
		if reports == nil {
			reports = []reconcile.Report{}
		}
		return app.WriteJSON(w, struct {
			Runs []reconcile.Report `json:"runs"`
		}{reports})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSINCE\tUNTIL\tEXPECTED\tIN LEDGER\tMISSING\tRECOVERED\tSTILL MISSING\tUNKNOWN\tPENDING\tSTUCK\tDEAD\tCOMPLETE")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Source,
			r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339), r.Expected, r.InLedger, r.Missing,
			r.Backfilled+r.Redelivered, r.StillMissing, r.Unknown, r.Pending, r.Stuck, r.Dead, yesNo(r.Complete))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		writeDetails(w, r)
	}
	return nil
}

// writeDetails prints what a person should look at in r, with the command
// to run next.
func writeDetails(w io.Writer, r reconcile.Report) {
	if r.DryRun && r.Missing > 0 {
		fmt.Fprintf(w, "\n%s: dry run: %d missing events were not recovered; run without --dry-run to backfill them\n",
			r.Source, r.Missing)
	}
	if r.StillMissing > 0 {
		fmt.Fprintf(w, "\n%s: %d still missing: %s\n", r.Source, r.StillMissing, idList(r.StillMissingIDs, r.StillMissing))
	}
	if r.Unrecoverable > 0 {
		fmt.Fprintf(w, "%s: %d missing events are past the provider's retention and can no longer be recovered\n",
			r.Source, r.Unrecoverable)
	}
	if r.Unknown > 0 {
		fmt.Fprintf(w, "\n%s: SECURITY: %d events came in with a valid signature but the provider never sent them "+
			"(leaked webhook secret or wrong account?): %s\n", r.Source, r.Unknown, idList(r.UnknownIDs, r.Unknown))
	}
	if r.Dead > 0 {
		fmt.Fprintf(w, "%s: %d dead events in the window; replay with: hookledger replay --dead --source %s\n",
			r.Source, r.Dead, r.Source)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%s: warning: %s\n", r.Source, warn)
	}
	if r.Error != "" {
		stopped := ""
		if r.StoppedAt != nil {
			stopped = fmt.Sprintf(" (complete only from %s on)", r.StoppedAt.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "\n%s: run did not finish%s: %s\n", r.Source, stopped, r.Error)
	}
}

// idList shows the first ten of ids and how many more of total there are
// (a report carries at most a capped list of ids but the full count).
func idList(ids []string, total int) string {
	const show = 10
	s := strings.Join(ids[:min(len(ids), show)], ", ")
	if more := total - min(len(ids), show); more > 0 {
		s += fmt.Sprintf(" … and %d more", more)
	}
	return s
}

// yesNo renders a table's boolean column.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
