// Package fault is the fault model the provider fakes share (stripetest,
// githubtest, and any later one): what can go wrong with one API request,
// an Injector that decides it request by request (a queue first, then a
// function), and the wire-level faults that look the same for every
// provider (latency, a connection cut mid-response). Each fake only
// renders a status fault in its provider's own error format.
package fault

import (
	"net/http"
	"sync"
	"time"
)

// Fault is what a fake does to one API request instead of (or before)
// answering it normally. The zero Fault does nothing.
type Fault struct {
	// Status, when set, answers with this status and the provider's error
	// body instead of the real response: 429 and (for GitHub) 403 are rate
	// limits, 5xx server errors.
	Status int
	// RetryAfter, with Status, is the wait the answer asks for: the
	// Retry-After header, or with Exhausted the time to the quota's reset.
	// Zero means the provider's default: Stripe sends no Retry-After, a
	// GitHub fake the wait it was configured with.
	RetryAfter time.Duration
	// Exhausted, with Status, answers as a used-up request quota that
	// resets after RetryAfter (GitHub's primary rate limit:
	// x-ratelimit-remaining 0 and x-ratelimit-reset) rather than with a
	// Retry-After. Providers without quota headers answer as a rate limit.
	Exhausted bool
	// Cut sends the real response's headers and about half its body, then
	// closes the connection.
	Cut bool
	// Latency delays the request before anything else happens.
	Latency time.Duration
}

// Func decides the fault for the n-th API request (counted from 1).
type Func func(n int64, r *http.Request) Fault

// Injector holds a fake's faults: a queue consumed by the next requests,
// one each, then an optional Func consulted for every request after. It
// counts the requests it is asked about. The zero Injector injects nothing;
// it is safe for concurrent use. Fakes embed it, so that every fake offers
// the same InjectFaults, FailNext, CutNext, SetFaultFunc and Requests.
type Injector struct {
	mu    sync.Mutex
	n     int64
	queue []Fault
	fn    Func
}

// InjectFaults queues faults for the next API requests, one each, in order.
func (in *Injector) InjectFaults(fs ...Fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.queue = append(in.queue, fs...)
}

// FailNext makes the next n API requests fail with status, asking for a
// wait of retryAfter (zero: the provider's default).
func (in *Injector) FailNext(n, status int, retryAfter time.Duration) {
	for range n {
		in.InjectFaults(Fault{Status: status, RetryAfter: retryAfter})
	}
}

// CutNext makes the next n API requests lose their connection mid-response.
func (in *Injector) CutNext(n int) {
	for range n {
		in.InjectFaults(Fault{Cut: true})
	}
}

// SetFaultFunc installs fn, consulted for every API request once the queue
// of InjectFaults is empty; nil removes it. fn runs under a lock: keep it
// quick.
func (in *Injector) SetFaultFunc(fn Func) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fn = fn
}

// Requests returns how many API requests the injector was asked about.
func (in *Injector) Requests() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.n
}

// Next counts r in in and returns its number (from 1) and its fault: the
// next queued one, else what the Func says, else none. It is a function,
// not a method, so that a fake embedding the Injector does not offer it.
func Next(in *Injector, r *http.Request) (int64, Fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.n++
	if len(in.queue) > 0 {
		f := in.queue[0]
		in.queue = in.queue[1:]
		return in.n, f
	}
	if in.fn != nil {
		return in.n, in.fn(in.n, r)
	}
	return in.n, Fault{}
}
