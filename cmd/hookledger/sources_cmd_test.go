package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// allSourcesEnv configures every provider hookledger has.
func allSourcesEnv(t *testing.T) map[string]string {
	return map[string]string{
		"HOOKLEDGER_DB":               filepath.Join(t.TempDir(), "ledger.db"),
		"STRIPE_WEBHOOK_SECRET":       "whsec_stripe_current_0123456789,whsec_stripe_old_0123456789",
		"STRIPE_API_KEY":              "rk_test_stripe_key_0123456789",
		"GITHUB_WEBHOOK_SECRET":       "github-secret-0123456789",
		"SLACK_SIGNING_SECRET":        "slack-signing-secret-0123456789",
		"ZOOM_WEBHOOK_SECRET_TOKEN":   "zoom-secret-token-0123456789",
		"SHOPIFY_WEBHOOK_SECRET":      "shpss_shopify_secret_0123456789",
		"PADDLE_WEBHOOK_SECRET":       "pdl_ntfset_01abc_paddle_secret_0123456789",
		"PADDLE_API_KEY":              "pdl_live_apikey_0123456789",
		"HOOKLEDGER_STANDARD_SOURCES": "clerk,resend",
		"CLERK_WEBHOOK_SECRET":        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"RESEND_WEBHOOK_SECRET":       "whsec_cmVzZW5kLXNlY3JldC0wMTIzNDU2Nzg5,whsec_b2xkLXJlc2VuZC1zZWNyZXQ=",
	}
}

// secretValues lists each secret in vars, comma lists split.
func secretValues(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		if strings.Contains(k, "SECRET") || strings.HasSuffix(k, "_KEY") {
			out = append(out, app.SplitList(v)...)
		}
	}
	return out
}

func TestSourcesListsEveryConfiguredSource(t *testing.T) {
	vars := allSourcesEnv(t)
	env, stdout, _ := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"sources", "--json"}); err != nil {
		t.Fatalf("sources --json: %v", err)
	}
	var got struct {
		Sources []sourceJSON `json:"sources"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &got); err != nil {
		t.Fatalf("sources --json is not one document (%v):\n%s", err, stdout)
	}
	want := map[string]struct {
		caps      string
		reconcile bool
		live      bool
		secrets   string
	}{
		"stripe":  {"verify,list,fetch", true, false, vars["STRIPE_WEBHOOK_SECRET"]},
		"github":  {"verify,list,fetch,redeliver", false, false, vars["GITHUB_WEBHOOK_SECRET"]},
		"paddle":  {"verify,list,fetch,redeliver", false, false, vars["PADDLE_WEBHOOK_SECRET"]},
		"slack":   {"verify", false, true, vars["SLACK_SIGNING_SECRET"]},
		"zoom":    {"verify", false, true, vars["ZOOM_WEBHOOK_SECRET_TOKEN"]},
		"shopify": {"verify", false, true, vars["SHOPIFY_WEBHOOK_SECRET"]},
		"clerk":   {"verify", false, true, vars["CLERK_WEBHOOK_SECRET"]},
		"resend":  {"verify", false, true, vars["RESEND_WEBHOOK_SECRET"]},
	}
	if len(got.Sources) != len(want) {
		t.Fatalf("sources lists %d, want %d:\n%s", len(got.Sources), len(want), stdout)
	}
	for _, s := range got.Sources {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected source %q", s.Name)
			continue
		}
		var fps []string
		for _, sec := range app.SplitList(w.secrets) {
			fps = append(fps, sources.Fingerprint(sec))
		}
		if s.Route != "/webhooks/"+s.Name || strings.Join(s.Capabilities, ",") != w.caps || s.Reconcile != w.reconcile ||
			(s.LiveOnly != "") != w.live || !slices.Equal(s.SecretFingerprints, fps) {
			t.Errorf("source %s = %+v, want capabilities %s, reconcile %v, live-only %v, fingerprints %v",
				s.Name, s, w.caps, w.reconcile, w.live, fps)
		}
	}
	env, human, _ := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"sources"}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Slack has no API that lists past events: gaps there are caught by silence and counts, not by reconcile",
		"off: set GITHUB_TOKEN and GITHUB_HOOKS", "off: set PADDLE_API_KEY and PADDLE_NOTIFICATION_SETTING_ID", "/webhooks/clerk"} {
		if !strings.Contains(human.String(), line) {
			t.Errorf("sources output lacks %q:\n%s", line, human)
		}
	}
	for _, sec := range secretValues(vars) {
		if strings.Contains(stdout.String()+human.String(), sec) {
			t.Errorf("sources output contains the secret %q", sec)
		}
	}
}

func TestReconcileAndStatusSayLiveOnly(t *testing.T) {
	vars := allSourcesEnv(t)
	env, _, _ := testEnv(vars)
	err := runWith(context.Background(), env, []string{"reconcile", "--source", "slack", "--since", "1h"})
	if !errors.Is(err, app.ErrUsage) || !strings.Contains(err.Error(), "Slack has no API that lists past events") {
		t.Errorf("reconcile --source slack = %v, want a usage error saying Slack is live-only", err)
	}
	// status only reads: the ledger must exist (reconcile's usage error
	// above created nothing).
	db, err := ledger.Open(context.Background(), vars["HOOKLEDGER_DB"])
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	env, stdout, _ := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"status", "--json"}); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var st app.StatusJSON
	if err := json.Unmarshal([]byte(stdout.String()), &st); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"slack", "zoom", "shopify", "clerk"} {
		if st.Sources[name].LiveOnly == "" {
			t.Errorf("status --json: %s has no live_only note", name)
		}
	}
	if st.Sources["stripe"].LiveOnly != "" {
		t.Error("status --json calls stripe live-only")
	}
}

func TestStandardSourcesConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"HOOKLEDGER_STANDARD_SOURCES": "clerk"}, "set CLERK_WEBHOOK_SECRET"},
		{map[string]string{"HOOKLEDGER_STANDARD_SOURCES": "stripe", "STRIPE_WEBHOOK_SECRET": "whsec_x"}, "built-in"},
		{map[string]string{"HOOKLEDGER_STANDARD_SOURCES": "a,a", "A_WEBHOOK_SECRET": "whsec_eA=="}, "repeated"},
		{map[string]string{"HOOKLEDGER_STANDARD_SOURCES": "clerk", "CLERK_WEBHOOK_SECRET": "whsec_***"}, "not whsec_ followed by base64"},
	} {
		env, _, _ := testEnv(tc.vars)
		err := runWith(context.Background(), env, []string{"sources"})
		if !errors.Is(err, app.ErrUsage) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "***") {
			t.Errorf("sources with %v = %v, want a usage error saying %q", tc.vars, err, tc.want)
		}
	}
}
