package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// TestPostgresLedgerUnreachable: a postgres:// or postgresql:// ledger,
// from HOOKLEDGER_DB or --db, is a PostgreSQL database, never a file path
// (before the backend was wired in, "no ledger at postgres://user:secretpw@…"
// or a file under a directory named "postgres:"). With the server down,
// every command fails with exit 1, creates nothing in the working
// directory and never repeats the URL's password; backup and vacuum, which
// work on a SQLite file, are usage errors (exit 2) that say what to use
// instead.
func TestPostgresLedgerUnreachable(t *testing.T) {
	const url = "postgres://user:secretpw@127.0.0.1:1/hookledger?sslmode=disable&connect_timeout=2"
	commands := append(append([][]string{}, readCommands...),
		[]string{"serve"}, []string{"cron"}, []string{"process"}, []string{"reconcile", "--since", "1d"},
		[]string{"replay", "--dead"}, []string{"replay", "stripe", "evt_1"}, []string{"prune"},
		[]string{"events", "purge", "--state", "dead", "--yes"}, []string{"alerts", "flush"}, []string{"init", "--deliver"},
		[]string{"backup", "copy.db"}, []string{"vacuum"})
	for _, args := range commands {
		for _, viaEnv := range []bool{false, true} {
			for _, scheme := range []string{"postgres://", "postgresql://"} {
				u := strings.Replace(url, "postgres://", scheme, 1)
				dir := t.TempDir()
				t.Chdir(dir)
				vars := map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_test", "STRIPE_API_KEY": "sk_test_x",
					"HOOKLEDGER_FORWARD_URL": "http://127.0.0.1:1/"}
				argv := append([]string(nil), args...)
				if viaEnv {
					vars["HOOKLEDGER_DB"] = u
				} else {
					argv = append(argv, "--db", u)
				}
				env, stdout, stderr := testEnv(vars)
				err := runWith(context.Background(), env, argv)
				code := app.ExitCode(err, stderr)
				want := app.ExitError
				if args[0] == "backup" || args[0] == "vacuum" {
					want = app.ExitUsage
					if !strings.Contains(stderr.String(), "works on a SQLite ledger file") {
						t.Errorf("%v: stderr %q does not say it works on a SQLite file", argv, stderr.String())
					}
				}
				if code != want {
					t.Errorf("%v (env %v): exit %d, stderr %q; want exit %d", argv, viaEnv, code, stderr.String(), want)
				}
				if strings.Contains(stderr.String()+stdout.String(), "secretpw") {
					t.Errorf("%v: output names the password: %q", argv, stderr.String())
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Errorf("%v: left %d entries in the working directory", argv, len(ents))
				}
			}
		}
	}
}

// TestPostgresReadCommandsNeedALedger: read-only commands on a PostgreSQL
// database that holds no ledger say so and create none (no migration runs
// for a read).
func TestPostgresReadCommandsNeedALedger(t *testing.T) {
	dsn := pgtest.ConnString(t)
	for _, args := range readCommands {
		env, stdout, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": dsn})
		err := runWith(context.Background(), env, args)
		if code := app.ExitCode(err, stderr); code != app.ExitError || !strings.Contains(stderr.String(), "no ledger") {
			t.Errorf("%v on an empty database: exit %d, stderr %q, stdout %q; want exit 1 saying no ledger",
				args, code, stderr.String(), stdout.String())
		}
	}
	// A write makes the ledger; the reads then work.
	env, _, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": dsn})
	if err := runWith(context.Background(), env, []string{"init", "--deliver"}); err != nil {
		t.Fatalf("init: %v\n%s", err, stderr)
	}
	env, stdout, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": dsn})
	if err := runWith(context.Background(), env, []string{"status", "--json"}); err != nil {
		t.Fatalf("status after init: %v\n%s", err, stderr)
	}
	var st struct {
		Mode string `json:"ledger_mode"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &st); err != nil || st.Mode != "deliver" {
		t.Errorf("status --json after init --deliver: ledger_mode %q (%v), want deliver:\n%s", st.Mode, err, stdout.String())
	}
}
