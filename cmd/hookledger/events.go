package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runEvents is `hookledger events list|show`.
func runEvents(ctx context.Context, env *app.Env, args []string) error {
	return dispatch(ctx, env, "events", args, []command{
		{"list", "list events, newest received first", runEventsList},
		{"show", "one event with its payload, receipts and attempts", runEventsShow},
		{"purge", "delete dead events for good (--state dead, --yes)", runEventsPurge},
	})
}

// defaultListLimit caps the table `events list` prints unless --limit
// says otherwise. The JSON has no default cap (scripts read it whole).
const defaultListLimit = 100

// runEventsList is `hookledger events list`: the matching events, newest
// received first (--oldest-first for the other way), as a table (the
// newest 100 unless --limit says otherwise) or one JSON array (all of
// them unless --limit caps it).
func runEventsList(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "events list",
		"events list [--source NAME] [--state S] [--since D] [--limit N] [--oldest-first] [--json] [--db PATH]",
		"hookledger events list --source stripe --state dead --since 7d")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	source := fs.String("source", "", "only events of this source")
	state := fs.String("state", "", "only events in this state: pending, processing, processed, failed, dead")
	since := fs.String("since", "", "only events received since this duration ago or RFC 3339 time")
	limit := fs.Int("limit", 0, fmt.Sprintf("at most this many events, 0 for all (default %d in the table, all with --json)",
		defaultListLimit))
	oldest := fs.Bool("oldest-first", false, "oldest received first")
	asJSON := fs.Bool("json", false, "print one JSON array on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f := ledger.EventFilter{Source: *source, Limit: *limit, Newest: !*oldest}
	switch {
	case *limit < 0:
		return app.UsageError("--limit: want 0 (all) or a positive number")
	case !hasFlag(fs, "limit") && !*asJSON:
		f.Limit = defaultListLimit
	}
	if *state != "" {
		st, err := ledger.ParseState(*state)
		if err != nil {
			return app.UsageError(err.Error())
		}
		f.State = st
	}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return app.UsageError(err.Error())
		}
		f.Since = t
	}
	db, err := app.OpenReadOnly(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := app.SayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	if err := noteUnseenSource(ctx, env, db, f.Source); err != nil {
		return err
	}
	if *asJSON {
		return app.Spool(env.Stdout, func(w io.Writer) error { return writeEventsJSON(w, db.Events(ctx, f)) })
	}
	return writeEventsTable(env.Stdout, db.Events(ctx, f), f.Limit)
}

// hasFlag reports whether the flag name was given on the command line.
func hasFlag(fs *flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// noteUnseenSource says on stderr when source names no source the ledger
// has events of (a typo, or a source that has had no traffic yet), and
// which ones it has. The listing that follows is then empty.
func noteUnseenSource(ctx context.Context, env *app.Env, db app.Ledger, source string) error {
	if source == "" {
		return nil
	}
	seen, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(seen, source) {
		return nil
	}
	list := "none"
	if len(seen) > 0 {
		list = strings.Join(seen, ", ")
	}
	fmt.Fprintf(env.Stderr, "hookledger: the ledger has no event from source %q (sources seen: %s)\n", source, list)
	return nil
}

// writeEventsJSON writes evs as a JSON array, one event at a time, so a
// large ledger does not have to fit in memory. It stops at the first error,
// leaving the array unfinished: callers write through spool.
func writeEventsJSON(w io.Writer, evs iter.Seq2[*ledger.Event, error]) error {
	sep := "["
	for ev, err := range evs {
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		b, err := json.Marshal(app.ToEventJSON(ev))
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if _, err := fmt.Fprintf(w, "%s\n  %s", sep, b); err != nil {
			return err
		}
		sep = ","
	}
	if sep == "[" {
		_, err := io.WriteString(w, "[\n]\n")
		return err
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// writeEventsTable writes evs as a table and a count, saying so when the
// count reached limit (there may be more).
func writeEventsTable(w io.Writer, evs iter.Seq2[*ledger.Event, error], limit int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tEVENT ID\tTYPE\tSTATE\tORIGIN\tATTEMPTS\tRECEIVED")
	n := 0
	for ev, err := range evs {
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", ev.Source, ev.EventID, typeAndAction(ev),
			ev.State, ev.Origin, ev.Attempts, ev.ReceivedAt.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if limit > 0 && n == limit {
		fmt.Fprintf(w, "%d events (the first %d; --limit 0 lists all)\n", n, limit)
		return nil
	}
	fmt.Fprintf(w, "%d events\n", n)
	return nil
}

// typeAndAction is the event's type with its action, when it has one
// ("issues.opened").
func typeAndAction(ev *ledger.Event) string {
	if ev.Action == "" {
		return ev.Type
	}
	return ev.Type + "." + ev.Action
}
