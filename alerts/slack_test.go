package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
)

// testEnv holds a distinctive value for every secret hookledger is given.
var testEnv = map[string]string{
	"SLACK_BOT_TOKEN":           "xoxb-1111-SECRETBOTTOKEN",
	"STRIPE_WEBHOOK_SECRET":     "whsec_SECRETSTRIPEHOOK",
	"STRIPE_API_KEY":            "sk_test_SECRETSTRIPEKEY",
	"GITHUB_WEBHOOK_SECRET":     "SECRETGITHUBHOOK",
	"GITHUB_TOKEN":              "ghp_SECRETGITHUBTOKEN",
	"HOOKLEDGER_FORWARD_SECRET": "SECRETFORWARD",
}

// secretsOf is what cmd passes as Config.Secrets: every secret but Slack's own.
func secretsOf(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if k != "SLACK_BOT_TOKEN" && k != "SLACK_WEBHOOK_URL" {
			out = append(out, v)
		}
	}
	return out
}

// leakyReports carry secrets where a careless provider error might: the
// run error, a warning and the scope note.
func leakyReports() []reconcile.Report {
	rs := gapReports()
	rs[0].Error = "list events: Invalid API Key provided: " + testEnv["STRIPE_API_KEY"]
	rs[0].Complete = false
	rs[1].Warnings = []string{"GET https://api.github.com/?access_token=" + testEnv["GITHUB_TOKEN"] + " failed"}
	rs[1].Scope = "secret " + testEnv["GITHUB_WEBHOOK_SECRET"]
	return rs
}

func TestNoSecretInPostedText(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	var logs ledgertest.SyncBuffer
	a, err := New(db, Config{BotToken: testEnv["SLACK_BOT_TOKEN"], Channel: "C0ALERTS", APIURL: f.srv.URL,
		Secrets: secretsOf(testEnv), Pace: -1, Now: clk.Now, Logger: newTextLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, leakyReports()); err != nil {
		t.Fatal(err)
	}
	if err := a.JobDone(ctx, "deep", errors.New("auth failed for "+testEnv["STRIPE_WEBHOOK_SECRET"]+" and "+testEnv["HOOKLEDGER_FORWARD_SECRET"])); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 3 {
		t.Fatalf("posts = %d, want 3", f.postCount())
	}
	f.mu.Lock()
	bodies := append([]string(nil), f.bodies...)
	f.mu.Unlock()
	for i, body := range bodies {
		form, err := url.ParseQuery(body)
		if err != nil {
			t.Fatal(err)
		}
		// chat.postMessage authenticates with the token form field; that is
		// the one place the bot token may go, and only to the API URL.
		if form.Get("token") != testEnv["SLACK_BOT_TOKEN"] {
			t.Errorf("request %d token field is not the bot token", i)
		}
		form.Del("token")
		assertNoSecret(t, "request body", form.Encode(), testEnv)
		for _, k := range []string{"text", "blocks"} {
			assertNoSecret(t, "field "+k, form.Get(k), testEnv)
		}
	}
	if !strings.Contains(f.post(0).Get("text"), "Invalid API Key provided: [redacted]") {
		t.Errorf("stripe message = %q, want the redacted error", f.post(0).Get("text"))
	}
	stored, _ := db.AlertMessages(ctx, true, 0)
	for _, m := range stored {
		assertNoSecret(t, "stored message", m.Text+m.Blocks+m.LastError, testEnv)
	}
	assertNoSecret(t, "log", logs.String(), testEnv)
}

func TestWebhookErrorsHideTheURL(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	env := map[string]string{"SLACK_WEBHOOK_URL": f.srv.URL + webhookPath}
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	var logs ledgertest.SyncBuffer
	a, err := New(db, Config{WebhookURL: env["SLACK_WEBHOOK_URL"], Pace: -1, Now: clk.Now, Logger: newTextLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	f.setFault(func() fault { return fault{hangup: true} })
	if err := a.Notify(ctx, gapReports()[:1]); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	_, err = a.Deliver(ctx)
	if err == nil {
		t.Fatal("Deliver() to a hung-up webhook = nil, want an error")
	}
	assertNoSecret(t, "error", err.Error(), env)
	assertNoSecret(t, "log", logs.String(), env)
	queued, _ := db.AlertMessages(ctx, false, 0)
	if len(queued) != 1 || queued[0].LastError == "" {
		t.Fatalf("outbox = %+v, want the message with its error", queued)
	}
	assertNoSecret(t, "last error", queued[0].LastError, env)
}

func assertNoSecret(t *testing.T, where, s string, env map[string]string) {
	t.Helper()
	for name, v := range env {
		for _, form := range []string{v, url.QueryEscape(v), strings.TrimPrefix(v, "https://"), webhookPath} {
			if name != "SLACK_WEBHOOK_URL" && form == webhookPath {
				continue
			}
			if strings.Contains(s, form) {
				t.Errorf("%s contains %s", where, name)
			}
		}
	}
}

func TestWebhookModePosts(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	a, err := New(db, Config{WebhookURL: f.srv.URL + webhookPath, Pace: -1, Now: clk.Now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Transport() != "webhook" {
		t.Fatalf("Transport() = %q, want webhook", a.Transport())
	}
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, clearReports()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	hooks := append([]string(nil), f.hooks...)
	f.mu.Unlock()
	if len(hooks) != 4 {
		t.Fatalf("webhook posts = %d, want 2 alerts and 2 resolutions", len(hooks))
	}
	var first, last struct {
		Text     string            `json:"text"`
		ThreadTS string            `json:"thread_ts"`
		Blocks   []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(hooks[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(hooks[3]), &last); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.Text, "2 events still missing") || len(first.Blocks) < 3 {
		t.Errorf("first webhook post = %+v, want the stripe alert with blocks", first)
	}
	if !strings.Contains(last.Text, "Resolved: github: 1 event still missing") || last.ThreadTS != "" {
		t.Errorf("last webhook post = %+v, want a resolution of its own, unthreaded", last)
	}
	// Only the unknown (forged) event's alert, which stays open until acknowledged.
	open, _ := db.Alerts(ctx, ledger.AlertFilter{})
	if len(open) != 1 || open[0].Kind != KindUnknown {
		t.Errorf("open alerts = %+v, want only the unknown one", open)
	}
}

func TestNewNeedsChannelWithToken(t *testing.T) {
	if _, err := New(nil, Config{BotToken: "xoxb-1"}); err == nil {
		t.Error("New(token, no channel) = nil error, want one")
	}
}
