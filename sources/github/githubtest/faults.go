package githubtest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hookledger/hookledger/sources/fault"
)

// Fault is a way an API request can fail: the fault model every
// hookledger fake shares (see package fault). GitHub renders a Status
// fault as it would: 429 Too Many Requests with Retry-After; 403 as the
// secondary rate limit with Retry-After, or with Exhausted as the primary
// one (x-ratelimit-remaining 0, x-ratelimit-reset); other statuses as a
// GitHub error document. A zero RetryAfter waits the server's WithRetryAfter.
type Fault = fault.Fault

// FaultFunc decides the fault for the n-th API request (from 1).
type FaultFunc = fault.Func

// The faults GitHub's API answers with, ready to inject.
var (
	FaultNone      = Fault{}                                              // answered normally
	FaultRateLimit = Fault{Status: http.StatusTooManyRequests}            // 429 Too Many Requests with Retry-After
	FaultSecondary = Fault{Status: http.StatusForbidden}                  // 403 secondary rate limit with Retry-After
	FaultPrimary   = Fault{Status: http.StatusForbidden, Exhausted: true} // 403 with x-ratelimit-remaining 0 and x-ratelimit-reset
	FaultServer    = Fault{Status: http.StatusInternalServerError}        // 500 Internal Server Error
	FaultCut       = Fault{Cut: true}                                     // the connection closes halfway through the body
)

// serveFault answers r with the status fault f.
func (s *Server) serveFault(w http.ResponseWriter, f Fault) {
	wait := f.RetryAfter
	if wait <= 0 {
		wait = s.retryAfter
	}
	switch {
	case f.Exhausted:
		reset := s.now().Add(wait).Unix()
		w.Header().Set("X-Ratelimit-Limit", "5000")
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
		writeError(w, f.Status, "API rate limit exceeded")
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", fault.RetryAfterValue(wait))
		writeError(w, f.Status, "Too Many Requests")
	case f.Status == http.StatusForbidden:
		w.Header().Set("Retry-After", fault.RetryAfterValue(wait))
		writeJSON(w, f.Status, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	default:
		writeError(w, f.Status, http.StatusText(f.Status))
	}
}

// defaultRetryAfter is the wait rate-limit faults ask for unless
// WithRetryAfter says otherwise.
const defaultRetryAfter = time.Second
