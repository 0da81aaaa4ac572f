package githubtest

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Fault is a way an API request can fail.
type Fault int

// The faults Inject and SetFaults accept.
const (
	FaultNone      Fault = iota // answered normally
	FaultRateLimit              // 429 Too Many Requests with Retry-After
	FaultSecondary              // 403 secondary rate limit with Retry-After
	FaultPrimary                // 403 with x-ratelimit-remaining 0 and x-ratelimit-reset
	FaultServer                 // 500 Internal Server Error
	FaultCut                    // the connection closes halfway through the body
)

// FaultFunc decides the fault for the n-th API request (from 1).
type FaultFunc func(n int64, r *http.Request) Fault

type faultState struct {
	requests   int64
	queue      []Fault
	fn         FaultFunc
	retryAfter int
}

// Inject makes the next API requests fail with faults, one each, in order.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queue = append(s.faults.queue, faults...)
}

// SetFaults makes fn decide a fault for every API request after the
// injected ones; nil removes it.
func (s *Server) SetFaults(fn FaultFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.fn = fn
}

// Requests returns how many API requests the server has received.
func (s *Server) Requests() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults.requests
}

// nextFault counts the request and picks its fault.
func (s *Server) nextFault(r *http.Request) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.requests++
	if len(s.faults.queue) > 0 {
		f := s.faults.queue[0]
		s.faults.queue = s.faults.queue[1:]
		return f
	}
	if s.faults.fn != nil {
		return s.faults.fn(s.faults.requests, r)
	}
	return FaultNone
}

// serveFault answers r with fault f; a cut runs the real handler and
// drops the connection halfway through its body.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault, next http.Handler) {
	retryAfter := strconv.Itoa(s.faults.retryAfter)
	switch f {
	case FaultRateLimit:
		w.Header().Set("Retry-After", retryAfter)
		writeError(w, http.StatusTooManyRequests, "Too Many Requests")
	case FaultSecondary:
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	case FaultPrimary:
		reset := s.now().Add(time.Duration(s.faults.retryAfter) * time.Second).Unix()
		w.Header().Set("X-Ratelimit-Limit", "5000")
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
		writeError(w, http.StatusForbidden, "API rate limit exceeded")
	case FaultServer:
		writeError(w, http.StatusInternalServerError, "Server Error")
	case FaultCut:
		cut(w, r, next)
	}
}

// cut records the real answer, then sends its headers and half its body
// and closes the connection.
func cut(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeHead(buf, rec.Code, rec.Header(), len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func writeHead(buf *bufio.ReadWriter, code int, h http.Header, n int) {
	buf.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	h.Set("Content-Length", strconv.Itoa(n))
	h.Write(buf)
	buf.WriteString("\r\n")
}
