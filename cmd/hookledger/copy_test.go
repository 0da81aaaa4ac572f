package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// TestCopyCommandCopiesAndResumes drives `hookledger copy --json` twice
// on a small SQLite ledger: the first run copies every event and
// verifies, the second copies nothing and verifies again; the copy reads
// back each payload byte for byte.
func TestCopyCommandCopiesAndResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookledger.db")
	db := ledgertest.OpenSQLiteAt(t, path)
	var want []*ledger.Event
	for i := range 30 {
		ev := ledgertest.RecordAt(t, db, "stripe", fmt.Sprintf("evt_%02d", i), time.Now().Add(-time.Duration(i)*time.Minute))
		want = append(want, ev)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	url := pgtest.ConnString(t)
	for run, wantCopied := range []int64{30, 0} {
		env, stdout, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": path})
		if err := runWith(context.Background(), env, []string{"copy", "--to", url, "--batch", "7", "--json"}); err != nil {
			t.Fatalf("run %d: copy error = %v, stderr %s", run, err, stderr)
		}
		var sum struct {
			Verified bool `json:"verified"`
			Tables   []struct {
				Table       string `json:"table"`
				Copied      int64  `json:"copied"`
				Destination int64  `json:"destination_rows"`
			} `json:"tables"`
		}
		if err := json.Unmarshal([]byte(stdout.String()), &sum); err != nil {
			t.Fatalf("run %d: stdout is not one JSON document: %v\n%s", run, err, stdout)
		}
		if !sum.Verified || len(sum.Tables) == 0 || sum.Tables[0].Table != "events" ||
			sum.Tables[0].Copied != wantCopied || sum.Tables[0].Destination != 30 {
			t.Errorf("run %d: summary %+v, want verified, events copied %d, 30 on PostgreSQL", run, sum, wantCopied)
		}
		if !strings.Contains(stderr.String(), "copy: done events") {
			t.Errorf("run %d: stderr %q, want progress per table", run, stderr)
		}
	}
	dst, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, ev := range want {
		got, err := dst.Event(context.Background(), ev.Source, ev.EventID)
		if err != nil || string(got.Payload) != string(ev.Payload) {
			t.Errorf("copied %s = %v, %v; want payload %s", ev.EventID, got, err, ev.Payload)
		}
	}
}

// TestCopyCommandUsage: a missing or non-PostgreSQL --to is a usage
// error, and an unreachable server's error never repeats the URL's
// password.
func TestCopyCommandUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookledger.db")
	ledgertest.OpenSQLiteAt(t, path).Close()
	for _, args := range [][]string{{"copy"}, {"copy", "--to", "other.db"}, {"copy", "--to", "postgres://x/y", "--batch", "0"}} {
		env, _, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": path})
		err := runWith(context.Background(), env, args)
		if code := app.ExitCode(err, stderr); code != app.ExitUsage {
			t.Errorf("%v: exit %d (%v), want %d", args, code, err, app.ExitUsage)
		}
	}
	env, _, stderr := testEnv(nil)
	err := runWith(context.Background(), env, []string{"copy", "--from", path, "--to", "postgres://user:secretpw@127.0.0.1:1/x?connect_timeout=2"})
	if code := app.ExitCode(err, stderr); code != app.ExitError || strings.Contains(fmt.Sprint(err)+stderr.String(), "secretpw") {
		t.Errorf("unreachable server: exit %d, error %v, stderr %q; want exit 1 without the password", code, err, stderr)
	}
}
