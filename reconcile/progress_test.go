package reconcile_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// TestRunStoppedAtNeverOverclaimsAcrossHooks lists two GitHub hooks, each
// newest first, and fails the API after a few pages. The hooks are listed
// one after the other, so a prefix that came newest first says nothing
// about the hook not listed yet: whatever stopped_at the report gives,
// every event of either hook created from then to the window's end must
// have been listed (an empty ledger makes each listed one missing).
func TestRunStoppedAtNeverOverclaimsAcrossHooks(t *testing.T) {
	target := httptest.NewServer(http.NotFoundHandler())
	defer target.Close()
	now := time.Now().UTC().Truncate(time.Second)
	w := sources.Window{Since: now.Add(-4 * time.Hour), Until: now}
	// Requests 1 and 2 read the hooks (Scope), then three pages per hook.
	for _, failFrom := range []int64{4, 5, 6, 7, 8} {
		srv := githubtest.NewServer(githubtest.WithSeed(uint64(failFrom)))
		var hooks []github.Hook
		first := map[string]time.Time{}
		for i, h := range []*githubtest.Hook{srv.AddRepoHook("octo", "a", 1, target.URL, "s"), srv.AddOrgHook("octo-org", 2, target.URL, "s")} {
			if _, err := srv.Record(h, githubtest.Plan{Count: 250, Start: w.Since.Add(time.Duration(i) * time.Second), Step: 40 * time.Second}); err != nil {
				t.Fatal(err)
			}
			parsed, err := github.ParseHook(h.String())
			if err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, parsed)
			maps.Copy(first, srv.FirstDelivered(h))
		}
		srv.SetFaultFunc(func(n int64, _ *http.Request) githubtest.Fault {
			if n >= failFrom {
				return githubtest.FaultServer
			}
			return githubtest.FaultNone
		})
		src, err := github.New(github.Config{Token: "t", APIURL: srv.URL, Hooks: hooks,
			Retry: github.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		r := reconcile.New(ledgertest.OpenSQLite(t), reconcile.Options{DryRun: true, IDLimit: 1000}, nil, nil)
		rep, err := r.Run(context.Background(), src, w)
		srv.Close()
		if err == nil || rep.StoppedAt == nil {
			t.Fatalf("fail from request %d: Run() = stopped at %v, %v; want an interrupted run", failFrom, rep.StoppedAt, err)
		}
		if failFrom == 8 && !rep.StoppedAt.Before(w.Until) {
			t.Errorf("fail from request 8: stopped_at %v, want progress claimed from the last hook's two pages", rep.StoppedAt)
		}
		for guid, at := range first {
			if w.Contains(at) && !at.Before(*rep.StoppedAt) && !slices.Contains(rep.MissingIDs, guid) {
				t.Fatalf("fail from request %d: stopped_at %v claims %s (delivered %v), which was never listed",
					failFrom, rep.StoppedAt, guid, at)
			}
		}
	}
}
