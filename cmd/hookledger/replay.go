package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// replayFlags are the parsed flags of `hookledger replay`.
type replayFlags struct {
	db, source, typ, since, until, state string
	dead, dryRun, json                   bool
	batch                                int
	pace                                 time.Duration
}

// runReplay queues events for the processor again: one event, every
// matching dead event, or every event a filter matches (bulk, streamed in
// bounded batches). It never delivers anything itself: the processor of a
// running `serve`, or the next `process`, delivers them through its own
// handler, so a shell configured differently (no handler, no signing
// secret) cannot deliver an event differently.
func runReplay(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "replay",
		"replay SOURCE EVENT_ID | --dead [--source NAME] [--since D] | --since D [--until D] [--source NAME] [--type T] [--state S] [--dry-run] [--json] [--db PATH]",
		"hookledger replay --source stripe --type invoice.paid --since 7d --state processed --dry-run")
	var f replayFlags
	fs.StringVar(&f.db, "db", "", app.DBFlagUsage)
	fs.BoolVar(&f.dead, "dead", false, "requeue every dead event that matches (same as --state dead)")
	fs.StringVar(&f.source, "source", "", "only this source")
	fs.StringVar(&f.typ, "type", "", "only events of this provider type (invoice.paid, push)")
	fs.StringVar(&f.since, "since", "", "only events created since (7d, 36h or RFC 3339); required for a bulk replay")
	fs.StringVar(&f.until, "until", "", "only events created before (a duration back from now or RFC 3339)")
	fs.StringVar(&f.state, "state", "", "only events in this state: pending, processing, processed, failed, dead")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what would be replayed and change nothing")
	fs.BoolVar(&f.json, "json", false, "print one JSON object on stdout (bulk and --dead)")
	fs.IntVar(&f.batch, "batch", 500, "events requeued per transaction")
	fs.DurationVar(&f.pace, "pace", 200*time.Millisecond, "pause between two batches")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	filter, err := f.filter(len(pos), time.Now())
	if err != nil {
		return err
	}
	_, db, err := app.OpenConfigured(ctx, env, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	mode, err := app.SayMode(ctx, env.Stderr, db)
	if err != nil {
		return err
	}
	if mode == ledger.ModeLedgerOnly && !f.dryRun {
		return app.UsageError(fmt.Sprintf("replay: ledger %s is ledger-only: nothing delivers its events, so a replay "+
			"would leave them pending; make it deliver first with `hookledger init --deliver`", app.LedgerName(db)))
	}
	if filter == nil {
		return replayOne(ctx, env, db, pos[0], pos[1], f.dryRun)
	}
	return replayMatching(ctx, env, db, *filter, f)
}

// filter checks the flags against the npos positional arguments and
// returns the bulk filter they ask for, or nil for one event.
func (f replayFlags) filter(npos int, now time.Time) (*ledger.ReplayFilter, error) {
	bulk := f.dead || f.since != "" || f.until != "" || f.source != "" || f.typ != "" || f.state != ""
	switch {
	case npos == 2 && !bulk:
		return nil, nil
	case npos != 0:
		return nil, app.UsageError("replay wants SOURCE EVENT_ID without filters, or --dead, or filters with --since")
	case !bulk:
		return nil, app.UsageError("replay wants SOURCE EVENT_ID, --dead [--source NAME] [--since D], or --since D with filters")
	case !f.dead && f.since == "":
		return nil, app.UsageError("replay: a bulk replay needs --since (use --dead for every dead event)")
	case f.batch < 1 || f.pace < 0:
		return nil, app.UsageError("replay: --batch must be positive and --pace not negative")
	}
	rf := &ledger.ReplayFilter{Source: f.source, Type: f.typ, DryRun: f.dryRun, Batch: f.batch, Pace: f.pace}
	if f.state != "" {
		st, err := ledger.ParseState(f.state)
		if err != nil {
			return nil, app.UsageError("--state: " + err.Error())
		}
		rf.State = st
	}
	if f.dead {
		if rf.State != "" && rf.State != ledger.StateDead {
			return nil, app.UsageError("replay: --dead and --state " + f.state + " contradict each other")
		}
		rf.State = ledger.StateDead
	}
	var err error
	if f.since != "" {
		if rf.Since, err = parseSince(f.since, now); err != nil {
			return nil, app.UsageError("--since: " + err.Error())
		}
	}
	if f.until != "" {
		if rf.Until, err = parseSince(f.until, now); err != nil {
			return nil, app.UsageError("--until: " + err.Error())
		}
		if !rf.Since.Before(rf.Until) {
			return nil, app.UsageError("replay: --since is not before --until")
		}
	}
	return rf, nil
}

// deliveredBy is what replay says about who delivers what it requeued.
const deliveredBy = "a running `hookledger serve`, or `hookledger process`, delivers it through its handler"

// replayOne requeues source's eventID (or, with dryRun, only says what it
// would replay).
func replayOne(ctx context.Context, env *app.Env, db app.Ledger, source, eventID string, dryRun bool) error {
	if dryRun {
		ev, err := db.Event(ctx, source, eventID)
		if err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		fmt.Fprintf(env.Stdout, "would replay %s %s (%s, %s, %d attempts)\n", source, eventID, ev.Type, ev.State, ev.Attempts)
		return nil
	}
	rq, err := db.Requeue(ctx, source, eventID)
	if errors.Is(err, ledger.ErrLeased) {
		return fmt.Errorf("replay %s %s: a processor is delivering it right now; see `hookledger events show %s %s`",
			source, eventID, source, eventID)
	} else if err != nil {
		return fmt.Errorf("requeue event: %w", err)
	}
	fmt.Fprintf(env.Stdout, "requeued %s %s (%s, was %s after %d attempts); %s\n",
		source, eventID, rq.Type, rq.PrevState, rq.Attempts, deliveredBy)
	return nil
}

// replayJSON is one requeued event in `replay --json`.
type replayJSON struct {
	Source    string       `json:"source"`
	EventID   string       `json:"event_id"`
	Type      string       `json:"type"`
	PrevState ledger.State `json:"prev_state"`
	Attempts  int          `json:"attempts"`
	CreatedAt time.Time    `json:"created_at"`
}

// replayMatching requeues, batch by batch, every event rf matches and
// prints each one as it goes (with --json, one object whole at the end,
// streamed through a spool file so memory stays flat).
func replayMatching(ctx context.Context, env *app.Env, db app.Ledger, rf ledger.ReplayFilter, f replayFlags) error {
	verb, what := "requeued", "events"
	if f.dryRun {
		verb = "would requeue"
	}
	if f.dead {
		what = "dead events"
	}
	if f.json {
		return app.Spool(env.Stdout, func(w io.Writer) error { return replayMatchingJSON(ctx, w, db, rf) })
	}
	n := 0
	err := db.RequeueMatching(ctx, rf, func(batch []ledger.Requeued) error {
		for _, rq := range batch {
			fmt.Fprintf(env.Stdout, "%s %s %s (%s, was %s, %d attempts)\n", verb, rq.Source, rq.EventID, rq.Type, rq.PrevState, rq.Attempts)
		}
		n += len(batch)
		return nil
	})
	fmt.Fprintf(env.Stdout, "%s %d %s", verb, n, what)
	if !f.dryRun && n > 0 {
		fmt.Fprint(env.Stdout, "; a running `hookledger serve`, or `hookledger process`, delivers them through its handler")
	}
	fmt.Fprintln(env.Stdout)
	if err != nil {
		return fmt.Errorf("replay: stopped after %d %s: %w", n, what, err)
	}
	return nil
}

// replayMatchingJSON writes {"dry_run", "events": [...], "count"} to w,
// one event at a time.
func replayMatchingJSON(ctx context.Context, w io.Writer, db app.Ledger, rf ledger.ReplayFilter) error {
	fmt.Fprintf(w, "{\n  \"dry_run\": %t,\n  \"events\": [", rf.DryRun)
	n := 0
	err := db.RequeueMatching(ctx, rf, func(batch []ledger.Requeued) error {
		for _, rq := range batch {
			if n > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprint(w, "\n    ")
			b, err := json.Marshal(replayJSON{Source: rq.Source, EventID: rq.EventID, Type: rq.Type,
				PrevState: rq.PrevState, Attempts: rq.Attempts, CreatedAt: rq.CreatedAt})
			if err != nil {
				return fmt.Errorf("encode event: %w", err)
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay: stopped after %d events: %w", n, err)
	}
	_, err = fmt.Fprintf(w, "\n  ],\n  \"count\": %d\n}\n", n)
	return err
}
