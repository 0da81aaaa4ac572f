package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

const (
	hookSecret = "hook-secret"
	apiToken   = "ghp_do_not_leak_0123456789"
)

// newSource returns a Source that reconciles hooks on srv, with fast retries.
func newSource(t *testing.T, srv *githubtest.Server, hooks ...*githubtest.Hook) *github.Source {
	t.Helper()
	var hs []github.Hook
	for _, h := range hooks {
		parsed, err := github.ParseHook(h.String())
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, parsed)
	}
	s, err := github.New(github.Config{
		WebhookSecrets: []string{hookSecret},
		Token:          apiToken,
		APIURL:         srv.URL,
		Hooks:          hs,
		Retry:          github.RetryPolicy{MaxRetries: 4, BaseDelay: time.Millisecond, MaxWait: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testCtx bounds a test's API calls so that a hang fails instead of blocking.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestScopeAllTypesNamesHookEvents(t *testing.T) {
	srv := githubtest.NewServer()
	defer srv.Close()
	h := srv.AddRepoHook("octo", "hello", 12, "http://127.0.0.1:1/", hookSecret, "push", "pull_request")
	sc, err := newSource(t, srv, h).Scope(testCtx(t))
	if err != nil || !sc.AllTypes || !sc.Expects("anything") {
		t.Fatalf("Scope() = %+v, %v; want all types", sc, err)
	}
	if !strings.Contains(sc.Note, "octo/hello:12 sends push,pull_request") {
		t.Errorf("Scope().Note = %q, want the hook's events", sc.Note)
	}
}

func TestNewRejectsBadAPIURL(t *testing.T) {
	if _, err := github.New(github.Config{APIURL: "not a url"}); err == nil {
		t.Error("New() with a relative API URL: nil error")
	}
	s, err := github.New(github.Config{})
	if err != nil || s.Name() != "github" || s.Retention() != 72*time.Hour {
		t.Errorf("New(Config{}) = %v, %v", s, err)
	}
}
