package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestServeSilenceAlertsOnceAndResolves protects the dead-man's switch end
// to end: serve with a short explicit limit raises one silence alert for
// a source that stops, however many checks run, resolves it in the thread
// when traffic returns, and says nothing about a source that never sent
// anything.
func TestServeSilenceAlertsOnceAndResolves(t *testing.T) {
	const secret = "whsec_silence_e2e"
	fake := stripetest.NewServer()
	defer fake.Close()
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "silence.db"))
	for k, v := range map[string]string{
		"STRIPE_WEBHOOK_SECRET": secret,
		"GITHUB_WEBHOOK_SECRET": "github-silence-secret",
		"HOOKLEDGER_SILENCE":    "stripe=2s,github=2s",
		"HOOKLEDGER_SCHEDULE":   "alerts=@every 1s",
	} {
		vars[k] = v
	}
	url, stderr := startServeInProcess(t, vars, "--ledger-only")
	sender := stripetest.NewSender(url+"/webhooks/stripe", secret)
	send := func() {
		t.Helper()
		ev := fake.AddEvent("invoice.paid", time.Now(), nil)
		if st, err := sender.Send(context.Background(), ev); err != nil || st != http.StatusOK {
			t.Fatalf("send %s: %d, %v", ev.ID, st, err)
		}
	}
	send()
	waitFor(t, stderr, "a silence alert", func() bool { return countContaining(slack.texts(), "stripe has sent nothing") == 1 })
	env, stdout, _ := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"status"}); err != nil || !strings.Contains(stdout.String(), "SILENT") {
		t.Errorf("status = %v:\n%s\nwant stripe SILENT", err, stdout)
	}
	time.Sleep(3 * time.Second) // three more checks of the same silence
	if n := len(slack.texts()); n != 1 {
		t.Fatalf("posts during one silence = %d, want 1: %q", n, slack.texts())
	}
	send()
	waitFor(t, stderr, "the resolved reply", func() bool { return countContaining(slack.texts(), "arriving again") == 1 })
	for _, text := range slack.texts() {
		if strings.Contains(text, "github") {
			t.Errorf("a source that never sent anything was alerted: %q", text)
		}
	}
	if n := len(slack.texts()); n != 2 {
		t.Errorf("posts = %d, want the alert and its resolution only: %q", n, slack.texts())
	}
}

// TestSilenceSettingValidated protects the start-up check of
// HOOKLEDGER_SILENCE: a bad value is a usage error naming the setting.
func TestSilenceSettingValidated(t *testing.T) {
	for _, v := range []string{"stripe", "stripe=0s", "stripe=soon", "=2h", "Stripe=2h", "stripe=2h,stripe=3h"} {
		env, _, _ := testEnv(map[string]string{"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "x.db"),
			"STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_SILENCE": v})
		err := runWith(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0"})
		if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || !strings.Contains(err.Error(), "HOOKLEDGER_SILENCE") {
			t.Errorf("HOOKLEDGER_SILENCE=%q: exit %d (%v), want %d naming the setting", v, code, err, app.ExitUsage)
		}
	}
	if got, err := app.ParseSilence("stripe=2h, github=1d,my-source_2=90m"); err != nil || got["stripe"] != 2*time.Hour ||
		got["github"] != 24*time.Hour || got["my-source_2"] != 90*time.Minute {
		t.Errorf("parseSilence() = %v, %v", got, err)
	}
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, logs *syncBuffer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 20s; logs:\n%s", what, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countContaining counts the texts containing s.
func countContaining(texts []string, s string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}
