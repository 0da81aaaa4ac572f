package stripetest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is what the fake does to one API request instead of (or before)
// answering it normally. The zero Fault does nothing.
type Fault struct {
	// Status, when set, answers with this status and a Stripe error object
	// (429: rate_limit; 5xx: api_error) instead of the real response.
	Status int
	// RetryAfter, with Status, sets the Retry-After header: whole seconds
	// when d is whole seconds, else a decimal (a convenience for fast tests).
	RetryAfter time.Duration
	// Cut writes about half of the real response, then closes the
	// connection.
	Cut bool
	// Latency delays the request before anything else happens.
	Latency time.Duration
}

// faults is the injection state: a queue consumed by the next requests,
// then an optional function consulted for every request.
type faults struct {
	mu    sync.Mutex
	queue []Fault
	fn    func(n int64, r *http.Request) Fault
}

func (f *faults) next(n int64, r *http.Request) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) > 0 {
		fault := f.queue[0]
		f.queue = f.queue[1:]
		return fault
	}
	if f.fn != nil {
		return f.fn(n, r)
	}
	return Fault{}
}

// InjectFaults queues faults for the next API requests, one each, in order.
func (s *Server) InjectFaults(fs ...Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.queue = append(s.faults.queue, fs...)
}

// FailNext makes the next n API requests fail with status, with a
// Retry-After header when retryAfter > 0.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	for range n {
		s.InjectFaults(Fault{Status: status, RetryAfter: retryAfter})
	}
}

// CutNext makes the next n API requests lose their connection mid-response.
func (s *Server) CutNext(n int) {
	for range n {
		s.InjectFaults(Fault{Cut: true})
	}
}

// SetFaultFunc installs fn, consulted for every API request once the queue
// of InjectFaults is empty; n counts API requests from 1. nil removes it.
// fn runs under a lock: keep it quick.
func (s *Server) SetFaultFunc(fn func(n int64, r *http.Request) Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fn = fn
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		secs := strconv.FormatFloat(f.RetryAfter.Seconds(), 'f', -1, 64)
		w.Header().Set("Retry-After", secs)
	}
	if f.Status == http.StatusTooManyRequests {
		writeErrorCode(w, f.Status, "invalid_request_error", "rate_limit", "",
			"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.")
		return
	}
	writeError(w, f.Status, "api_error", "", "An unknown error occurred. (injected by stripetest)")
}

// cutWriter sends the header and the first half of the body, announcing the
// full length, then closes the connection, so the client sees the response
// end early.
type cutWriter struct {
	http.ResponseWriter
	status int
	done   bool
}

func (c *cutWriter) WriteHeader(status int) { c.status = status }

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.done {
		return 0, http.ErrHijacked
	}
	c.done = true
	c.Header().Set("Content-Length", strconv.Itoa(len(p)))
	c.ResponseWriter.WriteHeader(max(c.status, http.StatusOK))
	n, err := c.ResponseWriter.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	rc := http.NewResponseController(c.ResponseWriter)
	if err := rc.Flush(); err != nil {
		return n, err
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		return n, err
	}
	conn.Close()
	return n, http.ErrHijacked
}
