package github_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/listertest"
)

// TestListMarksNeverOverclaim lists one hook whose events were partly
// redelivered later (so redelivery rows sit pages before their originals)
// and fails the API after some pages. At every page, the union of the
// marks must claim no time at which an event was first delivered that has
// not been yielded yet, and a complete listing must cover the window.
func TestListMarksNeverOverclaim(t *testing.T) {
	target := httptest.NewServer(http.NotFoundHandler())
	defer target.Close()
	now := time.Now().UTC().Truncate(time.Second)
	w := sources.Window{Since: now.Add(-5 * time.Hour), Until: now}
	for _, failAfter := range []int64{1, 2, 3, 4, 0} {
		srv := githubtest.NewServer(githubtest.WithSeed(7))
		h := srv.AddRepoHook("octo", "hello", 12, target.URL, hookSecret)
		// Several events a second, so seconds straddle pages.
		if _, err := srv.Record(h, githubtest.Plan{Count: 400, Start: w.Since.Add(time.Minute), Step: 300 * time.Millisecond,
			DuplicateRate: 0.3}); err != nil {
			t.Fatal(err)
		}
		srv.SetFaultFunc(func(n int64, _ *http.Request) githubtest.Fault {
			if failAfter > 0 && n > failAfter {
				return githubtest.FaultServer
			}
			return githubtest.FaultNone
		})
		got := listertest.Drain(newSource(t, srv, h).List(testCtx(t), w), w, srv.FirstDelivered(h))
		srv.Close()
		switch {
		case got.Overclaim != nil:
			t.Fatalf("fail after %d: %v", failAfter, got.Overclaim)
		case failAfter > 0 && got.Err == nil:
			t.Errorf("fail after %d: List() ended without an error", failAfter)
		case failAfter == 0 && (got.Err != nil || !got.Coverage.CompleteFrom(w).Equal(w.Since)):
			t.Errorf("complete listing: error %v, complete from %v; want nil and the window start", got.Err, got.Coverage.CompleteFrom(w))
		case failAfter >= 2 && len(got.Coverage.Spans()) == 0:
			t.Errorf("fail after %d: no progress marked", failAfter)
		}
	}
}
