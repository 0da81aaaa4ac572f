package github_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/github/githubtest"
)

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
	for l, err := range sources.Flatten(s.List(testCtx(t), sources.Window{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})) {
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

func exampleNamed(t testing.TB, name string) example {
	for _, ex := range loadExamples(t) {
		if ex.name == name {
			return ex
		}
	}
	t.Fatalf("no example %s", name)
	return example{}
}
