package github

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

func TestRateLimited(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	resp := func(code int, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	reset := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name    string
		resp    *http.Response
		wait    time.Duration
		limited bool
	}{
		{"ok", resp(200), 0, false},
		{"ok with none remaining", resp(200, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(time.Minute)), 0, false},
		{"not found", resp(404), 0, false},
		{"plain forbidden", resp(403), 0, false},
		{"forbidden with some remaining", resp(403, "X-Ratelimit-Remaining", "12"), 0, false},
		{"secondary 403", resp(403, "Retry-After", "30"), 0, true},
		{"primary 403 reset", resp(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(20*time.Second)), 20 * time.Second, true},
		{"primary 429 reset", resp(429, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(time.Hour)), time.Hour, true},
		{"primary 403 reset passed", resp(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(-time.Minute)), -time.Minute, true},
		{"primary 403 no reset", resp(403, "X-Ratelimit-Remaining", "0"), 0, true},
	}
	hook := rateLimited(func() time.Time { return now })
	for _, tt := range tests {
		wait, limited := hook(tt.resp)
		if wait != tt.wait || limited != tt.limited {
			t.Errorf("%s: rateLimited() = %v, %v; want %v, %v", tt.name, wait, limited, tt.wait, tt.limited)
		}
	}
}

// TestRetryPolicyRateLimits drives the shared client with GitHub's policy
// against a server that answers one rate-limited response, then 200.
func TestRetryPolicyRateLimits(t *testing.T) {
	tests := []struct {
		name     string
		header   func(http.Header)
		status   int
		requests int64 // 2: retried once; 1: given up at once
	}{
		{"secondary retry-after 0", func(h http.Header) { h.Set("Retry-After", "0") }, 403, 2},
		{"primary reset now", func(h http.Header) {
			h.Set("X-Ratelimit-Remaining", "0")
			h.Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
		}, 403, 2},
		{"plain forbidden", func(http.Header) {}, 403, 1},
		{"secondary past max wait", func(h http.Header) { h.Set("Retry-After", "3600") }, 403, 1},
		{"primary reset past max wait", func(h http.Header) {
			h.Set("X-Ratelimit-Remaining", "0")
			h.Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(2*time.Hour).Unix(), 10))
		}, 403, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tt.header(w.Header())
					w.WriteHeader(tt.status)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			p := retryPolicy(RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxWait: time.Minute}, time.Now)
			resp, err := sources.NewRetryClient(&http.Client{Timeout: 10 * time.Second}, p, nil).Get(srv.URL)
			if err != nil {
				t.Fatalf("Get() error = %v", err)
			}
			resp.Body.Close()
			want := http.StatusOK
			if tt.requests == 1 {
				want = tt.status
			}
			if resp.StatusCode != want || n.Load() != tt.requests {
				t.Errorf("Get() = %d after %d requests, want %d after %d", resp.StatusCode, n.Load(), want, tt.requests)
			}
		})
	}
}
