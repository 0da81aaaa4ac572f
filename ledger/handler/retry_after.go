package handler

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ExitTempFail is the exit status (EX_TEMPFAIL from sysexits.h) with which
// an exec command asks to be retried later; the first line of its stdout
// may say when, as a Retry-After header would: a number of seconds or an
// HTTP date.
const ExitTempFail = 75

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP
// date, relative to now. ok is false for anything else. A date in the
// past is a delay of 0.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		// Past a day the exact value does not matter: the processor caps it.
		return time.Duration(min(n, 86400*365)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
