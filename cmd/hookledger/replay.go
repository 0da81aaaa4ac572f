package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// runReplay requeues one event (and then runs it once through the
// processor, printing the outcome) or every matching dead event (which a
// running `serve` or the next `process` picks up).
//
// Replaying one event while `serve` runs is safe: the event is claimed
// under a lease by whichever processor gets it first; if serve wins, this
// command says so and leaves it to serve.
func runReplay(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "replay", "replay SOURCE EVENT_ID | --dead [--source NAME] [--since D] [--dry-run] [--db PATH]",
		"hookledger replay --dead --source stripe --since 1d")
	dbPath := fs.String("db", "", dbFlagUsage)
	dead := fs.Bool("dead", false, "requeue every dead event that matches")
	source := fs.String("source", "", "with --dead: only this source")
	since := fs.String("since", "", "with --dead: only events created since (7d, 36h or RFC 3339)")
	dryRun := fs.Bool("dry-run", false, "print what would be replayed and change nothing")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	if *dead {
		if len(pos) != 0 {
			return usageError("replay --dead takes no SOURCE or EVENT_ID")
		}
		return replayDead(ctx, env, cfg, *source, *since, *dryRun)
	}
	if len(pos) != 2 || *source != "" || *since != "" {
		return usageError("replay wants SOURCE EVENT_ID, or --dead [--source NAME] [--since D]")
	}
	return replayOne(ctx, env, cfg, pos[0], pos[1], *dryRun)
}

// replayOne requeues source's eventID and runs it once through the
// processor (or, with dryRun, only says what it would replay). It fails
// when the attempt does not end processed.
func replayOne(ctx context.Context, env *Env, cfg Config, source, eventID string, dryRun bool) error {
	db, err := openWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if dryRun {
		ev, err := db.Event(ctx, source, eventID)
		if err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		fmt.Fprintf(env.Stdout, "would replay %s %s (%s, %s, %d attempts)\n", source, eventID, ev.Type, ev.State, ev.Attempts)
		return nil
	}
	h, desc, err := newHandler(cfg)
	if err != nil {
		return err
	}
	if h == nil {
		return usageError("replay: " + errNoHandler.Error())
	}
	p, err := ledger.NewProcessor(db, h, processorConfig(cfg))
	if err != nil {
		return err
	}
	rq, err := db.Requeue(ctx, source, eventID)
	if err != nil {
		return fmt.Errorf("requeue event: %w", err)
	}
	fmt.Fprintf(env.Stdout, "requeued %s %s (%s, was %s after %d attempts)\n", source, eventID, rq.Type, rq.PrevState, rq.Attempts)
	r, err := p.ProcessOne(ctx, rq.ID)
	if errors.Is(err, ledger.ErrNotReady) {
		fmt.Fprintln(env.Stdout, "another processor took it; see `hookledger events show` for the outcome")
		return nil
	}
	if err != nil {
		return fmt.Errorf("process event: %w", err)
	}
	printOutcome(env.Stdout, r, desc)
	if r.Outcome != ledger.AttemptProcessed {
		return fmt.Errorf("replay %s %s: attempt ended %s", source, eventID, r.Outcome)
	}
	return nil
}

// printOutcome prints one attempt's result, via the handler desc.
func printOutcome(w io.Writer, r *ledger.Result, desc string) {
	fmt.Fprintf(w, "attempt %d via %s: %s in %s", r.Claim.Attempt, desc, r.Outcome, r.Duration.Round(time.Millisecond))
	if r.Error != "" {
		fmt.Fprintf(w, ": %s", r.Error)
	}
	if r.Outcome == ledger.AttemptRetry {
		fmt.Fprintf(w, " (next attempt at %s)", r.NextAt.Format(time.RFC3339))
	}
	fmt.Fprintln(w)
}

// replayDead requeues every dead event of source ("" for all) created
// since since ("" for ever), or with dryRun only lists them.
func replayDead(ctx context.Context, env *Env, cfg Config, source, since string, dryRun bool) error {
	f := ledger.DeadFilter{Source: source, DryRun: dryRun}
	if since != "" {
		t, err := parseSince(since, time.Now())
		if err != nil {
			return usageError("--since: " + err.Error())
		}
		f.Since = t
	}
	db, err := openWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rqs, err := db.RequeueDead(ctx, f)
	if err != nil {
		return fmt.Errorf("requeue dead events: %w", err)
	}
	verb := "requeued"
	if dryRun {
		verb = "would requeue"
	}
	for _, rq := range rqs {
		fmt.Fprintf(env.Stdout, "%s %s %s (%s, %d attempts)\n", verb, rq.Source, rq.EventID, rq.Type, rq.Attempts)
	}
	fmt.Fprintf(env.Stdout, "%s %d dead events", verb, len(rqs))
	if !dryRun && len(rqs) > 0 {
		fmt.Fprint(env.Stdout, "; `hookledger serve` or `hookledger process` will run them")
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
