package githubtest_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources/github/githubtest"
)

const secret = "s3cret"

// received is a webhook target that checks signatures like GitHub's
// documentation says and keeps what it got.
type received struct {
	mu       sync.Mutex
	guids    []string
	badSig   int
	headers  []http.Header
	payloads [][]byte
}

func (rc *received) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := githubtest.Sign(body, secret)
	if !hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte(want)) {
		rc.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.guids = append(rc.guids, r.Header.Get("X-GitHub-Delivery"))
	rc.headers = append(rc.headers, r.Header.Clone())
	rc.payloads = append(rc.payloads, body)
	w.WriteHeader(http.StatusOK)
}

// setup starts the fake and a target, and a go-github client for the fake.
func setup(t *testing.T, opts ...githubtest.Option) (*githubtest.Server, *received, *httptest.Server, *gh.Client) {
	t.Helper()
	srv := githubtest.NewServer(append([]githubtest.Option{githubtest.WithSeed(7)}, opts...)...)
	t.Cleanup(srv.Close)
	rc := &received{}
	target := httptest.NewServer(rc)
	t.Cleanup(target.Close)
	client := gh.NewClient(nil).WithAuthToken("ghp_test")
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	return srv, rc, target, client
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestListCursorPaging(t *testing.T) {
	srv, _, target, client := setup(t)
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	res, err := srv.Record(h, githubtest.Plan{Count: 250})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	var all []*gh.HookDelivery
	opts := &gh.ListCursorOptions{PerPage: 100}
	pages := 0
	for {
		page, resp, err := client.Repositories.ListHookDeliveries(ctx, "octo", "hello", 12, opts)
		if err != nil {
			t.Fatalf("ListHookDeliveries() error = %v", err)
		}
		pages++
		all = append(all, page...)
		if resp.Cursor == "" {
			break
		}
		opts.Cursor = resp.Cursor
	}
	if pages != 3 || len(all) != 250 {
		t.Fatalf("listed %d deliveries in %d pages, want 250 in 3", len(all), pages)
	}
	seen := map[string]bool{}
	for i, d := range all {
		if i > 0 && d.GetDeliveredAt().After(all[i-1].GetDeliveredAt().Time) {
			t.Fatalf("delivery %d is newer than the one before: not newest first", i)
		}
		seen[d.GetGUID()] = true
	}
	for _, g := range res.Delivered {
		if !seen[g] {
			t.Errorf("GUID %s recorded but not listed", g)
		}
	}
}

func TestOrgHookGetDelivery(t *testing.T) {
	srv, _, target, client := setup(t)
	h := srv.AddOrgHook("octo-org", 7, target.URL, secret, "push", "issues")
	if _, err := srv.Record(h, githubtest.Plan{Count: 3, Types: []string{"push"}}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	list, _, err := client.Organizations.ListHookDeliveries(ctx, "octo-org", 7, nil)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListHookDeliveries() = %d, %v; want 3, nil", len(list), err)
	}
	d, _, err := client.Organizations.GetHookDelivery(ctx, "octo-org", 7, list[0].GetID())
	if err != nil {
		t.Fatalf("GetHookDelivery() error = %v", err)
	}
	if d.GetGUID() != list[0].GetGUID() || d.GetEvent() != "push" {
		t.Errorf("GetHookDelivery() = %s %s, want %s push", d.GetGUID(), d.GetEvent(), list[0].GetGUID())
	}
	payload := []byte(*d.GetRequest().RawPayload)
	if got, want := d.GetRequest().Headers["X-Hub-Signature-256"], githubtest.Sign(payload, secret); got != want {
		t.Errorf("recorded signature = %q, want %q", got, want)
	}
	if _, err := d.ParseRequestPayload(); err != nil {
		t.Errorf("ParseRequestPayload() error = %v", err)
	}
	hook, _, err := client.Organizations.GetHook(ctx, "octo-org", 7)
	if err != nil || len(hook.Events) != 2 {
		t.Errorf("GetHook() events = %v, %v; want [push issues]", hook.Events, err)
	}
}

func TestRedeliverSendsSignedWebhook(t *testing.T) {
	srv, rc, target, client := setup(t)
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	ctx := ctxT(t)
	res, err := srv.Send(ctx, h, githubtest.Plan{Count: 1, DropRate: 1})
	if err != nil || len(res.Dropped) != 1 {
		t.Fatalf("Send() = %+v, %v; want one dropped", res, err)
	}
	if len(rc.guids) != 0 {
		t.Fatalf("a dropped delivery reached the target")
	}
	list, _, err := client.Repositories.ListHookDeliveries(ctx, "octo", "hello", 12, nil)
	if err != nil || len(list) != 1 || list[0].GetStatusCode() != http.StatusBadGateway {
		t.Fatalf("ListHookDeliveries() = %v, %v; want one failed delivery", list, err)
	}
	_, _, err = client.Repositories.RedeliverHookDelivery(ctx, "octo", "hello", 12, list[0].GetID())
	var accepted *gh.AcceptedError
	if !errors.As(err, &accepted) {
		t.Fatalf("RedeliverHookDelivery() error = %v, want *github.AcceptedError", err)
	}
	if len(rc.guids) != 1 || rc.guids[0] != res.Dropped[0] || rc.badSig != 0 {
		t.Fatalf("target got %v (bad signatures %d), want [%s]", rc.guids, rc.badSig, res.Dropped[0])
	}
	if got := rc.headers[0].Get("X-GitHub-Hook-ID"); got != "12" {
		t.Errorf("X-GitHub-Hook-ID = %q, want 12", got)
	}
	list, _, _ = client.Repositories.ListHookDeliveries(ctx, "octo", "hello", 12, nil)
	if len(list) != 2 || !list[0].GetRedelivery() || list[0].GetGUID() != res.Dropped[0] || list[0].GetStatusCode() != 200 {
		t.Errorf("after redelivery the list = %v, want a new redelivery row first", list)
	}
}

func TestSendPlan(t *testing.T) {
	srv, rc, target, _ := setup(t)
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	res, err := srv.Send(ctxT(t), h, githubtest.Plan{Count: 200, DropRate: 0.1, DuplicateRate: 0.1, Reorder: true, Forged: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dropped) == 0 || len(res.Duplicated) == 0 || len(res.Forged) != 3 {
		t.Fatalf("Send() = %d dropped, %d duplicated, %d forged; want some of each", len(res.Dropped), len(res.Duplicated), len(res.Forged))
	}
	if len(res.Delivered)+len(res.Dropped) != 200 {
		t.Errorf("delivered %d + dropped %d, want 200", len(res.Delivered), len(res.Dropped))
	}
	want := len(res.Delivered) + len(res.Duplicated) + len(res.Forged)
	if len(rc.guids) != want || rc.badSig != 0 || res.Rejected != 0 {
		t.Errorf("target got %d webhooks (%d bad, %d rejected), want %d", len(rc.guids), rc.badSig, res.Rejected, want)
	}
	got := map[string]int{}
	for _, g := range rc.guids {
		got[g]++
	}
	for _, g := range res.Dropped {
		if got[g] != 0 {
			t.Errorf("dropped %s reached the target", g)
		}
	}
	for _, g := range res.Duplicated {
		if got[g] != 2 {
			t.Errorf("duplicated %s arrived %d times, want 2", g, got[g])
		}
	}
	recorded := map[string]bool{}
	for _, d := range srv.Deliveries(h) {
		recorded[d.GUID] = true
	}
	for _, g := range res.Forged {
		if got[g] != 1 || recorded[g] {
			t.Errorf("forged %s: arrived %d times, recorded %v; want 1, false", g, got[g], recorded[g])
		}
	}
	if n := len(srv.Deliveries(h)); n != 200+len(res.Duplicated) {
		t.Errorf("recorded %d attempts, want %d", n, 200+len(res.Duplicated))
	}
}

func TestFormHookSignsForm(t *testing.T) {
	srv, rc, target, _ := setup(t)
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	h.Form = true
	if _, err := srv.Send(ctxT(t), h, githubtest.Plan{Count: 2, Types: []string{"issues"}}); err != nil {
		t.Fatal(err)
	}
	if len(rc.payloads) != 2 || rc.badSig != 0 {
		t.Fatalf("target got %d verified webhooks, %d bad; want 2, 0", len(rc.payloads), rc.badSig)
	}
	form, err := url.ParseQuery(string(rc.payloads[0]))
	if err != nil || !json.Valid([]byte(form.Get("payload"))) {
		t.Errorf("form body has no JSON payload field: %v", err)
	}
}

func TestRequiresToken(t *testing.T) {
	srv, _, target, _ := setup(t, githubtest.WithToken("right"))
	srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	for _, token := range []string{"", "wrong"} {
		client := gh.NewClient(nil)
		if token != "" {
			client = client.WithAuthToken(token)
		}
		client.BaseURL, _ = url.Parse(srv.URL)
		_, resp, err := client.Repositories.ListHookDeliveries(ctxT(t), "octo", "hello", 12, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: ListHookDeliveries() error = %v, want 401", token, err)
		}
	}
}

func TestFaults(t *testing.T) {
	srv, _, target, _ := setup(t, githubtest.WithRetryAfter(0))
	h := srv.AddRepoHook("octo", "hello", 12, target.URL, secret)
	if _, err := srv.Record(h, githubtest.Plan{Count: 5}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fault  githubtest.Fault
		status int
	}{
		{githubtest.FaultRateLimit, http.StatusTooManyRequests},
		{githubtest.FaultSecondary, http.StatusForbidden},
		{githubtest.FaultPrimary, http.StatusForbidden},
		{githubtest.FaultServer, http.StatusInternalServerError},
		{githubtest.FaultCut, 0},
	}
	for _, tt := range tests {
		srv.InjectFaults(tt.fault)
		fresh := gh.NewClient(nil).WithAuthToken("ghp_test") // go-github remembers rate limits
		fresh.BaseURL, _ = url.Parse(srv.URL)
		_, resp, err := fresh.Repositories.ListHookDeliveries(ctxT(t), "octo", "hello", 12, nil)
		if err == nil {
			t.Errorf("fault %+v: no error", tt.fault)
			continue
		}
		if tt.status != 0 && (resp == nil || resp.StatusCode != tt.status) {
			t.Errorf("fault %+v: response %v, want status %d", tt.fault, resp, tt.status)
		}
		if list, _, err := fresh.Repositories.ListHookDeliveries(ctxT(t), "octo", "hello", 12, nil); tt.fault != githubtest.FaultPrimary && (err != nil || len(list) != 5) {
			t.Errorf("fault %+v: next request = %d, %v; want 5 deliveries", tt.fault, len(list), err)
		}
	}
}
