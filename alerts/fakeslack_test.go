package alerts

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// fakeSlack is a Slack Web API and incoming-webhook endpoint on loopback
// that records every request body and can fail on demand.
type fakeSlack struct {
	srv *httptest.Server

	mu     sync.Mutex
	bodies []string     // every request body, failed ones too
	posts  []url.Values // chat.postMessage forms answered ok
	hooks  []string     // webhook JSON bodies answered ok
	fault  func() fault // decides each request's fate; nil: all succeed
	seq    int
}

// fault is what the fake does with one request.
type fault struct {
	status     int // answer with this status instead of success
	retryAfter int // seconds, with a 429
	hangup     bool
}

const webhookPath = "/services/T000/B000/hooksecretpath"

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	var ft fault
	if f.fault != nil {
		ft = f.fault()
	}
	f.mu.Unlock()
	switch {
	case ft.hangup:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case ft.status != 0:
		if ft.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ft.retryAfter))
		}
		http.Error(w, "unavailable", ft.status)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/chat.postMessage":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		f.posts = append(f.posts, form)
		f.seq++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C0ALERTS","ts":"1700000000.%06d","message":{"text":"x"}}`, f.seq)
	case webhookPath:
		f.hooks = append(f.hooks, string(body))
		io.WriteString(w, "ok")
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeSlack) setFault(fn func() fault) {
	f.mu.Lock()
	f.fault = fn
	f.mu.Unlock()
}

func (f *fakeSlack) postCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

func (f *fakeSlack) post(i int) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts[i]
}

func (f *fakeSlack) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

var testStart = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// newBotAlerter returns an Alerter posting as a bot to f, on clock clk.
func newBotAlerter(t *testing.T, db Store, f *fakeSlack, clk *ledgertest.Clock) *Alerter {
	t.Helper()
	a, err := New(db, Config{
		BotToken: "xoxb-test-token", Channel: "C0ALERTS", APIURL: f.srv.URL,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Pace:       -1, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
