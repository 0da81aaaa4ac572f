package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestServeStripeEndpointDisabledMidRun protects the provider's view of
// the endpoint end to end: while the endpoint is enabled and every event
// arrives, scheduled reconciles say nothing; once Stripe disables it, a
// run raises the endpoint alert with the fix and the events missed
// meanwhile, backfilled; after it is re-enabled, the next run resolves the
// alert and says how many were backfilled.
func TestServeStripeEndpointDisabledMidRun(t *testing.T) {
	fake := stripetest.NewServer()
	defer fake.Close()
	ep := fake.AddEndpoint("", "")
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "endpoint.db"))
	for k, v := range map[string]string{
		"STRIPE_WEBHOOK_SECRET":      ep.Secret,
		"STRIPE_API_KEY":             fake.APIKey(),
		"STRIPE_API_BASE":            fake.URL,
		"STRIPE_WEBHOOK_ENDPOINT_ID": ep.ID,
		"HOOKLEDGER_SCHEDULE":        "reconcile=@every 1s",
	} {
		vars[k] = v
	}
	url, stderr := startServeInProcess(t, vars, "--ledger-only")
	fake.SetEndpointURL(ep.ID, url+"/webhooks/stripe")
	sender := stripetest.NewSender(url+"/webhooks/stripe", ep.Secret)
	for range 3 {
		ev := fake.AddEvent("invoice.paid", time.Now(), nil)
		if st, err := sender.Send(context.Background(), ev); err != nil || st != http.StatusOK {
			t.Fatalf("send %s: %d, %v", ev.ID, st, err)
		}
	}
	time.Sleep(3 * time.Second) // healthy runs
	if texts := slack.texts(); len(texts) != 0 {
		t.Fatalf("healthy runs posted %q, want nothing", texts)
	}

	fake.SetEndpointStatus(ep.ID, "disabled")
	for range 4 { // Stripe sends nothing while the endpoint is disabled
		fake.AddEvent("invoice.paid", time.Now(), nil)
	}
	waitFor(t, stderr, "the endpoint alert with the missed events", func() bool {
		return countContaining(slack.texts(), "4 events were missed meanwhile and have been backfilled") == 1
	})
	alert := slack.texts()[len(slack.texts())-1]
	for _, want := range []string{"stripe says endpoint `" + ep.ID + "` is disabled",
		"re-enable the endpoint in the Stripe dashboard (Developers → Webhooks → " + ep.ID + ")"} {
		if !strings.Contains(alert, want) {
			t.Errorf("endpoint alert lacks %q:\n%s", want, alert)
		}
	}

	// hookledger status shows the provider's view beside the ledger's.
	env, stdout, _ := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"status"}); err != nil || !strings.Contains(stdout.String(), "disabled "+ep.ID) {
		t.Errorf("status = %v:\n%s\nwant the endpoint disabled", err, stdout)
	}
	if lr := statusJSONOf(t, vars).Sources["stripe"].LastReconcile; lr == nil || len(lr.Endpoints) != 1 || lr.Endpoints[0].Enabled {
		t.Errorf("status --json last_reconcile = %+v, want the endpoint disabled", lr)
	}

	fake.SetEndpointStatus(ep.ID, "enabled")
	waitFor(t, stderr, "the resolved reply", func() bool {
		return countContaining(slack.texts(), "Resolved: stripe: webhook endpoint "+ep.ID+" disabled") == 1
	})
	texts := slack.texts()
	if last := texts[len(texts)-1]; !strings.Contains(last, "4 events missed meanwhile were backfilled") {
		t.Errorf("resolution does not report the backfilled count: %q", last)
	}
	time.Sleep(2 * time.Second)
	if n := countContaining(slack.texts(), "webhook endpoint"); n != countContaining(texts, "webhook endpoint") {
		t.Errorf("posts after the resolution: %q", slack.texts()[len(texts):])
	}
}

// TestReconcileStripeEndpointPointsElsewhere protects the URL check: an
// endpoint sending elsewhere than HOOKLEDGER_PUBLIC_URL's /webhooks/stripe
// is an endpoint alert; one sending there is not.
func TestReconcileStripeEndpointPointsElsewhere(t *testing.T) {
	fake := stripetest.NewServer()
	defer fake.Close()
	ep := fake.AddEndpoint("https://hooks.example.com/webhooks/stripe/", "")
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "url.db"))
	vars["STRIPE_API_KEY"], vars["STRIPE_API_BASE"], vars["STRIPE_WEBHOOK_ENDPOINT_ID"] = fake.APIKey(), fake.URL, ep.ID
	vars["HOOKLEDGER_PUBLIC_URL"] = "https://HOOKS.example.com"
	rep := reconcileJSON(t, vars)
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].URLMatches == nil || !*rep.Endpoints[0].URLMatches || !rep.Endpoints[0].Enabled {
		t.Fatalf("endpoints = %+v, want one, enabled, its URL matching", rep.Endpoints)
	}
	if texts := slack.texts(); len(texts) != 0 {
		t.Fatalf("a matching endpoint posted %q", texts)
	}
	fake.SetEndpointURL(ep.ID, "https://old-host.example.com/stripe?token=abc123secret")
	rep = reconcileJSON(t, vars)
	if rep.Endpoints[0].URLMatches == nil || *rep.Endpoints[0].URLMatches {
		t.Fatalf("endpoints = %+v, want the URL not matching", rep.Endpoints)
	}
	texts := slack.texts()
	if len(texts) != 1 || !strings.Contains(texts[0], "sends to `https://old-host.example.com/stripe`") ||
		!strings.Contains(texts[0], "`https://HOOKS.example.com/webhooks/stripe`") || strings.Contains(texts[0], "abc123secret") {
		t.Errorf("URL alert = %q, want it naming both URLs, never the query", texts)
	}
}

// TestReconcileGitHubFrontProxyFailing protects the front-proxy signal:
// deliveries GitHub's log shows answered 502 that the ledger never saw
// raise an alert saying a proxy in front is failing, naming the code and
// the hook's last response; a hook whose deliveries all went through, and
// an inactive hook's flag, are told apart.
func TestReconcileGitHubFrontProxyFailing(t *testing.T) {
	gf := githubtest.NewServer(githubtest.WithSeed(5))
	defer gf.Close()
	h := gf.AddRepoHook("acme", "shop", 77, "http://127.0.0.1:1/webhooks/github", "gh-front-secret")
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "front.db"))
	vars["GITHUB_WEBHOOK_SECRET"], vars["GITHUB_TOKEN"], vars["GITHUB_API_URL"] = "gh-front-secret", "ghp_front", gf.URL
	vars["GITHUB_HOOKS"] = h.String()
	if _, err := gf.Record(h, githubtest.Plan{Count: 40, Start: time.Now().Add(-time.Hour), Step: time.Second}); err != nil {
		t.Fatal(err)
	}
	rep := reconcileJSON(t, vars) // everything GitHub answered 200 for is backfilled: no front failure
	if rep.FailedDeliveries != 0 || countContaining(slack.texts(), "front of hookledger") != 0 {
		t.Fatalf("deliveries answered 200: failed_deliveries %d, texts %q; want no front alert", rep.FailedDeliveries, slack.texts())
	}
	if len(rep.Endpoints) != 1 || !rep.Endpoints[0].Enabled || rep.Endpoints[0].LastResponseCode != 200 {
		t.Fatalf("endpoints = %+v, want the hook active, last response 200", rep.Endpoints)
	}

	res, err := gf.Record(h, githubtest.Plan{Count: 40, Start: time.Now().Add(-30 * time.Minute), Step: time.Second, DropRate: 0.25})
	if err != nil || len(res.Dropped) == 0 {
		t.Fatalf("record: %v, %d dropped", err, len(res.Dropped))
	}
	rep = reconcileJSON(t, vars)
	if rep.FailedDeliveries != len(res.Dropped) || rep.FailedDeliveryCodes["502"] != len(res.Dropped) {
		t.Fatalf("failed_deliveries = %d %v, want %d answered 502", rep.FailedDeliveries, rep.FailedDeliveryCodes, len(res.Dropped))
	}
	texts := slack.texts()
	front := texts[len(texts)-1]
	n := len(res.Dropped)
	for _, want := range []string{fmt.Sprintf("%d deliveries answered 502 ×%d that never reached the ledger", n, n),
		"a proxy or load balancer in front of it is failing", "Last response of `acme/shop:77`"} {
		if !strings.Contains(front, want) {
			t.Errorf("front alert lacks %q:\n%s", want, front)
		}
	}
	named := 0
	for _, id := range res.Dropped {
		if strings.Contains(front, id) {
			named++
		}
	}
	if named == 0 {
		t.Errorf("front alert names none of the dropped deliveries %v:\n%s", res.Dropped, front)
	}

	gf.SetActive(h, false)
	rep = reconcileJSON(t, vars)
	if rep.Endpoints[0].Enabled || rep.Endpoints[0].Status != "inactive" {
		t.Fatalf("endpoints = %+v, want the hook inactive", rep.Endpoints)
	}
	if countContaining(slack.texts(), `tick "Active" on the hook in the Settings → Webhooks of acme/shop:77`) != 1 {
		t.Errorf("no inactive hook alert: %q", slack.texts())
	}
}

// TestPublicURLSettingValidated protects the start-up check of
// HOOKLEDGER_PUBLIC_URL: a value that is not an absolute http(s) URL is a
// usage error naming the setting.
func TestPublicURLSettingValidated(t *testing.T) {
	_, err := app.LoadConfig(func(k string) string { return map[string]string{"HOOKLEDGER_PUBLIC_URL": "hooks.example.com"}[k] })
	if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || !strings.Contains(err.Error(), "HOOKLEDGER_PUBLIC_URL") {
		t.Errorf("HOOKLEDGER_PUBLIC_URL=hooks.example.com: exit %d (%v), want %d naming it", code, err, app.ExitUsage)
	}
}

// TestReconcilePaddleDestinationInactive protects Paddle's side of the
// endpoint view: an active notification destination raises nothing, an
// inactive one raises the endpoint alert with Paddle's fix, resolved once
// it is active again.
func TestReconcilePaddleDestinationInactive(t *testing.T) {
	fake := paddletest.NewServer(paddletest.WithSeed(2))
	defer fake.Close()
	st := fake.AddSetting("https://hooks.example.com/webhooks/paddle", "pdl_ntfset_endpoint_key")
	fake.AddEvent(st, paddletest.Types[0], time.Now().Add(-time.Hour), nil)
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "paddle.db"))
	vars["PADDLE_API_KEY"], vars["PADDLE_API_URL"], vars["PADDLE_NOTIFICATION_SETTING_ID"] = paddletest.DefaultAPIKey, fake.URL, st.ID
	vars["HOOKLEDGER_PUBLIC_URL"] = "https://hooks.example.com"
	rep := reconcileJSON(t, vars)
	if len(rep.Endpoints) != 1 || !rep.Endpoints[0].Enabled || rep.Endpoints[0].URLMatches == nil || !*rep.Endpoints[0].URLMatches {
		t.Fatalf("endpoints = %+v, want the destination active, its URL matching", rep.Endpoints)
	}
	if n := countContaining(slack.texts(), "says endpoint"); n != 0 {
		t.Fatalf("an active destination raised %d endpoint alerts: %q", n, slack.texts())
	}
	fake.SetActive(st, false)
	reconcileJSON(t, vars)
	if countContaining(slack.texts(), "turn the notification destination "+st.ID+" back on in Paddle") != 1 {
		t.Fatalf("no endpoint alert for the inactive destination: %q", slack.texts())
	}
	fake.SetActive(st, true)
	reconcileJSON(t, vars)
	if countContaining(slack.texts(), "Resolved: paddle: webhook endpoint "+st.ID) != 1 {
		t.Errorf("no resolution once active again: %q", slack.texts())
	}
}
