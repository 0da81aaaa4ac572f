package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hookledger/ledger"
	"hookledger/reconcile"
	"hookledger/sources"
	"hookledger/sources/github/githubtest"
	"hookledger/sources/stripe/stripetest"
)

// downstream counts the Idempotency-Keys the processor forwards.
type downstream struct {
	mu   sync.Mutex
	keys map[string]int
}

func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	d.keys[r.Header.Get("Idempotency-Key")]++
	d.mu.Unlock()
}

// reconcileWorld is two fake providers that sent their events to a real
// receiver, dropping, duplicating and forging some, and the ledger that
// received them.
type reconcileWorld struct {
	vars                        map[string]string
	dbPath                      string
	down                        *downstream
	stripeDropped, ghDropped    []string
	stripeForged, githubForged  []string
	stripeFake                  *stripetest.Server
	stripeSent, githubDelivered int
}

const (
	e2eStripeSecret = "whsec_e2e_reconcile_secret"
	e2eGitHubSecret = "gh_e2e_reconcile_secret"
)

// newReconcileWorld builds the world of issue 4's "done when": nStripe
// Stripe and nGitHub GitHub events sent with 5% dropped and 5% duplicated,
// 3 forged per provider, plus Stripe events that must never count (an
// unsubscribed type, and events before the 7-day window).
func newReconcileWorld(t *testing.T, nStripe, nGitHub int) *reconcileWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sf := stripetest.NewServer()
	t.Cleanup(sf.Close)
	gf := githubtest.NewServer(githubtest.WithSeed(7))
	t.Cleanup(gf.Close)
	down := &downstream{keys: map[string]int{}}
	ds := httptest.NewServer(down)
	t.Cleanup(ds.Close)

	w := &reconcileWorld{dbPath: filepath.Join(t.TempDir(), "ledger.db"), down: down, stripeFake: sf}
	w.vars = map[string]string{
		"HOOKLEDGER_DB":          w.dbPath,
		"HOOKLEDGER_FORWARD_URL": ds.URL,
		"STRIPE_WEBHOOK_SECRET":  e2eStripeSecret,
		"STRIPE_API_KEY":         stripetest.DefaultAPIKey,
		"STRIPE_API_BASE":        sf.URL,
		"GITHUB_WEBHOOK_SECRET":  e2eGitHubSecret,
		"GITHUB_TOKEN":           "ghp_e2e",
		"GITHUB_API_URL":         gf.URL,
	}
	if nGitHub == 0 {
		for _, k := range []string{"GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_API_URL"} {
			delete(w.vars, k)
		}
	}
	receiverURL := w.startReceiver(t)

	ep := sf.AddEndpoint(receiverURL+"/webhooks/stripe", e2eStripeSecret, "invoice.paid", "customer.created")
	w.vars["STRIPE_WEBHOOK_ENDPOINT_ID"] = ep.ID
	w.sendStripe(ctx, t, sf, receiverURL, nStripe)
	if nGitHub > 0 {
		hook := gf.AddRepoHook("octo", "shop", 4242, receiverURL+"/webhooks/github", e2eGitHubSecret)
		w.vars["GITHUB_HOOKS"] = hook.String()
		res, err := gf.Send(ctx, hook, githubtest.Plan{Count: nGitHub, Step: time.Minute,
			DropRate: 0.05, DuplicateRate: 0.05, Forged: 3})
		if err != nil || res.Rejected != 0 {
			t.Fatalf("github Send() = %d rejected, %v", res.Rejected, err)
		}
		w.ghDropped, w.githubForged, w.githubDelivered = res.Dropped, res.Forged, len(res.Delivered)
	}
	return w
}

// startReceiver serves the real receiver over its own ledger handle, closed
// before the test's commands run against the same file.
func (w *reconcileWorld) startReceiver(t *testing.T) string {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return w.vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	provs, err := buildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ledger.Open(context.Background(), w.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rv := httptest.NewServer(sources.NewReceiver(db, provs.Webhook,
		sources.ReceiverOptions{Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(rv.Close)
	return rv.URL
}

func (w *reconcileWorld) sendStripe(ctx context.Context, t *testing.T, sf *stripetest.Server, receiverURL string, n int) {
	t.Helper()
	now := time.Now().UTC()
	var events []*stripetest.Event
	for i := range n {
		typ := []string{"invoice.paid", "customer.created"}[i%2]
		events = append(events, sf.AddEvent(typ, now.Add(-time.Duration(i+1)*5*time.Minute), nil))
	}
	for i := range 20 { // never sent, and must never count
		sf.AddEvent("charge.refunded", now.Add(-time.Duration(i+1)*7*time.Minute), nil)
		sf.AddEvent("invoice.paid", now.Add(-8*24*time.Hour-time.Duration(i)*time.Minute), nil)
	}
	sender := stripetest.NewSender(receiverURL+"/webhooks/stripe", e2eStripeSecret)
	d, err := sender.Deliver(ctx, events, stripetest.Plan{Drop: 0.05, Duplicate: 0.05, Seed: 11, Concurrency: 8})
	if err != nil || d.Status[http.StatusOK] != len(d.Sent)+len(d.Duplicated) {
		t.Fatalf("stripe Deliver() = statuses %v, %v", d.Status, err)
	}
	w.stripeDropped, w.stripeSent = d.Dropped, len(d.Sent)
	for i := range 3 {
		forged := sf.AddUnlistedEvent("invoice.paid", now.Add(-time.Duration(i+1)*time.Hour), nil)
		if status, err := sender.Send(ctx, forged); err != nil || status != http.StatusOK {
			t.Fatalf("send forged event = %d, %v", status, err)
		}
		w.stripeForged = append(w.stripeForged, forged.ID)
	}
}

// reconcileJSON runs `hookledger reconcile --json args…` and returns its
// exit code and decoded reports, failing on anything but one JSON document
// on stdout.
func (w *reconcileWorld) reconcileJSON(t *testing.T, args ...string) (int, map[string]reconcile.Report) {
	t.Helper()
	env, stdout, stderr := testEnv(w.vars)
	err := runWith(context.Background(), env, append([]string{"reconcile", "--json"}, args...))
	code := exitCode(err, io.Discard)
	var doc struct {
		Runs []reconcile.Report `json:"runs"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	if derr := dec.Decode(&doc); derr != nil {
		t.Fatalf("reconcile stdout is not JSON (%v): %q\nstderr: %s\nerr: %v", derr, stdout.String(), stderr, err)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("reconcile stdout has more than one JSON document: %q", rest)
	}
	out := map[string]reconcile.Report{}
	for _, r := range doc.Runs {
		out[r.Source] = r
	}
	return code, out
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestReconcileEndToEnd(t *testing.T) {
	nStripe, nGitHub := 1000, 500
	if testing.Short() {
		nStripe, nGitHub = 200, 100
	}
	w := newReconcileWorld(t, nStripe, nGitHub)
	code, reps := w.reconcileJSON(t, "--since", "7d")
	if code != exitOK {
		t.Fatalf("reconcile exit = %d, want 0; reports %+v", code, reps)
	}
	st, gh := reps["stripe"], reps["github"]
	checkRun(t, st, nStripe, w.stripeDropped, w.stripeForged)
	checkRun(t, gh, nGitHub, w.ghDropped, w.githubForged)

	// Every event in the ledger went downstream exactly once, backfilled or live.
	want := nStripe + 3 + nGitHub + 3
	w.down.mu.Lock()
	if len(w.down.keys) != want {
		t.Errorf("downstream saw %d distinct Idempotency-Keys, want %d", len(w.down.keys), want)
	}
	for k, n := range w.down.keys {
		if n != 1 {
			t.Errorf("event %s forwarded %d times, want once", k, n)
		}
	}
	w.down.mu.Unlock()

	code, reps = w.reconcileJSON(t, "--since", "7d")
	if code != exitOK || reps["stripe"].Missing != 0 || reps["github"].Missing != 0 ||
		reps["stripe"].InLedger != nStripe || reps["github"].InLedger != nGitHub {
		t.Errorf("second reconcile = exit %d, stripe %+v, github %+v; want 0 and nothing missing",
			code, counts(reps["stripe"]), counts(reps["github"]))
	}
}

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

func counts(r reconcile.Report) string {
	return "expected=" + strconv.Itoa(r.Expected) + " in_ledger=" + strconv.Itoa(r.InLedger) +
		" missing=" + strconv.Itoa(r.Missing) + " backfilled=" + strconv.Itoa(r.Backfilled) +
		" still_missing=" + strconv.Itoa(r.StillMissing) + " unknown=" + strconv.Itoa(r.Unknown)
}

func TestReconcileRedeliver(t *testing.T) {
	w := newReconcileWorld(t, 200, 200)
	code, reps := w.reconcileJSON(t, "--since", "2d", "--mode", "redeliver")
	gh, st := reps["github"], reps["stripe"]
	if code != exitOK || gh.Redelivered != len(w.ghDropped) || gh.Backfilled != 0 || gh.StillMissing != 0 {
		t.Errorf("reconcile --mode redeliver = exit %d, github %s redelivered %d; want 0, %d redelivered",
			code, counts(gh), gh.Redelivered, len(w.ghDropped))
	}
	// Stripe cannot redeliver: its gaps are backfilled, and the report says so.
	if st.Backfilled != len(w.stripeDropped) || st.StillMissing != 0 ||
		!slices.ContainsFunc(st.Warnings, func(s string) bool { return strings.Contains(s, "does not support redelivery") }) {
		t.Errorf("stripe under redeliver = %s, warnings %q; want backfilled with a warning", counts(st), st.Warnings)
	}
}

func TestReconcileDryRunChangesNothing(t *testing.T) {
	w := newReconcileWorld(t, 300, 100)
	before := ledgerRowCounts(t, w.dbPath)
	code, reps := w.reconcileJSON(t, "--since", "7d", "--dry-run")
	if code != exitGaps {
		t.Errorf("reconcile --dry-run exit = %d, want %d", code, exitGaps)
	}
	if r := reps["stripe"]; r.Missing != len(w.stripeDropped) || r.StillMissing != r.Missing || r.Backfilled != 0 || !r.DryRun {
		t.Errorf("dry-run stripe report = %s, want %d missing, none recovered", counts(r), len(w.stripeDropped))
	}
	if after := ledgerRowCounts(t, w.dbPath); !reflect.DeepEqual(before, after) {
		t.Errorf("ledger rows after --dry-run = %v, want %v", after, before)
	}
	if len(w.down.keys) != 0 {
		t.Errorf("dry run forwarded %d events, want none", len(w.down.keys))
	}
}

func TestReconcileProviderFailsMidListing(t *testing.T) {
	w := newReconcileWorld(t, 600, 0)
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
	if code != exitError || r.Complete || r.Error == "" || !r.Gaps() {
		t.Errorf("reconcile with a failing provider = exit %d, complete %v, error %q; want 1, false, an error",
			code, r.Complete, r.Error)
	}
	if r.StoppedAt == nil {
		t.Error("report of an interrupted listing has no stopped_at")
	}
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
		if code := exitCode(err, io.Discard); code != exitUsage {
			t.Errorf("reconcile %v exit = %d (%v), want %d", args, code, err, exitUsage)
		}
	}
}

// ledgerRowCounts returns the row count of every table in the ledger file.
func ledgerRowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	out := map[string]int{}
	for _, name := range tables {
		var n int
		conn.QueryRow(`SELECT count(*) FROM "` + name + `"`).Scan(&n)
		out[name] = n
	}
	return out
}

func TestReconcileHumanSummary(t *testing.T) {
	w := newReconcileWorld(t, 100, 0)
	env, stdout, stderr := testEnv(w.vars)
	err := runWith(context.Background(), env, []string{"reconcile", "--since", "7d", "--dry-run"})
	if code := exitCode(err, io.Discard); code != exitGaps {
		t.Errorf("reconcile --dry-run exit = %d (%v), want %d", code, err, exitGaps)
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
}
