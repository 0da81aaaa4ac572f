package github

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rt := &retryTransport{policy: RetryPolicy{MaxRetries: 3, BaseDelay: time.Second, MaxWait: time.Minute}, logger: slog.New(slog.DiscardHandler), now: func() time.Time { return now }}
	resp := func(code int, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	tests := []struct {
		name    string
		resp    *http.Response
		err     error
		attempt int
		retry   bool
		wait    time.Duration // exact when told, else 0 = any backoff
	}{
		{"ok", resp(200), nil, 0, false, 0},
		{"not found", resp(404), nil, 0, false, 0},
		{"plain forbidden", resp(403), nil, 0, false, 0},
		{"429 retry-after", resp(429, "Retry-After", "7"), nil, 0, true, 7 * time.Second},
		{"429 backoff", resp(429), nil, 0, true, 0},
		{"secondary 403", resp(403, "Retry-After", "30"), nil, 0, true, 30 * time.Second},
		{"primary 403 reset", resp(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", strconv.FormatInt(now.Add(20*time.Second).Unix(), 10)), nil, 0, true, 20 * time.Second},
		{"retry-after date", resp(503, "Retry-After", now.Add(5*time.Second).Format(http.TimeFormat)), nil, 0, true, 5 * time.Second},
		{"wait too long gives up", resp(429, "Retry-After", "3600"), nil, 0, false, 0},
		{"500", resp(500), nil, 1, true, 0},
		{"out of retries", resp(500), nil, 3, false, 0},
		{"network error", nil, errors.New("connection reset"), 0, true, 0},
	}
	for _, tt := range tests {
		wait, retry := rt.shouldRetry(tt.resp, tt.err, tt.attempt)
		if retry != tt.retry || (tt.wait != 0 && wait != tt.wait) {
			t.Errorf("%s: shouldRetry() = %v, %v; want %v, %v", tt.name, wait, retry, tt.wait, tt.retry)
		}
		if retry && tt.wait == 0 && (wait <= 0 || wait > time.Minute) {
			t.Errorf("%s: backoff %v out of range", tt.name, wait)
		}
	}
}
