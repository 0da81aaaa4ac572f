package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runEventsPurge is `hookledger events purge`: deletes dead events for
// good, the one way besides replay that a dead event leaves the ledger
// (retention never takes it). It deletes only with --yes.
func runEventsPurge(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "events purge", "events purge --state dead [--source NAME] [--before D] [--dry-run | --yes] [--json] [--db PATH]",
		"hookledger events purge --state dead --source github --before 30d --yes")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	state := fs.String("state", "", "the state to purge: only dead (required, so the command says what it deletes)")
	source := fs.String("source", "", "only events of this source")
	before := fs.String("before", "", "only events received before this duration ago or RFC 3339 time")
	dryRun := fs.Bool("dry-run", false, "count what would be purged; change nothing")
	yes := fs.Bool("yes", false, "delete them: without it, purge counts and asks for it")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *state != string(ledger.StateDead) {
		return app.UsageError("events purge: want --state dead (retention prunes processed events; pending, processing and failed events still have work to do)")
	}
	f := ledger.PurgeFilter{Source: *source, DryRun: *dryRun || !*yes}
	if *before != "" {
		t, err := parseSince(*before, time.Now())
		if err != nil {
			return app.UsageError("events purge: --before: " + err.Error())
		}
		f.Before = t
	}
	cfg, err := app.LoadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	if err := app.RequireLedger("events purge", cfg.DB); err != nil {
		return err
	}
	db, err := app.OpenWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.PurgeDead(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := app.WriteJSON(env.Stdout, toPruneJSON(ledger.Retention{}, rep)); err != nil {
			return err
		}
	} else {
		verb := "purged"
		if rep.DryRun {
			verb = "would purge (dry run)"
		}
		fmt.Fprintf(env.Stdout, "%s dead events:\n", verb)
		printRemoved(env.Stdout, rep)
		printSpace(env.Stdout, rep)
	}
	if !*dryRun && !*yes {
		return app.UsageError(fmt.Sprintf("events purge: %d dead events match; nothing deleted: rerun with --yes to delete them for good", rep.Events))
	}
	return nil
}
