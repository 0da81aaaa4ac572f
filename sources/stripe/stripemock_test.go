package stripe_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
)

// stripeMockVersion is Stripe's own API mock, which validates every
// request against Stripe's OpenAPI spec.
const stripeMockVersion = "v0.203.0"

// buildStripeMock installs stripe-mock once into a shared temp directory
// (the Go build cache makes later builds cheap anyway).
func buildStripeMock(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "hookledger-stripe-mock-"+stripeMockVersion)
	bin := filepath.Join(dir, "stripe-mock")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "stripe-mock-build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/stripe/stripe-mock@"+stripeMockVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot build stripe-mock %s (set HOOKLEDGER_SKIP_STRIPE_MOCK=1 to skip offline): %v\n%s", stripeMockVersion, err, out)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(tmp, "stripe-mock"), bin); err != nil && !fileExists(bin) {
		t.Fatal(err)
	}
	return bin
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startStripeMock runs stripe-mock on loopback and returns its base URL.
func startStripeMock(t *testing.T) string {
	t.Helper()
	if os.Getenv("HOOKLEDGER_SKIP_STRIPE_MOCK") != "" {
		t.Skip("HOOKLEDGER_SKIP_STRIPE_MOCK is set")
	}
	bin := buildStripeMock(t)
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", base+"/v1/events/evt_123", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("stripe-mock did not come up on %s", httpAddr)
	return ""
}

// TestAgainstStripeMock proves our request shapes (list filters, paging
// parameters, endpoint and event retrieval) are valid Stripe API calls:
// stripe-mock answers 400 to anything its OpenAPI spec does not allow.
func TestAgainstStripeMock(t *testing.T) {
	base := startStripeMock(t)
	newMockSource := func(edit func(*stripe.Config)) *stripe.Source {
		cfg := stripe.Config{
			WebhookSecrets: []string{secret},
			APIKey:         "sk_test_123",
			APIBase:        base,
			MaxRetries:     1,
			RetryBase:      time.Millisecond,
			HTTPClient:     &http.Client{Timeout: 10 * time.Second},
		}
		edit(&cfg)
		s, err := stripe.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := testContext(t)

	s := newMockSource(func(c *stripe.Config) { c.EndpointID = "we_123" })
	scope, err := s.Scope(ctx)
	if err != nil {
		t.Fatalf("Scope() against stripe-mock: %v", err)
	}
	if scope.AllTypes || len(scope.Types) != 2 { // the fixture enables charge.failed and charge.succeeded
		t.Errorf("Scope() = %+v, want the endpoint's enabled_events", scope)
	}

	// A window from the epoch to now: many slices, created filters, and a
	// types[] filter, each page request checked by stripe-mock.
	w := sources.Window{Since: time.Unix(1, 0), Until: time.Now()}
	for _, edit := range []func(*stripe.Config){
		func(c *stripe.Config) {},
		func(c *stripe.Config) { c.EventTypes = []string{"invoice.paid", "charge.refunded"} },
	} {
		n := 0
		for l, err := range sources.Flatten(newMockSource(edit).List(ctx, w)) {
			if err != nil {
				t.Fatalf("List() against stripe-mock: %v", err)
			}
			if l.Event == nil || len(l.Event.Payload) == 0 {
				t.Errorf("listed %s without its payload", l.EventID)
			}
			n++
		}
		if n > 1 {
			// stripe-mock ignores filters and returns its one fixture for
			// every slice: it must still be yielded once.
			t.Errorf("List() yielded %d events, want the fixture at most once", n)
		}
	}

	ev, err := s.Fetch(ctx, sources.Listed{EventID: "evt_123"})
	if err != nil || ev.EventID == "" || len(ev.Payload) == 0 {
		t.Fatalf("Fetch() against stripe-mock = %+v, %v", ev, err)
	}
}
