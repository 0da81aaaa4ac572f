package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// slackRecorder is a chat.postMessage endpoint on loopback that records
// the forms it accepted, or answers 500 while down.
type slackRecorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	down  bool
	posts []url.Values
}

func newSlackRecorder(t *testing.T) *slackRecorder {
	s := &slackRecorder{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down || r.URL.Path != "/chat.postMessage" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		form, _ := url.ParseQuery(string(body))
		s.posts = append(s.posts, form)
		fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":"1700000000.%06d"}`, len(s.posts))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackRecorder) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func (s *slackRecorder) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.posts {
		out = append(out, p.Get("text"))
	}
	return out
}

func (s *slackRecorder) vars(dbPath string) map[string]string {
	return map[string]string{"HOOKLEDGER_DB": dbPath, "SLACK_BOT_TOKEN": "xoxb-cmd-test", "SLACK_CHANNEL": "C1",
		"SLACK_API_URL": s.srv.URL}
}

func TestAlertsListAndFlush(t *testing.T) {
	ctx := context.Background()
	slack := newSlackRecorder(t)
	slack.setDown(true)
	dbPath := filepath.Join(t.TempDir(), "alerts.db")
	db, err := ledger.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	al, err := alerts.New(db, alerts.Config{BotToken: "xoxb-cmd-test", Channel: "C1", APIURL: slack.srv.URL,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	report := reconcile.Report{Source: "stripe", Since: time.Now().Add(-time.Hour), Until: time.Now(), Complete: true,
		Expected: 3, InLedger: 2, Missing: 1, StillMissing: 1, MissingIDs: []string{"evt_gone"}, StillMissingIDs: []string{"evt_gone"}}
	if err := al.Notify(ctx, []reconcile.Report{report}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	env, stdout, _ := testEnv(slack.vars(dbPath))
	if err := runWith(ctx, env, []string{"alerts", "list", "--json"}); err != nil {
		t.Fatal(err)
	}
	var got alertsJSON
	if err := json.Unmarshal([]byte(stdout.String()), &got); err != nil {
		t.Fatalf("alerts list --json: %v\n%s", err, stdout)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].Fingerprint != "stripe:missing" || got.Alerts[0].Delivered ||
		len(got.Outbox) != 1 || got.Outbox[0].LastError == "" {
		t.Fatalf("alerts list = %+v, want one undelivered stripe:missing alert waiting with its error", got)
	}

	slack.setDown(false)
	env, stdout, _ = testEnv(slack.vars(dbPath))
	if err := runWith(ctx, env, []string{"alerts", "flush"}); err != nil {
		t.Fatalf("alerts flush: %v", err)
	}
	if !strings.Contains(stdout.String(), "delivered 1 alert message(s) via slack; 0 still queued") {
		t.Errorf("alerts flush printed %q", stdout.String())
	}
	if texts := slack.texts(); len(texts) != 1 || !strings.Contains(texts[0], "evt_gone") {
		t.Errorf("posted %q, want the stripe alert", texts)
	}
	env, stdout, _ = testEnv(slack.vars(dbPath))
	if err := runWith(ctx, env, []string{"alerts", "list"}); err != nil {
		t.Fatal(err)
	}
	if out := stdout.String(); !strings.Contains(out, "stripe: 1 event still missing") || strings.Contains(out, "outbox") {
		t.Errorf("alerts list = %q, want the delivered alert and no outbox line", out)
	}
}

func TestAlertsUsage(t *testing.T) {
	for _, args := range [][]string{{"alerts"}, {"alerts", "nope"}, {"alerts", "list", "--bogus"}} {
		env, _, _ := testEnv(nil)
		if err := runWith(context.Background(), env, args); app.ExitCode(err, io.Discard) != app.ExitUsage {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func TestCronRunsAlertChecks(t *testing.T) {
	ctx := context.Background()
	slack := newSlackRecorder(t)
	dbPath := filepath.Join(t.TempDir(), "cron.db")
	db, err := ledger.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Record(ctx, &ledger.Event{Source: "github", EventID: "dead-guid", Type: "push", Payload: []byte("{}")}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE events SET state = 'dead'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	env, _, stderr := testEnv(slack.vars(dbPath))
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runWith(runCtx, env, []string{"cron", "--schedule", "alerts=@every 1s"}) }()
	for len(slack.texts()) == 0 && runCtx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cron = %v\n%s", err, stderr)
	}
	texts := slack.texts()
	if len(texts) != 1 || !strings.Contains(texts[0], "1 dead event") || !strings.Contains(texts[0], "hookledger replay --dead --source github") {
		t.Errorf("posted %q, want one dead-event alert for github\n%s", texts, stderr)
	}
}
