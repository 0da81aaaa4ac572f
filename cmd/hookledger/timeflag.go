package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// parseSince turns a --since or --until value into a time: a duration is
// counted back from now ("7d" is seven days ago), anything else must be an
// RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
		return t.UTC(), nil
	}
	d, err := app.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: want a duration (7d, 36h, 90m) or an RFC 3339 time", s)
	}
	return now.Add(-d).UTC(), nil
}
