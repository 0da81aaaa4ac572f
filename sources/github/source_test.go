package github_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hookledger/ledger"
	"hookledger/sources"
	"hookledger/sources/github"
	"hookledger/sources/github/githubtest"
)

const (
	hookSecret = "hook-secret"
	apiToken   = "ghp_do_not_leak_0123456789"
)

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

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collect drains a listing; it fails the test on an error.
func collect(t *testing.T, s *github.Source, w sources.Window) map[string]sources.Listed {
	t.Helper()
	out := map[string]sources.Listed{}
	for l, err := range s.List(testCtx(t), w) {
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

// sink is a webhook target that verifies with a Source, like the receiver.
type sink struct {
	src    *github.Source
	mu     sync.Mutex
	events []*ledger.Event
}

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev, err := k.src.Verify(r.Header, body)
	if err != nil {
		http.Error(w, "rejected", http.StatusUnauthorized)
		return
	}
	k.mu.Lock()
	k.events = append(k.events, ev)
	k.mu.Unlock()
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
	srv.Inject(githubtest.FaultRateLimit, githubtest.FaultNone, githubtest.FaultSecondary, githubtest.FaultServer,
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
	srv.SetFaults(func(n int64, r *http.Request) githubtest.Fault {
		if n > 1 { // the first page works, then the API is down
			return githubtest.FaultServer
		}
		return githubtest.FaultNone
	})
	s := newSource(t, srv, h)
	var n, errs int
	for l, err := range s.List(testCtx(t), sources.Window{Since: time.Now().Add(-24 * time.Hour), Until: time.Now()}) {
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

func TestFetchBuildsReconcileEvent(t *testing.T) {
	srv := githubtest.NewServer()
	defer srv.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable) // the receiver was down
	}))
	defer target.Close()
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, hookSecret)
	ex := exampleNamed(t, "sponsorship.0") // go-github cannot parse this type
	d, err := srv.DeliverPayload(testCtx(t), h, "sponsorship", ex.payload)
	if err != nil || d.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("DeliverPayload() = %+v, %v", d, err)
	}
	s := newSource(t, srv, h)
	got := collect(t, s, sources.Window{Since: d.DeliveredAt.Add(-time.Minute), Until: d.DeliveredAt.Add(time.Minute)})
	ev, err := s.Fetch(testCtx(t), got[d.GUID])
	if err != nil {
		t.Fatalf("Fetch() error = %v", err)
	}
	if ev.EventID != d.GUID || ev.Type != "sponsorship" || ev.Action != "created" || ev.Origin != ledger.OriginReconcile {
		t.Errorf("Fetch() = %s %s %q %s", ev.EventID, ev.Type, ev.Action, ev.Origin)
	}
	if !ev.CreatedAt.Equal(d.DeliveredAt) || ev.Account != "octo/hello:12" || ev.Source != "github" {
		t.Errorf("Fetch() created %v account %q, want %v octo/hello:12", ev.CreatedAt, ev.Account, d.DeliveredAt)
	}
	if !bytes.Equal(ev.Payload, ex.payload) || !json.Valid(ev.Payload) {
		t.Errorf("Fetch() payload differs from what was sent")
	}
	if ev.Headers["X-Github-Delivery"] != d.GUID || ev.Headers["X-Github-Event"] != "sponsorship" {
		t.Errorf("Fetch() headers = %v", ev.Headers)
	}
	for k := range ev.Headers {
		if strings.Contains(strings.ToLower(k), "signature") {
			t.Errorf("Fetch() kept %s", k)
		}
	}
}

func TestRedeliverArrivesVerified(t *testing.T) {
	srv := githubtest.NewServer()
	defer srv.Close()
	k := &sink{}
	target := httptest.NewServer(k)
	defer target.Close()
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, hookSecret)
	s := newSource(t, srv, h)
	k.src = s
	res, err := srv.Send(testCtx(t), h, githubtest.Plan{Count: 20, DropRate: 0.3})
	if err != nil || len(res.Dropped) == 0 {
		t.Fatalf("Send() = %d dropped, %v", len(res.Dropped), err)
	}
	for l, err := range s.List(testCtx(t), sources.Window{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}) {
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(res.Dropped, l.EventID) {
			if err := s.Redeliver(testCtx(t), l); err != nil {
				t.Fatalf("Redeliver(%s) error = %v", l.EventID, err)
			}
		}
	}
	seen := map[string]int{}
	for _, ev := range k.events {
		seen[ev.EventID]++
	}
	for _, g := range res.Dropped {
		if seen[g] != 1 {
			t.Errorf("dropped %s arrived %d times after redelivery, want 1", g, seen[g])
		}
	}
	if len(k.events) != len(res.Delivered)+len(res.Dropped) {
		t.Errorf("sink verified %d events, want %d", len(k.events), len(res.Delivered)+len(res.Dropped))
	}
}

func TestFetchRedeliverNeedRef(t *testing.T) {
	srv := githubtest.NewServer()
	defer srv.Close()
	s := newSource(t, srv)
	for _, l := range []sources.Listed{{EventID: "g", Account: "octo/hello:12"}, {EventID: "g", Account: "nonsense", Ref: "5"}} {
		if _, err := s.Fetch(testCtx(t), l); !errors.Is(err, github.ErrNoRef) {
			t.Errorf("Fetch(%+v) error = %v, want ErrNoRef", l, err)
		}
		if err := s.Redeliver(testCtx(t), l); !errors.Is(err, github.ErrNoRef) {
			t.Errorf("Redeliver(%+v) error = %v, want ErrNoRef", l, err)
		}
	}
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

func exampleNamed(t testing.TB, name string) example {
	for _, ex := range loadExamples(t) {
		if ex.name == name {
			return ex
		}
	}
	t.Fatalf("no example %s", name)
	return example{}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
