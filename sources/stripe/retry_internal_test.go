package stripe

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"1e300", 0, false},
		{"soon", 0, false},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	rt := &retryTransport{baseDelay: 100 * time.Millisecond, maxDelay: 2 * time.Second}
	for attempt := range 10 {
		d, ok := rt.delay(attempt, nil)
		ceiling := min(100*time.Millisecond<<attempt, 2*time.Second)
		if !ok || d > ceiling || d < min(ceiling/2, 2*time.Second) && d != rt.maxDelay {
			t.Errorf("delay(%d) = %v, want within [%v/2, %v]", attempt, d, ceiling, ceiling)
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {"1.5"}}}
	if d, ok := rt.delay(0, resp); !ok || d != 1500*time.Millisecond {
		t.Errorf("delay with Retry-After 1.5 = %v, %v; want 1.5s", d, ok)
	}
	resp.Header.Set("Retry-After", "5")
	if _, ok := rt.delay(0, resp); ok {
		t.Errorf("delay with Retry-After beyond maxDelay should give up")
	}
}
