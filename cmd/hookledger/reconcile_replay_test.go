package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// TestReconcileFlagsReplayedGitHubDelivery: GitHub signs the body only, so
// a captured delivery resent under a new X-GitHub-Delivery verifies and is
// stored as a new event; the receiver cannot tell. The next reconcile
// must: GitHub does not know that delivery id, so it is reported unknown
// and the alert says what that means. Resending it under another
// X-GitHub-Event is refused at the door (400).
func TestReconcileFlagsReplayedGitHubDelivery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gf := githubtest.NewServer(githubtest.WithSeed(3))
	defer gf.Close()
	slack := newSlackRecorder(t)
	dbPath := filepath.Join(t.TempDir(), "replay.db")
	vars := slack.vars(dbPath)
	vars["GITHUB_WEBHOOK_SECRET"], vars["GITHUB_TOKEN"], vars["GITHUB_API_URL"] = e2eGitHubSecret, "ghp_replay", gf.URL

	db, err := ledger.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	provs, err := app.BuildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := httptest.NewServer(sources.NewReceiver(db, provs.Webhook, sources.ReceiverOptions{Logger: slog.New(slog.DiscardHandler)}))
	defer rv.Close()
	hook := gf.AddRepoHook("octo", "shop", 77, rv.URL+"/webhooks/github", e2eGitHubSecret)
	vars["GITHUB_HOOKS"] = hook.String()
	if res, err := gf.Send(ctx, hook, githubtest.Plan{Count: 3, Step: time.Minute, Types: []string{"push"}}); err != nil || res.Rejected != 0 {
		t.Fatalf("github Send() = %+v, %v", res, err)
	}

	// The attacker holds one delivery exactly as it crossed the wire.
	var captured *ledger.Event
	for ev, err := range db.Events(ctx, ledger.EventFilter{Source: "github"}) {
		if err != nil {
			t.Fatal(err)
		}
		captured = ev
		break
	}
	full, err := db.Event(ctx, "github", captured.EventID)
	if err != nil {
		t.Fatal(err)
	}
	resend := func(event, guid string) int {
		req, _ := http.NewRequest("POST", rv.URL+"/webhooks/github", bytes.NewReader(full.Payload))
		req.Header.Set(github.EventHeader, event)
		req.Header.Set(github.DeliveryHeader, guid)
		req.Header.Set(github.SignatureHeader, github.Sign(full.Payload, e2eGitHubSecret))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const replayed = "d1e5a0f2-0000-4000-8000-00000000beef"
	if got := resend("push", replayed); got != http.StatusOK {
		t.Fatalf("replay under a new delivery id: status %d, want 200 (the signature cannot tell)", got)
	}
	if got := resend("release", "d1e5a0f2-0000-4000-8000-relabelled01"); got != http.StatusBadRequest {
		t.Errorf("replay as a release: status %d, want 400", got)
	}

	w := &reconcileWorld{vars: vars, dsn: dbPath}
	_, reports := w.reconcileJSON(t, "--source", "github", "--since", "1d")
	rep := reports["github"]
	if rep.Unknown != 1 || !slices.Equal(rep.UnknownIDs, []string{replayed}) || rep.Missing != 0 {
		t.Fatalf("reconcile after a replay: %s unknown_ids=%v, want the replayed id alone unknown", counts(rep), rep.UnknownIDs)
	}
	texts := strings.Join(slack.texts(), "\n")
	for _, want := range []string{replayed, "replayed delivery", "X-GitHub-Delivery"} {
		if !strings.Contains(texts, want) {
			t.Errorf("alert does not say %q:\n%s", want, texts)
		}
	}
}
