package main

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// readCommands are the commands that only look at the ledger.
var readCommands = [][]string{
	{"status"},
	{"status", "--json"},
	{"events", "list"},
	{"events", "list", "--json"},
	{"events", "show", "stripe", "evt_0"},
	{"events", "show", "stripe", "evt_0", "--json"},
	{"alerts", "list", "--all", "--json"},
}

// TestReadCommandsNeedALedger: a reading command pointed at a path with no
// ledger (a typo) fails with "no ledger at PATH", prints nothing on stdout
// and creates nothing. It used to create an empty ledger there and report
// "(no events yet)" with exit 0.
func TestReadCommandsNeedALedger(t *testing.T) {
	for _, args := range readCommands {
		dir := t.TempDir()
		path := filepath.Join(dir, "typo.db")
		for _, viaEnv := range []bool{false, true} {
			vars, argv := map[string]string{}, append([]string(nil), args...)
			if viaEnv {
				vars["HOOKLEDGER_DB"] = path
			} else {
				argv = append(argv, "--db", path)
			}
			env, stdout, _ := testEnv(vars)
			err := runWith(context.Background(), env, argv)
			if code := app.ExitCode(err, io.Discard); code != app.ExitError || err == nil ||
				!strings.Contains(err.Error(), "no ledger at "+path) || stdout.String() != "" {
				t.Errorf("%v (env %v) = exit %d, %v, stdout %q; want exit 1 saying %q", argv, viaEnv, code, err, stdout, "no ledger at "+path)
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%v created %d files in %s", args, len(ents), dir)
		}
	}
}

// TestReadCommandsOnReadOnlyLedger: with the ledger file made read-only
// (mode 0444), every reading command succeeds and the file is byte for
// byte what it was. (The tests run as root, for whom the mode does not
// bind; ledger.TestReadOnlyForAnotherUser reads as an unprivileged user.)
func TestReadCommandsOnReadOnlyLedger(t *testing.T) {
	w := newProcessWorld(t, 2)
	if err := os.Chmod(w.dsn, 0o444); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, w.dsn)
	for _, args := range readCommands {
		if _, err := w.run(t, nil, args...); err != nil {
			t.Errorf("%v on a read-only ledger: %v", args, err)
		}
	}
	if fileSum(t, w.dsn) != before {
		t.Errorf("reading commands changed the ledger file")
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestUsageErrorsTouchNothing: a command with a bad flag exits 2 before it
// opens the ledger, so no ledger file appears. `reconcile --since 7x` used
// to create hookledger.db and then report the usage error.
func TestUsageErrorsTouchNothing(t *testing.T) {
	for _, args := range [][]string{
		{"reconcile", "--since", "7x"},
		{"reconcile", "--until", "1h"},
		{"reconcile", "--since", "1h", "--until", "2h"},
		{"reconcile", "--since", "7d", "--mode", "sideways"},
		{"reconcile", "--since", "7d", "--source", "paypal"},
		{"process", "--workers", "-1"},
		{"events", "list", "--since", "7x"},
		{"status", "extra"},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "hookledger.db")
		env, stdout, _ := testEnv(map[string]string{"HOOKLEDGER_DB": path, "STRIPE_API_KEY": "sk_test_x",
			"HOOKLEDGER_FORWARD_URL": "http://127.0.0.1:9/"})
		err := runWith(context.Background(), env, args)
		if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || stdout.String() != "" {
			t.Errorf("%v = exit %d (%v), stdout %q; want %d", args, code, err, stdout, app.ExitUsage)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%v created %s", args, ents[0].Name())
		}
	}
}
