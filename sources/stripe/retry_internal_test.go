package stripe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// counting starts a server answering status to every request.
func counting(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestHTTPClientRetriesGETsOnly(t *testing.T) {
	tests := []struct {
		method   string
		requests int64
	}{
		{http.MethodGet, 1 + 2},
		{http.MethodPost, 1},
		{http.MethodDelete, 1},
	}
	for _, tt := range tests {
		srv, n := counting(t, http.StatusInternalServerError)
		hc := newHTTPClient(Config{RPS: 1000, MaxRetries: 2, RetryBase: time.Millisecond, MaxRetryDelay: time.Second})
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: Do() error = %v", tt.method, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || n.Load() != tt.requests {
			t.Errorf("%s: Do() = %d after %d requests, want 500 after %d", tt.method, resp.StatusCode, n.Load(), tt.requests)
		}
	}
}

// TestRateLimitPastDeadline checks that a limiter wait the context cannot
// afford fails as a deadline, at once and without retrying.
func TestRateLimitPastDeadline(t *testing.T) {
	srv, n := counting(t, http.StatusOK)
	hc := newHTTPClient(Config{RPS: 0.001, MaxRetries: 3, RetryBase: time.Millisecond, MaxRetryDelay: time.Second})
	get := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(t.Context()); err != nil {
		t.Fatalf("first Do() error = %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := get(ctx); !errors.Is(err, context.DeadlineExceeded) || n.Load() != 1 {
		t.Errorf("Do() past the limiter = %v after %d requests, want context.DeadlineExceeded after 1", err, n.Load())
	}
}
