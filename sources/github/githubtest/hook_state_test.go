package githubtest_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// TestHookServesItsState protects the fake's view of a hook, as go-github
// reads it: active until SetActive(false), last_response following the
// newest delivery (unused, then 200, then a 502), and config.url after
// SetURL.
func TestHookServesItsState(t *testing.T) {
	ctx := context.Background()
	srv := githubtest.NewServer(githubtest.WithSeed(1))
	defer srv.Close()
	h := srv.AddRepoHook("acme", "shop", 9, "http://127.0.0.1:1/webhooks/github", "s")
	client := gh.NewClient(&http.Client{Timeout: 5 * time.Second}).WithAuthToken("ghp_test")
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	get := func() *gh.Hook {
		t.Helper()
		hook, _, err := client.Repositories.GetHook(ctx, "acme", "shop", 9)
		if err != nil {
			t.Fatal(err)
		}
		return hook
	}
	if hook := get(); !hook.GetActive() || hook.LastResponse["code"] != nil || hook.LastResponse["status"] != "unused" {
		t.Errorf("new hook: active %v, last_response %v; want active, unused", hook.GetActive(), hook.LastResponse)
	}
	start := time.Now().Add(-time.Hour)
	if _, err := srv.Record(h, githubtest.Plan{Count: 3, Start: start}); err != nil {
		t.Fatal(err)
	}
	if code := get().LastResponse["code"]; code != float64(200) {
		t.Errorf("after good deliveries: last_response.code = %v, want 200", code)
	}
	if _, err := srv.Record(h, githubtest.Plan{Count: 2, Start: start.Add(time.Minute), DropRate: 1}); err != nil {
		t.Fatal(err)
	}
	hook := get()
	if hook.LastResponse["code"] != float64(502) || hook.LastResponse["message"] != "Invalid HTTP Response: 502" {
		t.Errorf("after failed deliveries: last_response = %v, want 502", hook.LastResponse)
	}
	srv.SetActive(h, false)
	srv.SetURL(h, "https://elsewhere.example.com/hook")
	if hook := get(); hook.GetActive() || hook.Config.GetURL() != "https://elsewhere.example.com/hook" {
		t.Errorf("after SetActive(false), SetURL: active %v, url %q", hook.GetActive(), hook.Config.GetURL())
	}
}
