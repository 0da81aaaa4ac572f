package sources

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"0.25", 250 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"1e300", 0, false},
		{"soon", 0, false},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// testPolicy treats a 403 with X-Limited as a rate limit asking for that
// many seconds, as GitHub's hook does with its headers.
func testPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseDelay: time.Second, MaxWait: time.Minute,
		Throttled: func(resp *http.Response) (time.Duration, bool) {
			v := resp.Header.Get("X-Limited")
			if resp.StatusCode != http.StatusForbidden || v == "" {
				return 0, false
			}
			secs, _ := strconv.Atoi(v)
			return time.Duration(secs) * time.Second, true
		}}.withDefaults()
}

func response(code int, kv ...string) *http.Response {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &http.Response{StatusCode: code, Header: h, Body: http.NoBody}
}

func TestCheckRetryAndBackoff(t *testing.T) {
	p := testPolicy()
	tests := []struct {
		name  string
		resp  *http.Response
		err   error
		retry bool
		wait  time.Duration // exact when > 0, else any backoff in [BaseDelay/2, BaseDelay]
	}{
		{"ok", response(200), nil, false, 0},
		{"not found", response(404), nil, false, 0},
		{"not implemented", response(501), nil, false, 0},
		{"plain forbidden", response(403), nil, false, 0},
		{"429 backoff", response(429), nil, true, 0},
		{"429 retry-after", response(429, "Retry-After", "7"), nil, true, 7 * time.Second},
		{"503 retry-after fraction", response(503, "Retry-After", "1.5"), nil, true, 1500 * time.Millisecond},
		{"500 retry-after zero", response(500, "Retry-After", "0"), nil, true, 0},
		{"429 past max wait", response(429, "Retry-After", "3600"), nil, false, 0},
		{"throttled 403", response(403, "X-Limited", "20"), nil, true, 20 * time.Second},
		{"throttled 403 retry-after first", response(403, "X-Limited", "20", "Retry-After", "3"), nil, true, 3 * time.Second},
		{"throttled 403 past max wait", response(403, "X-Limited", "120"), nil, false, 0},
		{"transport error", nil, errors.New("connection reset"), true, 0},
		{"canceled", nil, context.Canceled, false, 0},
		{"body too large", nil, errBodyTooLarge, false, 0},
	}
	for _, tt := range tests {
		retry, err := p.checkRetry(context.Background(), tt.resp, tt.err)
		if retry != tt.retry || err != nil {
			t.Errorf("%s: checkRetry() = %v, %v; want %v, nil", tt.name, retry, err, tt.retry)
		}
		if !retry {
			continue
		}
		wait := p.backoff(p.BaseDelay, p.MaxWait, 0, tt.resp)
		switch {
		case tt.wait > 0 && wait != tt.wait:
			t.Errorf("%s: backoff() = %v, want %v", tt.name, wait, tt.wait)
		case tt.wait == 0 && tt.name != "500 retry-after zero" && (wait < p.BaseDelay/2 || wait > p.BaseDelay):
			t.Errorf("%s: backoff() = %v, want within [%v, %v]", tt.name, wait, p.BaseDelay/2, p.BaseDelay)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retry, err := p.checkRetry(ctx, response(500), nil); retry || !errors.Is(err, context.Canceled) {
		t.Errorf("checkRetry() after cancel = %v, %v; want false, context.Canceled", retry, err)
	}
}

func TestBackoffGrowsToMaxWait(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxWait: 2 * time.Second}.withDefaults()
	for attempt := range 40 {
		ceiling := min(p.BaseDelay<<min(attempt, 20), p.MaxWait)
		if d := p.backoff(p.BaseDelay, p.MaxWait, attempt, nil); d < ceiling/2 || d > ceiling {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
		}
	}
}

// script answers the n-th request (from 1) of a test server.
type script func(n int64, w http.ResponseWriter, r *http.Request)

// serve starts a server running s; Requests counts what it received.
func serve(t *testing.T, s script) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s(n.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// cut sends a 200 announcing 100 bytes, sends 10, and drops the connection.
func cut(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
	buf.Flush()
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// failFirst answers the first n requests with f, then 200 "full page".
func failFirst(n int64, f func(w http.ResponseWriter)) script {
	return func(i int64, w http.ResponseWriter, r *http.Request) {
		if i <= n {
			f(w)
			return
		}
		io.WriteString(w, "full page")
	}
}

func status(code int, kv ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, `{"error":"injected"}`)
	}
}

func TestRetryClient(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		script   script
		requests int64
		status   int    // of the response returned
		body     string // of the response returned
	}{
		{"429 then ok", "GET", failFirst(2, status(429, "Retry-After", "0.01")), 3, 200, "full page"},
		{"500s then ok", "GET", failFirst(3, status(500)), 4, 200, "full page"},
		{"cut mid-body then ok", "GET", failFirst(2, cut), 3, 200, "full page"},
		{"dropped connection then ok", "GET", failFirst(1, drop), 2, 200, "full page"},
		{"500 until retries run out", "GET", failFirst(99, status(500)), 4, 500, `{"error":"injected"}`},
		{"retry-after past max wait", "GET", failFirst(99, status(429, "Retry-After", "3600")), 1, 429, `{"error":"injected"}`},
		{"404 not retried", "GET", failFirst(99, status(404)), 1, 404, `{"error":"injected"}`},
		{"POST not retried", "POST", failFirst(99, status(500)), 1, 500, `{"error":"injected"}`},
		{"POST ok", "POST", failFirst(0, nil), 1, 200, "full page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := serve(t, tt.script)
			p := RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxWait: time.Minute, Methods: []string{"GET"}}
			hc := NewRetryClient(&http.Client{Timeout: 10 * time.Second}, p, nil)
			req, _ := http.NewRequest(tt.method, srv.URL, nil)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("Do() error = %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tt.status || string(body) != tt.body {
				t.Errorf("Do() = %d %q, %v; want %d %q", resp.StatusCode, body, err, tt.status, tt.body)
			}
			if n.Load() != tt.requests {
				t.Errorf("server saw %d requests, want %d", n.Load(), tt.requests)
			}
		})
	}
}

// TestRetryClientKeepsSecrets gives up on a dead connection and checks that
// neither the error nor the debug log shows the credentials or the query.
func TestRetryClientKeepsSecrets(t *testing.T) {
	const token, query = "tok_do_not_leak_42", "key_in_query_43"
	srv, n := serve(t, failFirst(99, drop))
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := NewRetryClient(nil, RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond}, logger)
	req, _ := http.NewRequest("GET", srv.URL+"/v1/things?secret="+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("Do() = %d, want an error", resp.StatusCode)
	}
	if n.Load() != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("Do() error = %v after %d requests; want one naming 3 attempts after 3", err, n.Load())
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "giving up") {
		t.Errorf("error = %v, want it without the token or the library's prefix", err)
	}
	if !strings.Contains(logs.String(), "retrying request") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("log = %q, want the retries at debug level", logs.String())
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), query) || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("log shows a secret or logs above debug: %q", logs.String())
	}
}

func TestRetryClientStopsOnCancel(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv, n := serve(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30") // within MaxWait: the client waits
		w.WriteHeader(http.StatusTooManyRequests)
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := NewRetryClient(nil, RetryPolicy{MaxWait: time.Minute}, nil).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.Canceled) || n.Load() != 1 {
		t.Errorf("Do() error = %v after %d requests, want context.Canceled after 1", err, n.Load())
	}
}

func TestCutQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h/p", "http://h/p"},
		{"http://h/p?a=1", "http://h/p"},
		{"GET http://h/p?a=1&b=2 (status: 429)", "GET http://h/p (status: 429)"},
	}
	for _, tt := range tests {
		if got := cutQuery(tt.in); got != tt.want {
			t.Errorf("cutQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
