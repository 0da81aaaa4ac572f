package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// TestHelpGoesToStdout holds that help asked for is printed on stdout with
// exit 0, that `hookledger help COMMAND` is that command's help, and that
// flags are spelled --flag as in the README; a usage error prints the usage
// on stderr, nothing on stdout, and exits 2.
func TestHelpGoesToStdout(t *testing.T) {
	tests := []struct {
		args []string
		want []string // on stdout
	}{
		{[]string{"help"}, []string{"usage: hookledger COMMAND", "serve", "version"}},
		{[]string{"-h"}, []string{"usage: hookledger COMMAND"}},
		{[]string{"--help"}, []string{"usage: hookledger COMMAND"}},
		{[]string{"help", "serve"}, []string{"usage: hookledger serve", "  --addr string", "  --no-schedule"}},
		{[]string{"serve", "-h"}, []string{"usage: hookledger serve", "  --addr string"}},
		{[]string{"help", "events"}, []string{"usage: hookledger events SUBCOMMAND", "list"}},
		{[]string{"help", "events", "list"}, []string{"usage: hookledger events list", "  --limit int"}},
		{[]string{"reconcile", "--help"}, []string{"  --since string", `(default "backfill")`}},
	}
	for _, tt := range tests {
		env, stdout, stderr := testEnv(nil)
		err := runWith(context.Background(), env, tt.args)
		if code := app.ExitCode(err, stderr); code != app.ExitOK {
			t.Errorf("%q: exit %d (%v), want 0", tt.args, code, err)
		}
		if stderr.String() != "" {
			t.Errorf("%q: stderr = %q, want nothing", tt.args, stderr)
		}
		for _, want := range tt.want {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%q: stdout lacks %q:\n%s", tt.args, want, stdout)
			}
		}
		if strings.Contains(stdout.String(), "\n  -") && !strings.Contains(stdout.String(), "\n  --") {
			t.Errorf("%q: flags spelled -flag, want --flag:\n%s", tt.args, stdout)
		}
	}
	for _, args := range [][]string{{}, {"nope"}, {"help", "nope"}, {"serve", "--nope"}, {"events"}} {
		env, stdout, stderr := testEnv(nil)
		err := runWith(context.Background(), env, args)
		if code := app.ExitCode(err, stderr); code != app.ExitUsage || stdout.String() != "" ||
			!strings.Contains(stderr.String(), "usage: hookledger") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, the usage", args, code, stdout, stderr)
		}
	}
}
