package github_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
)

// example is one real payload from testdata/webhooks (the npm package
// @octokit/webhooks-examples), named EVENT.N.json.
type example struct {
	name    string
	event   string
	payload []byte
}

func loadExamples(tb testing.TB) []example {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if err != nil || len(files) < 100 {
		tb.Fatalf("found %d examples (%v), want the checked-in set", len(files), err)
	}
	out := make([]example, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		event, _, _ := strings.Cut(name, ".")
		out = append(out, example{name: name, event: event, payload: b})
	}
	return out
}

// signedHeader is what GitHub sends with body.
func signedHeader(secret, event, guid string, body []byte) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", guid)
	h.Set("X-GitHub-Hook-ID", "12")
	h.Set("X-GitHub-Hook-Installation-Target-Type", "repository")
	h.Set("X-GitHub-Hook-Installation-Target-ID", "1296269")
	h.Set("User-Agent", "GitHub-Hookshot/9c1c7f1")
	h.Set("Content-Type", "application/json")
	h.Set("X-Hub-Signature", "sha1=0000")
	h.Set("X-Hub-Signature-256", github.Sign(body, secret))
	return h
}

func newVerifier(t testing.TB) *github.Source {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := github.New(github.Config{
		WebhookSecrets: []string{"old", "current"},
		Hooks:          []github.Hook{{Owner: "octo", Repo: "hello", ID: 12}},
		Now:            func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRealExamples(t *testing.T) {
	src := newVerifier(t)
	for i, ex := range loadExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(ex.payload, &doc); err != nil {
				t.Fatal(err)
			}
			wantAction, _ := doc["action"].(string)
			guid := fmt.Sprintf("0b989ba4-242f-11e5-81e1-%012x", i)
			for _, form := range []bool{false, true} {
				body := ex.payload
				if form {
					body = []byte(url.Values{"payload": {string(ex.payload)}}.Encode())
				}
				h := signedHeader("current", ex.event, guid, body)
				if form {
					h.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				ev, err := src.Verify(h, body)
				if err != nil {
					t.Fatalf("Verify(form=%v) error = %v", form, err)
				}
				checkEvent(t, ev, guid, ex.event, wantAction, body)
			}
		})
	}
}

func checkEvent(t *testing.T, ev *ledger.Event, guid, event, action string, body []byte) {
	t.Helper()
	if ev.EventID != guid || ev.Type != event || ev.Action != action || ev.Source != "github" {
		t.Errorf("Verify() = %s %s %q (%s), want %s %s %q", ev.EventID, ev.Type, ev.Action, ev.Source, guid, event, action)
	}
	if !bytes.Equal(ev.Payload, body) {
		t.Errorf("Verify() payload differs from the body")
	}
	if ev.Account != "octo/hello:12" || ev.Origin != ledger.OriginWebhook || ev.CreatedAt.IsZero() {
		t.Errorf("Verify() account %q origin %q created %v", ev.Account, ev.Origin, ev.CreatedAt)
	}
	for k := range ev.Headers {
		if strings.HasPrefix(strings.ToLower(k), "x-hub-signature") {
			t.Errorf("Verify() kept signature header %s", k)
		}
	}
	if len(ev.Headers) != 7 {
		t.Errorf("Verify() kept headers %v, want the 7 non-secret ones", ev.Headers)
	}
}

// TestVerifyAcceptsWhatGoGitHubCannotParse: some real payloads (new event
// types, fields whose shape changed) fail go-github's typed parse; the
// ledger must store them anyway.
func TestVerifyAcceptsWhatGoGitHubCannotParse(t *testing.T) {
	src := newVerifier(t)
	var failing []string
	for _, ex := range loadExamples(t) {
		if _, err := gh.ParseWebHook(ex.event, ex.payload); err == nil {
			continue
		}
		failing = append(failing, ex.name)
		h := signedHeader("old", ex.event, "guid-"+ex.name, ex.payload)
		ev, err := src.Verify(h, ex.payload)
		if err != nil {
			t.Errorf("%s: Verify() error = %v, want it stored", ex.name, err)
			continue
		}
		if ev.EventID != "guid-"+ex.name || ev.Type != ex.event {
			t.Errorf("%s: Verify() = %s %s", ex.name, ev.EventID, ev.Type)
		}
	}
	// The checked-in set holds every example go-github v60 fails on: two
	// check_run, deployment_review, one discussion, three package and four
	// sponsorship examples.
	if len(failing) != 11 {
		t.Errorf("go-github failed on %d examples %v, want the 11 checked in", len(failing), failing)
	}
}

func TestVerifyRejects(t *testing.T) {
	src := newVerifier(t)
	body := loadExamples(t)[0].payload
	tampered := append(bytes.Clone(body[:len(body)-1]), ' ', '}')
	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"wrong secret", signedHeader("leaked?", "push", "g", body), body},
		{"tampered body", signedHeader("current", "push", "g", body), tampered},
	}
	for _, tt := range tests {
		if _, err := src.Verify(tt.header, tt.body); !errors.Is(err, sources.ErrSignature) {
			t.Errorf("%s: Verify() error = %v, want sources.ErrSignature", tt.name, err)
		}
	}
}
