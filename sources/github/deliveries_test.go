package github_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

// collect drains a listing; it fails the test on an error.
func collect(t *testing.T, s *github.Source, w sources.Window) map[string]sources.Listed {
	t.Helper()
	out := map[string]sources.Listed{}
	for l, err := range sources.Flatten(s.List(testCtx(t), w)) {
		if err != nil {
			t.Fatalf("List() error = %v", err)
		}
		if _, dup := out[l.EventID]; dup {
			t.Fatalf("List() yielded %s twice", l.EventID)
		}
		out[l.EventID] = l
	}
	return out
}

func TestListEachGUIDOnceAcrossPages(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithSeed(3))
	defer srv.Close()
	target := httptest.NewServer(http.NotFoundHandler())
	defer target.Close()
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, hookSecret)
	now := time.Now()
	res, err := srv.Record(h, githubtest.Plan{Count: 250, Start: now.Add(-2 * time.Hour), Step: 10 * time.Second, DuplicateRate: 0.2, DropRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	s := newSource(t, srv, h)
	// Redeliver the five oldest: their new attempts are on the first page,
	// their originals on the last.
	var originals []githubtest.Delivery
	for _, d := range srv.Deliveries(h) {
		if !d.Redelivery {
			originals = append(originals, d)
		}
	}
	oldest := originals[len(originals)-5:]
	for _, d := range oldest {
		l := sources.Listed{EventID: d.GUID, Account: "octo/hello:12", Ref: itoa(d.ID)}
		if err := s.Redeliver(testCtx(t), l); err != nil {
			t.Fatalf("Redeliver() error = %v", err)
		}
	}
	got := collect(t, s, sources.Window{Since: now.Add(-3 * time.Hour), Until: now.Add(time.Hour)})
	want := append(slices.Clone(res.Delivered), res.Dropped...)
	if len(got) != len(want) {
		t.Fatalf("List() yielded %d events, want %d", len(got), len(want))
	}
	for _, g := range want {
		if _, ok := got[g]; !ok {
			t.Errorf("List() missed %s", g)
		}
	}
	newest := map[string]int64{} // GUID → its newest attempt
	for _, d := range srv.Deliveries(h) {
		if _, ok := newest[d.GUID]; !ok {
			newest[d.GUID] = d.ID
		}
	}
	for _, d := range oldest {
		l := got[d.GUID]
		if !l.CreatedAt.Equal(d.DeliveredAt) {
			t.Errorf("%s CreatedAt = %v, want the original delivery %v", d.GUID, l.CreatedAt, d.DeliveredAt)
		}
		if wantRef := itoa(newest[d.GUID]); l.Ref != wantRef || wantRef == itoa(d.ID) {
			t.Errorf("%s Ref = %s, want the redelivery %s", d.GUID, l.Ref, wantRef)
		}
		if l.Account != "octo/hello:12" || l.Type == "" {
			t.Errorf("%s listed as %+v", d.GUID, l)
		}
	}
}

func TestListWindowStopsEarly(t *testing.T) {
	srv := githubtest.NewServer()
	defer srv.Close()
	h := srv.AddOrgHook("octo-org", 7, "http://127.0.0.1:1/", hookSecret)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := srv.Record(h, githubtest.Plan{Count: 1000, Start: start, Step: time.Minute}); err != nil {
		t.Fatal(err)
	}
	s := newSource(t, srv, h)
	w := sources.Window{Since: start.Add(900 * time.Minute), Until: start.Add(950 * time.Minute)}
	before := srv.Requests()
	got := collect(t, s, w)
	if len(got) != 50 {
		t.Errorf("List() yielded %d events, want the 50 in the window", len(got))
	}
	for _, l := range got {
		if !w.Contains(l.CreatedAt) || !strings.HasPrefix(l.Account, "org:octo-org:7") {
			t.Errorf("listed %+v outside the window or hook", l)
		}
	}
	if pages := srv.Requests() - before; pages != 2 {
		t.Errorf("List() read %d pages, want 2 (stop once past the window)", pages)
	}
}

func TestListRetriesProviderFaults(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithRetryAfter(0))
	defer srv.Close()
	h := srv.AddRepoHook("octo", "hello", 12, "http://127.0.0.1:1/", hookSecret)
	res, err := srv.Record(h, githubtest.Plan{Count: 450})
	if err != nil {
		t.Fatal(err)
	}
	s := newSource(t, srv, h)
	srv.InjectFaults(githubtest.FaultRateLimit, githubtest.FaultNone, githubtest.FaultSecondary, githubtest.FaultServer,
		githubtest.FaultNone, githubtest.FaultCut, githubtest.FaultPrimary, githubtest.FaultServer)
	got := collect(t, s, sources.Window{Since: time.Now().Add(-24 * time.Hour), Until: time.Now().Add(time.Hour)})
	if len(got) != len(res.Delivered) {
		t.Errorf("List() through faults yielded %d, want %d", len(got), len(res.Delivered))
	}
}

func TestListExhaustedRetriesYieldsError(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithRetryAfter(0))
	defer srv.Close()
	h := srv.AddRepoHook("octo", "hello", 12, "http://127.0.0.1:1/", hookSecret)
	if _, err := srv.Record(h, githubtest.Plan{Count: 300}); err != nil {
		t.Fatal(err)
	}
	srv.SetFaultFunc(func(n int64, r *http.Request) githubtest.Fault {
		if n > 1 { // the first page works, then the API is down
			return githubtest.FaultServer
		}
		return githubtest.FaultNone
	})
	s := newSource(t, srv, h)
	var n, errs int
	for l, err := range sources.Flatten(s.List(testCtx(t), sources.Window{Since: time.Now().Add(-24 * time.Hour), Until: time.Now()})) {
		if err != nil {
			errs++
			if strings.Contains(err.Error(), apiToken) {
				t.Errorf("error %q contains the token", err)
			}
			continue
		}
		if l.EventID == "" {
			t.Errorf("yielded an empty Listed without error")
		}
		n++
	}
	if n != 100 || errs != 1 {
		t.Errorf("List() yielded %d events and %d errors, want 100 and 1", n, errs)
	}
	if got := srv.Requests(); got != 1+5 {
		t.Errorf("API saw %d requests, want 6 (one page, then 1+4 retries)", got)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
