package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

func TestReconcileEndToEnd(t *testing.T) {
	nStripe, nGitHub := 1000, 500 // the same size on every backend
	if testing.Short() {
		nStripe, nGitHub = 200, 100
	}
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newReconcileWorldOn(t, dsn, nStripe, nGitHub)
		code, reps := w.reconcileJSON(t, "--since", "7d")
		if code != app.ExitOK {
			t.Fatalf("reconcile exit = %d, want 0; reports %+v", code, reps)
		}
		st, gh := reps["stripe"], reps["github"]
		checkRun(t, st, nStripe, w.stripeDropped, w.stripeForged)
		checkRun(t, gh, nGitHub, w.ghDropped, w.githubForged)

		// Every event in the ledger goes downstream exactly once, backfilled or
		// live, through the processor: reconcile itself delivers nothing.
		if n := len(w.down.snapshot()); n != 0 {
			t.Errorf("reconcile delivered %d events itself; only the processor delivers", n)
		}
		runProcessCmd(t, w.vars)
		want := nStripe + 3 + nGitHub + 3
		w.down.checkEachOnce(t, want)

		code, reps = w.reconcileJSON(t, "--since", "7d")
		if code != app.ExitOK || reps["stripe"].Missing != 0 || reps["github"].Missing != 0 ||
			reps["stripe"].InLedger != nStripe || reps["github"].InLedger != nGitHub {
			t.Errorf("second reconcile = exit %d, stripe %+v, github %+v; want 0 and nothing missing",
				code, counts(reps["stripe"]), counts(reps["github"]))
		}
	})
}

// checkRun checks one source's report of a run that closed every gap.
func checkRun(t *testing.T, r reconcile.Report, expected int, dropped, forged []string) {
	t.Helper()
	if r.Expected != expected || r.Missing != len(dropped) || r.Backfilled != len(dropped) ||
		r.StillMissing != 0 || r.Unknown != len(forged) || !r.Complete || r.Error != "" {
		t.Errorf("%s report = %v complete %v error %q; want expected %d, missing = backfilled = %d, unknown %d",
			r.Source, counts(r), r.Complete, r.Error, expected, len(dropped), len(forged))
	}
	if !reflect.DeepEqual(sorted(r.MissingIDs), sorted(dropped)) {
		t.Errorf("%s missing ids = %v, want the dropped ones %v", r.Source, sorted(r.MissingIDs), sorted(dropped))
	}
	if !reflect.DeepEqual(sorted(r.UnknownIDs), sorted(forged)) {
		t.Errorf("%s unknown ids = %v, want the forged ones %v", r.Source, r.UnknownIDs, forged)
	}
}

func TestReconcileRedeliver(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newReconcileWorldOn(t, dsn, 200, 200)
		code, reps := w.reconcileJSON(t, "--since", "2d", "--mode", "redeliver")
		gh, st := reps["github"], reps["stripe"]
		if code != app.ExitOK || gh.Redelivered != len(w.ghDropped) || gh.Backfilled != 0 || gh.StillMissing != 0 {
			t.Errorf("reconcile --mode redeliver = exit %d, github %s redelivered %d; want 0, %d redelivered",
				code, counts(gh), gh.Redelivered, len(w.ghDropped))
		}
		// Stripe cannot redeliver: its gaps are backfilled, and the report says so.
		if st.Backfilled != len(w.stripeDropped) || st.StillMissing != 0 ||
			!slices.ContainsFunc(st.Warnings, func(s string) bool { return strings.Contains(s, "does not support redelivery") }) {
			t.Errorf("stripe under redeliver = %s, warnings %q; want backfilled with a warning", counts(st), st.Warnings)
		}
	})
}

func TestReconcileDryRunChangesNothing(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newReconcileWorldOn(t, dsn, 300, 100)
		before := rowCounts(t, w.dsn)
		code, reps := w.reconcileJSON(t, "--since", "7d", "--dry-run")
		if code != app.ExitGaps {
			t.Errorf("reconcile --dry-run exit = %d, want %d", code, app.ExitGaps)
		}
		if r := reps["stripe"]; r.Missing != len(w.stripeDropped) || r.StillMissing != r.Missing || r.Backfilled != 0 || !r.DryRun {
			t.Errorf("dry-run stripe report = %s, want %d missing, none recovered", counts(r), len(w.stripeDropped))
		}
		if after := rowCounts(t, w.dsn); !reflect.DeepEqual(before, after) {
			t.Errorf("ledger rows after --dry-run = %v, want %v", after, before)
		}
		if n := len(w.down.snapshot()); n != 0 {
			t.Errorf("dry run forwarded %d events, want none", n)
		}
	})
}

func TestReconcileProviderFailsMidListing(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newReconcileWorldOn(t, dsn, 600, 0)
		// After two good pages every list request fails with a Retry-After
		// longer than the client waits: the listing cannot finish.
		w.stripeFake.SetFaultFunc(func(n int64, r *http.Request) stripetest.Fault {
			if r.URL.Path == "/v1/events" && n > 3 {
				return stripetest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 10 * time.Minute}
			}
			return stripetest.Fault{}
		})
		code, reps := w.reconcileJSON(t, "--since", "7d")
		r := reps["stripe"]
		if code != app.ExitError || r.Complete || r.Error == "" || !r.Gaps() {
			t.Errorf("reconcile with a failing provider = exit %d, complete %v, error %q; want 1, false, an error",
				code, r.Complete, r.Error)
		}
		if r.StoppedAt == nil {
			t.Error("report of an interrupted listing has no stopped_at")
		}
	})
}

func TestReconcileUsage(t *testing.T) {
	vars := map[string]string{"STRIPE_API_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:1",
		"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "l.db")}
	tests := [][]string{
		{"--mode", "resend"},
		{"--since", "yesterday"},
		{"--since", "1d", "--until", "2d"},
		{"--source", "paypal"},
		{"--until", "1d"},
		{"extra"},
	}
	for _, args := range tests {
		env, _, _ := testEnv(vars)
		err := runWith(context.Background(), env, append([]string{"reconcile"}, args...))
		if code := app.ExitCode(err, io.Discard); code != app.ExitUsage {
			t.Errorf("reconcile %v exit = %d (%v), want %d", args, code, err, app.ExitUsage)
		}
	}
}

func TestReconcileHumanSummary(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		w := newReconcileWorldOn(t, dsn, 100, 0)
		env, stdout, stderr := testEnv(w.vars)
		err := runWith(context.Background(), env, []string{"reconcile", "--since", "7d", "--dry-run"})
		if code := app.ExitCode(err, io.Discard); code != app.ExitGaps {
			t.Errorf("reconcile --dry-run exit = %d (%v), want %d", code, err, app.ExitGaps)
		}
		out := stdout.String()
		for _, want := range []string{"SOURCE", "STILL MISSING", "stripe", "dry run", "SECURITY: 3 events", w.stripeForged[0]} {
			if !strings.Contains(out, want) {
				t.Errorf("summary lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(stderr.String(), "\r") {
			t.Errorf("progress bar drawn on a non-terminal stderr: %q", stderr.String())
		}
	})
}
