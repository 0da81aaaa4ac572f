package app

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration accepts Go duration syntax plus a day unit: "90m", "36h",
// "7d", "1d12h". It returns an error for anything else.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	rest := s
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		days, err := strconv.ParseUint(rest[:i], 10, 32)
		if err != nil || i == 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		if days > 365*100 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 90m, 36h, 7d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	if d > math.MaxInt64-total {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	return total + d, nil
}
