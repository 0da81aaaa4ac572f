package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/redact"
)

// echoSecrets are the credentials of TestEchoedSecretsNeverLeave: every one
// a command could be configured with, rotated webhook secrets included.
var echoSecrets = map[string]string{
	"STRIPE_API_KEY":            "sk_test_echoedStripeKey0123456789",
	"STRIPE_WEBHOOK_SECRET":     "whsec_stripeCurrent0123,whsec_stripeRotated4567",
	"GITHUB_TOKEN":              "ghp_echoedGitHubToken0123456789",
	"GITHUB_WEBHOOK_SECRET":     "github-current-secret-01,github-rotated-secret-02",
	"HOOKLEDGER_FORWARD_SECRET": "forward-signing-secret-0123",
}

// newEchoProvider is a provider API (or a proxy in front of one) that
// answers every request 401 with the Authorization header it got in the
// error text, in Stripe's and GitHub's error shapes. It counts the echoes.
func newEchoProvider(t *testing.T, echoes *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echoes.Add(1)
		auth := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: %s"}}`, auth)
			return
		}
		fmt.Fprintf(w, `{"message":"Bad credentials: %s","documentation_url":"https://docs.github.com/rest"}`, auth)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// echoVars is the environment of TestEchoedSecretsNeverLeave: both
// providers on the echoing API, alerts to a Slack recorder, and a forward
// URL with a token in its path.
func echoVars(dbPath, api string, slack *slackRecorder) map[string]string {
	vars := slack.vars(dbPath)
	for k, v := range echoSecrets {
		vars[k] = v
	}
	vars["STRIPE_API_BASE"] = api
	vars["GITHUB_API_URL"] = api + "/"
	vars["GITHUB_HOOKS"] = "acme/shop:42"
	vars["HOOKLEDGER_FORWARD_URL"] = "http://127.0.0.1:9/hooks/SECRETpathtoken0123"
	return vars
}

// allSecrets lists every value that must not appear anywhere.
func allSecrets() []string {
	out := []string{"SECRETpathtoken0123", "xoxb-cmd-test"}
	for _, v := range echoSecrets {
		out = append(out, app.SplitList(v)...)
	}
	return out
}

// checkNoSecret fails the test for every secret in text, which is where.
func checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range allSecrets() {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q:\n%s", where, s, text)
		}
	}
}

// ledgerText dumps every text column of the runs, jobs, attempts and
// alert tables of the ledger at path.
func ledgerText(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT error || ' ' || report FROM runs`,
		`SELECT error FROM jobs`,
		`SELECT summary FROM alerts`,
		`SELECT text || ' ' || last_error FROM alert_messages`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// TestEchoedSecretsNeverLeave holds that a credential a provider echoes
// back in an error body leaves the process nowhere: not in reconcile's
// JSON (runs[].error), not on stderr, not in the ledger's rows, not in
// Slack, and not in serve's log, whose start-up lines also name the forward
// URL by scheme, host and port only.
func TestEchoedSecretsNeverLeave(t *testing.T) {
	var echoes atomic.Int64
	api := newEchoProvider(t, &echoes)
	slack := newSlackRecorder(t)
	dbPath := filepath.Join(t.TempDir(), "echo.db")
	vars := echoVars(dbPath, api.URL, slack)

	env, stdout, stderr := testEnv(vars)
	err := runWith(context.Background(), env, []string{"reconcile", "--since", "1d", "--json"})
	if code := app.ExitCode(err, env.Stderr); code != app.ExitError {
		t.Fatalf("reconcile against a failing provider: exit %d (%v), want %d", code, err, app.ExitError)
	}
	var out struct {
		Runs []struct {
			Source, Error string
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil || len(out.Runs) != 2 {
		t.Fatalf("reconcile --json = %v, %d runs; want 2:\n%s", err, len(out.Runs), stdout)
	}
	for _, r := range out.Runs {
		// The provider did echo the credential: it is there, masked.
		if !strings.Contains(r.Error, redact.Mask) {
			t.Errorf("runs[%s].error = %q, want the echoed credential masked", r.Source, r.Error)
		}
	}
	checkNoSecret(t, "reconcile --json", stdout.String())
	checkNoSecret(t, "reconcile stderr", stderr.String())
	checkNoSecret(t, "the ledger after reconcile", ledgerText(t, dbPath))

	vars["HOOKLEDGER_SCHEDULE"] = "reconcile=@every 1s"
	_, log := startServeInProcess(t, vars)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(log.String(), `msg="job failed"`) || len(slack.texts()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no failed scheduled reconcile and Slack alerts after 20s; log:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := echoes.Load(); n < 4 {
		t.Errorf("the provider echoed %d times, want at least 4 (two sources, two runs)", n)
	}
	checkNoSecret(t, "serve's log", log.String())
	checkNoSecret(t, "Slack", strings.Join(slack.texts(), "\n"))
	checkNoSecret(t, "the ledger after serve", ledgerText(t, dbPath))
	if !strings.Contains(log.String(), `handler="forward to http://127.0.0.1:9 (signed)"`) {
		t.Errorf("serve's log does not name the forward URL by scheme, host and port:\n%s", log)
	}
}

// TestSecretVarsAllRedacted holds that the list of secret variables (which
// the exec handler's environment is cleaned of, and every output redacted
// of) and the configuration's secrets agree: a new secret added to one is
// redacted by both.
func TestSecretVarsAllRedacted(t *testing.T) {
	vars := map[string]string{}
	for i, name := range app.SecretVars {
		vars[name] = fmt.Sprintf("https://secret-value-%02d.example/x,rotated-value-%02d", i, i)
	}
	vars["HOOKLEDGER_FORWARD_SECRET"] = "forward-secret-value"
	vars["SLACK_CHANNEL"] = "C1"
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	fromCfg := cfg.Secrets()
	fromEnv := app.EnvSecrets(func(k string) string { return vars[k] })
	for _, name := range app.SecretVars {
		v := vars[name]
		if !slices.Contains(fromEnv, v) {
			t.Errorf("envSecrets() lacks %s", name)
		}
		for _, item := range app.SplitList(v) {
			if !slices.Contains(fromCfg, item) && !slices.Contains(fromCfg, v) {
				t.Errorf("Config.secrets() lacks %s (%q)", name, item)
			}
		}
	}
}

func TestForwardURLSecret(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:3000", ""},
		{"http://127.0.0.1:3000/", ""},
		{"http://127.0.0.1:3000/hooks/SECRETpathtoken", "http://127.0.0.1:3000/hooks/SECRETpathtoken"},
		{"https://user:pass@app.example", "https://user:pass@app.example"},
		{"https://app.example/?token=abc", "https://app.example/?token=abc"},
	}
	for _, tt := range tests {
		if got := app.ForwardURLSecret(tt.in); got != tt.want {
			t.Errorf("forwardURLSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
