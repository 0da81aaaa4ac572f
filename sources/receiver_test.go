package sources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/stripe"
)

const (
	stripeSecret    = "whsec_receiver_test_current"
	stripeOldSecret = "whsec_receiver_test_old"
	githubSecret    = "gh-receiver-test-secret"
)

type harness struct {
	db  ledgertest.Backend
	srv *httptest.Server
}

// newHarness serves a real receiver over real HTTP on a real ledger file.
func newHarness(t *testing.T, srcs ...sources.Source) *harness {
	t.Helper()
	db := ledgertest.OpenSQLite(t)
	rv := sources.NewReceiver(db, srcs, sources.ReceiverOptions{
		MaxBody: 64 << 10,
		Logger:  slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	return &harness{db: db, srv: srv}
}

func stripeSource(t *testing.T) *stripe.Source {
	t.Helper()
	s, err := stripe.New(stripe.Config{WebhookSecrets: []string{stripeOldSecret, stripeSecret}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func githubSource(t *testing.T) *github.Source {
	t.Helper()
	s, err := github.New(github.Config{WebhookSecrets: []string{githubSecret}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stripePayload(id string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2099-01-01.future","created":%d,`+
		`"type":"invoice.paid","data":{"object":{"id":"in_1","object":"invoice"}}}`, id, time.Now().Unix()))
}

func signStripe(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: payload, Secret: secret, Timestamp: at,
	}).Header
}

func (h *harness) post(t *testing.T, path string, body []byte, header http.Header) int {
	t.Helper()
	status, _ := h.postAnswer(t, path, body, header)
	return status
}

// postAnswer is post that also returns the answer's body.
func (h *harness) postAnswer(t *testing.T, path string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if bytes.Contains(answer, body) && len(body) > 0 {
		t.Errorf("response echoes the payload: %s", answer)
	}
	return resp.StatusCode, string(answer)
}

func stripeHeader(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("Stripe-Signature", sig)
	}
	return h
}

func TestReceiverStripeStoresOnceAndAnswersDuplicates(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	payload := stripePayload("evt_recv_1")
	sig := signStripe(payload, stripeSecret, time.Now())
	for i := 0; i < 2; i++ {
		if got := h.post(t, "/webhooks/stripe", payload, stripeHeader(sig)); got != http.StatusOK {
			t.Fatalf("delivery %d: status = %d, want 200", i+1, got)
		}
	}
	ev, err := h.db.Event(context.Background(), "stripe", "evt_recv_1")
	if err != nil {
		t.Fatalf("event not in ledger: %v", err)
	}
	if !bytes.Equal(ev.Payload, payload) || ev.Type != "invoice.paid" || ev.Origin != ledger.OriginWebhook {
		t.Errorf("stored event = %+v", ev)
	}
	rcs, _ := h.db.Receipts(context.Background(), "stripe", "evt_recv_1")
	if len(rcs) != 2 || rcs[0].Outcome != ledger.OutcomeAccepted || rcs[1].Outcome != ledger.OutcomeDuplicate {
		t.Errorf("receipts = %+v, want accepted then duplicate", rcs)
	}
}

func TestReceiverStripeRejections(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	now := time.Now()
	payload := stripePayload("evt_bad")
	tampered := bytes.Replace(payload, []byte("invoice.paid"), []byte("invoice.void"), 1)
	tests := []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"wrong secret", payload, signStripe(payload, "whsec_wrong", now), 401},
		{"tampered body", tampered, signStripe(payload, stripeSecret, now), 401},
		{"missing header", payload, "", 401},
		{"garbage header", payload, "not-a-signature", 401},
		{"stale timestamp", payload, signStripe(payload, stripeSecret, now.Add(-6*time.Minute)), 401},
		{"far-future timestamp", payload, signStripe(payload, stripeSecret, now.Add(6*time.Minute)), 401},
		{"signed but not JSON", []byte("{not json"), signStripe([]byte("{not json"), stripeSecret, now), 400},
		{"signed but no id", []byte(`{"object":"event","type":"x"}`), signStripe([]byte(`{"object":"event","type":"x"}`), stripeSecret, now), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.post(t, "/webhooks/stripe", tt.body, stripeHeader(tt.sig)); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
		})
	}
	if _, err := h.db.Event(context.Background(), "stripe", "evt_bad"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("a rejected event was stored: %v", err)
	}
	// Rejections are counted per source, reason and minute, with the last
	// sample of each: not a row per request.
	if err := h.db.SyncRejections(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := h.db.Rejections(context.Background(), "stripe", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Reason] += r.Count
		want := map[string]int{sources.ReasonSignature: 401, sources.ReasonMalformed: 400}[r.Reason]
		if r.Last.Status != want || r.Last.At.IsZero() || !strings.HasPrefix(r.Last.RemoteAddr, "127.0.0.1:") {
			t.Errorf("rejection sample %+v, want status %d, a time and the client address", r, want)
		}
		if strings.Contains(r.Last.Error, stripeSecret) || strings.Contains(r.Last.Error, "v1=") {
			t.Errorf("rejection sample leaks a secret or signature: %q", r.Last.Error)
		}
	}
	if counts[sources.ReasonSignature] != 6 || counts[sources.ReasonMalformed] != 2 || len(counts) != 2 {
		t.Errorf("rejection counts = %v, want 6 signature and 2 malformed", counts)
	}
	if rcs, _ := h.db.Receipts(context.Background(), "stripe", ""); len(rcs) != 0 {
		t.Errorf("rejected requests left %d receipt rows, want none (they are aggregated)", len(rcs))
	}
}

func TestReceiverStripeRotatedSecret(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	for i, secret := range []string{stripeOldSecret, stripeSecret} {
		payload := stripePayload(fmt.Sprintf("evt_rot_%d", i))
		if got := h.post(t, "/webhooks/stripe", payload, stripeHeader(signStripe(payload, secret, time.Now()))); got != 200 {
			t.Errorf("signed with secret %d: status = %d, want 200", i, got)
		}
	}
}

func TestReceiverSizeAndRouting(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	big := bytes.Repeat([]byte("x"), 65<<10)
	if got := h.post(t, "/webhooks/stripe", big, stripeHeader(signStripe(big, stripeSecret, time.Now()))); got != 413 {
		t.Errorf("oversized body: status = %d, want 413", got)
	}
	payload := stripePayload("evt_route")
	if got := h.post(t, "/webhooks/github", payload, nil); got != 404 {
		t.Errorf("unconfigured source: status = %d, want 404", got)
	}
	if got := h.post(t, "/webhooks/nope", payload, nil); got != 404 {
		t.Errorf("unknown source: status = %d, want 404", got)
	}
	resp, err := http.Get(h.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz = %v, %v, want 200", resp, err)
	}
}

func TestReceiverLedgerDownAnswers503(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	h.db.Close()
	payload := stripePayload("evt_down")
	if got := h.post(t, "/webhooks/stripe", payload, stripeHeader(signStripe(payload, stripeSecret, time.Now()))); got != 503 {
		t.Errorf("ledger closed: status = %d, want 503", got)
	}
	resp, err := http.Get(h.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("healthz with ledger closed = %v, %v, want 503", resp, err)
	}
}

func TestReceiverConcurrentDuplicatesOneRow(t *testing.T) {
	h := newHarness(t, stripeSource(t))
	payload := stripePayload("evt_conc")
	sig := signStripe(payload, stripeSecret, time.Now())
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Go(func() {
			if got := h.post(t, "/webhooks/stripe", payload, stripeHeader(sig)); got != 200 {
				t.Errorf("status = %d, want 200", got)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, err := range h.db.Events(context.Background(), ledger.EventFilter{Source: "stripe"}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
	rcs, _ := h.db.Receipts(context.Background(), "stripe", "evt_conc")
	accepted := 0
	for _, rc := range rcs {
		if rc.Outcome == ledger.OutcomeAccepted {
			accepted++
		}
	}
	if len(rcs) != 50 || accepted != 1 {
		t.Errorf("receipts = %d (%d accepted), want 50 (1)", len(rcs), accepted)
	}
}

func TestReceiverGitHubRealExamples(t *testing.T) {
	h := newHarness(t, githubSource(t), stripeSource(t))
	files, err := filepath.Glob("github/testdata/webhooks/*.json")
	if err != nil || len(files) < 50 {
		t.Fatalf("want the checked-in real examples, found %d (%v)", len(files), err)
	}
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		event := strings.SplitN(filepath.Base(f), ".", 2)[0]
		guid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		hdr := http.Header{}
		hdr.Set("X-GitHub-Event", event)
		hdr.Set("X-GitHub-Delivery", guid)
		hdr.Set("X-GitHub-Hook-ID", "4242")
		hdr.Set("X-Hub-Signature-256", github.Sign(body, githubSecret))
		if got := h.post(t, "/webhooks/github", body, hdr); got != 200 {
			t.Errorf("%s: status = %d, want 200", f, got)
			continue
		}
		ev, err := h.db.Event(context.Background(), "github", guid)
		if err != nil {
			t.Errorf("%s: not stored: %v", f, err)
			continue
		}
		if ev.Type != event || !bytes.Equal(ev.Payload, body) {
			t.Errorf("%s: stored type %q, payload equal %v", f, ev.Type, bytes.Equal(ev.Payload, body))
		}
		var top struct{ Action string }
		json.Unmarshal(body, &top)
		if ev.Action != top.Action {
			t.Errorf("%s: action = %q, want %q", f, ev.Action, top.Action)
		}
	}
	// A GitHub body signed with the wrong secret is 401.
	hdr := http.Header{}
	hdr.Set("X-GitHub-Event", "push")
	hdr.Set("X-GitHub-Delivery", "bad-guid")
	hdr.Set("X-Hub-Signature-256", github.Sign([]byte(`{}`), "wrong"))
	if got := h.post(t, "/webhooks/github", []byte(`{}`), hdr); got != 401 {
		t.Errorf("wrong github secret: status = %d, want 401", got)
	}
}

// TestReceiverClientAddrBehindTrustedProxy: the address recorded is the
// X-Forwarded-For client only when the peer is a trusted proxy.
func TestReceiverClientAddrBehindTrustedProxy(t *testing.T) {
	for _, tt := range []struct {
		trusted string
		want    string
	}{{"127.0.0.0/8", "198.51.100.7"}, {"", "127.0.0.1:"}} {
		db := ledgertest.OpenSQLite(t)
		proxies, err := sources.ParseTrustedProxies(tt.trusted)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sources.NewReceiver(db, []sources.Source{stripeSource(t)}, sources.ReceiverOptions{
			TrustedProxies: proxies, Logger: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		h := &harness{db: db, srv: srv}
		payload := stripePayload("evt_proxied")
		hdr := stripeHeader(signStripe(payload, stripeSecret, time.Now()))
		hdr.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
		if got := h.post(t, "/webhooks/stripe", payload, hdr); got != 200 {
			t.Fatalf("status = %d, want 200", got)
		}
		rcs, err := db.Receipts(context.Background(), "stripe", "evt_proxied")
		if err != nil || len(rcs) != 1 || !strings.HasPrefix(rcs[0].RemoteAddr, tt.want) {
			t.Errorf("trusted %q: receipts = %+v, %v; want remote address %s…", tt.trusted, rcs, err, tt.want)
		}
	}
}
