package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// reconcileWorld is two fake providers that sent their events to a real
// receiver, dropping, duplicating and forging some, and the ledger that
// received them.
type reconcileWorld struct {
	vars map[string]string
	// dsn is the ledger (HOOKLEDGER_DB): a SQLite file path, or a
	// PostgreSQL URL for a world made by newReconcileWorldOn.
	dsn                         string
	down                        *countingApp
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
// unsubscribed type, and events before the 7-day window), with its
// ledger in a SQLite file.
func newReconcileWorld(t *testing.T, nStripe, nGitHub int) *reconcileWorld {
	t.Helper()
	return newReconcileWorldOn(t, filepath.Join(t.TempDir(), "ledger.db"), nStripe, nGitHub)
}

// newReconcileWorldOn is newReconcileWorld with its ledger the one dsn
// names (either backend).
func newReconcileWorldOn(t *testing.T, dsn string, nStripe, nGitHub int) *reconcileWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sf := stripetest.NewServer()
	t.Cleanup(sf.Close)
	gf := githubtest.NewServer(githubtest.WithSeed(7))
	t.Cleanup(gf.Close)
	down := newCountingApp(t)

	w := &reconcileWorld{dsn: dsn, down: down, stripeFake: sf}
	w.vars = map[string]string{
		"HOOKLEDGER_DB":          w.dsn,
		"HOOKLEDGER_FORWARD_URL": down.srv.URL,
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

// startReceiver serves the real receiver over its own ledger handle (opened
// as every command opens it), closed when the test ends; the test's
// commands open the same ledger beside it.
func (w *reconcileWorld) startReceiver(t *testing.T) string {
	t.Helper()
	cfg, err := app.LoadConfig(func(k string) string { return w.vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	provs, err := app.BuildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := openTestLedger(t, w.dsn)
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
	code := app.ExitCode(err, io.Discard)
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

// sorted returns a sorted copy of ids.
func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// counts renders a report's figures for a failure message.
func counts(r reconcile.Report) string {
	return "expected=" + strconv.Itoa(r.Expected) + " in_ledger=" + strconv.Itoa(r.InLedger) +
		" missing=" + strconv.Itoa(r.Missing) + " backfilled=" + strconv.Itoa(r.Backfilled) +
		" still_missing=" + strconv.Itoa(r.StillMissing) + " unknown=" + strconv.Itoa(r.Unknown)
}
