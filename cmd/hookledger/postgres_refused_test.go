package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// TestPostgresLedgerRefusedUntilComplete: until the PostgreSQL backend is
// complete (issue 14), a postgres:// ledger, from HOOKLEDGER_DB or --db,
// is a usage error (exit 2) that says so, creates nothing and never
// repeats the URL's password. Before, the URL was taken for a file path:
// "no ledger at postgres://user:secretpw@…" with exit 1, or a file opened
// under a directory named "postgres:".
func TestPostgresLedgerRefusedUntilComplete(t *testing.T) {
	const url = "postgres://user:secretpw@127.0.0.1:1/hookledger?sslmode=disable"
	commands := append(append([][]string{}, readCommands...),
		[]string{"serve"}, []string{"cron"}, []string{"process"}, []string{"reconcile", "--since", "1d"},
		[]string{"replay", "--dead"}, []string{"replay", "stripe", "evt_1"}, []string{"prune"},
		[]string{"events", "purge", "--state", "dead", "--yes"}, []string{"backup", "copy.db"}, []string{"alerts", "flush"}, []string{"init", "--deliver"})
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
				if code != app.ExitUsage || !strings.Contains(stderr.String(), "PostgreSQL support is not complete yet") {
					t.Errorf("%v (env %v): exit %d, stderr %q; want exit 2 saying PostgreSQL support is not complete yet",
						argv, viaEnv, code, stderr.String())
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
