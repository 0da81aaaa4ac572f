package main

import (
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90m", 90 * time.Minute, false},
		{"36h", 36 * time.Hour, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{" 2d ", 48 * time.Hour, false},
		{"10s", 10 * time.Second, false},
		{"", 0, true},
		{"d", 0, true},
		{"-1d", 0, true},
		{"1d-2h", 0, true},
		{"7", 0, true},
		{"7days", 0, true},
		{"abc", 0, true},
		{"99999999d", 0, true},
	}
	for _, tt := range tests {
		got, err := app.ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"7d", now.Add(-7 * 24 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"2026-11-01T00:00:00Z", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-11-01T02:00:00+02:00", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"yesterday", time.Time{}, true},
		{"2026-11-01", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseSince checks that no input panics and that every accepted
// duration is non-negative and lands at or before now.
func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"7d", "36h", "90m", "1d12h", "2026-11-01T00:00:00Z", "", "d", "-5m", "1e9h", "9223372036854775807ns"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := app.ParseDuration(s); err == nil && d < 0 {
			t.Errorf("parseDuration(%q) = %v, negative", s, d)
		}
		got, err := parseSince(s, now)
		if err != nil {
			return
		}
		if _, perr := time.Parse(time.RFC3339, s); perr != nil && got.After(now) {
			t.Errorf("parseSince(%q) = %v, after now for a duration", s, got)
		}
	})
}
