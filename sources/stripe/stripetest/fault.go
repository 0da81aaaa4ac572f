package stripetest

import (
	"net/http"

	"github.com/hookledger/hookledger/sources/fault"
)

// Fault is what the fake does to one API request instead of (or before)
// answering it normally: the fault model every hookledger fake shares
// (see package fault). A Status fault is answered with a Stripe error
// object (429: rate_limit; others: api_error), with Retry-After only when
// RetryAfter is set. The zero Fault does nothing.
type Fault = fault.Fault

// FaultFunc decides the fault for the n-th API request (from 1).
type FaultFunc = fault.Func

func writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", fault.RetryAfterValue(f.RetryAfter))
	}
	if f.Status == http.StatusTooManyRequests || f.Exhausted {
		writeErrorCode(w, http.StatusTooManyRequests, "invalid_request_error", "rate_limit", "",
			"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.")
		return
	}
	writeError(w, f.Status, "api_error", "", "An unknown error occurred. (injected by stripetest)")
}
