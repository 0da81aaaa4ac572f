package ledger

import (
	"testing"
	"time"
)

func TestTruncateError(t *testing.T) {
	long := string(make([]byte, maxErrorLen+10))
	tests := []struct {
		in      string
		wantLen int
	}{
		{"short", 5},
		{long, maxErrorLen + len("…")},
		{long[:maxErrorLen-1] + "é" + long, maxErrorLen - 1 + len("…")}, // never splits a rune
	}
	for _, tt := range tests {
		if got := truncateError(tt.in); len(got) != tt.wantLen {
			t.Errorf("len(truncateError(%d bytes)) = %d, want %d", len(tt.in), len(got), tt.wantLen)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 10*time.Second, time.Hour
	tests := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0.5, 10 * time.Second},
		{2, 0.5, 20 * time.Second},
		{4, 0.5, 80 * time.Second},
		{1, 0, 8 * time.Second},
		{1, 1, 12 * time.Second},
		{12, 0.5, time.Hour},
		{100, 1, time.Hour},
		{0, 0.5, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(base, limit, tt.n, tt.r); got != tt.want {
			t.Errorf("Backoff(10s, 1h, %d, %v) = %s, want %s", tt.n, tt.r, got, tt.want)
		}
	}
}
