package githubtest_test

import (
	"runtime"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// TestHolds200kDeliveries records 200,000 deliveries, checks the heap they
// take, and lists the oldest page through go-github.
func TestHolds200kDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("records 200,000 deliveries")
	}
	srv, _, target, client := setup(t)
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now().Add(-48 * time.Hour)
	if _, err := srv.Record(h, githubtest.Plan{Count: 200_000, Start: start, Step: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("200,000 deliveries: %d MiB of heap", grew>>20)
	if grew > 64<<20 {
		t.Errorf("200,000 deliveries take %d MiB of heap, want under 64", grew>>20)
	}
	opts := &gh.ListCursorOptions{PerPage: 100}
	list, resp, err := client.Repositories.ListHookDeliveries(ctxT(t), "octo", "hello", 12, opts)
	if err != nil || len(list) != 100 || resp.Cursor == "" {
		t.Fatalf("first page = %d, cursor %q, %v", len(list), resp.Cursor, err)
	}
	d, _, err := client.Repositories.GetHookDelivery(ctxT(t), "octo", "hello", 12, list[99].GetID())
	if err != nil || d.GetGUID() != list[99].GetGUID() {
		t.Errorf("GetHookDelivery() = %v, %v", d, err)
	}
}
