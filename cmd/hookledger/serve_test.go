package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources/slack/slacktest"
)

// startServeInProcess runs `serve` through runWith until the test ends and
// returns its base URL.
func startServeInProcess(t *testing.T, vars map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	env, _, stderr := testEnv(vars)
	return startServeEnv(t, env, stderr, args...), stderr
}

// startServeEnv is startServeInProcess with the Env given.
func startServeEnv(t *testing.T, env *app.Env, stderr *syncBuffer, args ...string) string {
	t.Helper()
	ready := make(chan string, 1)
	env.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		done <- err // for the cleanup, which waits for serve's end
		t.Fatalf("serve exited early: %v\n%s", err, stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func TestServeStripeOnly(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		const secret = "whsec_serve_only_stripe"
		url, stderr := startServeInProcess(t, map[string]string{
			"HOOKLEDGER_DB": dsn, "STRIPE_WEBHOOK_SECRET": secret,
		}, "--no-schedule", "--ledger-only")

		payload := []byte(fmt.Sprintf(`{"id":"evt_serve_1","object":"event","type":"charge.succeeded","created":%d}`, time.Now().Unix()))
		sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header
		req, _ := http.NewRequest("POST", url+"/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("stripe webhook status = %d, want 200", resp.StatusCode)
		}
		resp, err = http.Post(url+"/webhooks/github", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("github webhook status = %d, want 404 (not configured)", resp.StatusCode)
		}
		resp, err = http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `hookledger_webhooks_received_total{outcome="new",source="stripe"} 1`) {
			t.Errorf("/metrics lacks the received counter:\n%s", body)
		}
		logs := stderr.String()
		if !strings.Contains(logs, "sources=[stripe]") {
			t.Errorf("log does not say which sources are on:\n%s", logs)
		}
		if !strings.Contains(logs, "ledger_mode=ledger-only") {
			t.Errorf("log does not say ledger-only mode:\n%s", logs)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("log contains the webhook secret")
		}

		db := openTestLedger(t, dsn)
		ev, err := db.Event(context.Background(), "stripe", "evt_serve_1")
		if err != nil || ev.State != ledger.StateProcessed {
			t.Errorf("event = %+v, %v; want it stored, processed (ledger-only)", ev, err)
		}
	})
}

func TestServeWithoutSourcesIsUsageError(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "x.db")})
	err := runWith(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0"})
	if app.ExitCode(err, io.Discard) != app.ExitUsage {
		t.Errorf("serve with no source: error %v, want a usage error", err)
	}
}

// TestServeSlackOnly: a newer provider's secret alone is enough to serve;
// its handshake is answered and counted, its events stored.
func TestServeSlackOnly(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		const secret = "slack-serve-only-signing-secret"
		url, stderr := startServeInProcess(t, map[string]string{
			"HOOKLEDGER_DB": dsn, "SLACK_SIGNING_SECRET": secret,
		}, "--no-schedule", "--ledger-only")
		hs := slacktest.URLVerification("serve-challenge")
		req, _ := http.NewRequest("POST", url+"/webhooks/slack", bytes.NewReader(hs))
		req.Header = slacktest.Header(secret, time.Now(), hs, 0)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(answer) != "serve-challenge" {
			t.Errorf("url_verification = %d %q, want 200 and the challenge", resp.StatusCode, answer)
		}
		resp, err = http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `hookledger_webhooks_handshakes_total{source="slack"} 1`) {
			t.Errorf("/metrics lacks the handshake counter:\n%s", body)
		}
		if !strings.Contains(stderr.String(), "sources=[slack]") {
			t.Errorf("log does not say slack is on:\n%s", stderr)
		}
	})
}

// TestServeWithoutHandlerRefusesUntilChosen: serve with no handler on a
// ledger not marked ledger-only refuses (exit 2, naming both ways out)
// and changes nothing; `serve --ledger-only` then records the choice in
// the ledger, and a later serve with a handler on that ledger refuses too.
func TestServeWithoutHandlerRefusesUntilChosen(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		vars := map[string]string{"HOOKLEDGER_DB": dsn, "STRIPE_WEBHOOK_SECRET": "whsec_serve_refuses"}
		env, _, _ := testEnv(vars)
		err := runWith(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0", "--no-schedule"})
		if app.ExitCode(err, io.Discard) != app.ExitUsage {
			t.Fatalf("serve without a handler = %v, want a usage error (exit 2)", err)
		}
		for _, want := range []string{"HOOKLEDGER_FORWARD_URL", "HOOKLEDGER_EXEC", "hookledger init --ledger-only", "serve --ledger-only"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("serve's refusal does not mention %q: %v", want, err)
			}
		}
		db, err := app.OpenLedger(context.Background(), dsn, app.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := db.Mode(context.Background()); err != nil || m != ledger.ModeUnset {
			t.Errorf("after the refusal the mode is %q, %v; want still unset", m, err)
		}
		db.Close()

		startServeInProcess(t, vars, "--no-schedule", "--ledger-only")
		withHandler := map[string]string{"HOOKLEDGER_FORWARD_URL": "http://127.0.0.1:1/hooks"}
		for k, v := range vars {
			withHandler[k] = v
		}
		env, _, _ = testEnv(withHandler)
		err = runWith(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0", "--no-schedule"})
		if app.ExitCode(err, io.Discard) != app.ExitUsage || !strings.Contains(err.Error(), "ledger-only") {
			t.Errorf("serve with a handler on a ledger-only ledger = %v, want a usage error", err)
		}
	})
}

// postStripe posts payload to the receiver at url, signed with secret as
// Stripe signs it, and returns the answer's status.
func postStripe(t *testing.T, url, secret string, payload []byte) int {
	t.Helper()
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header
	req, _ := http.NewRequest("POST", url+"/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Stripe-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
