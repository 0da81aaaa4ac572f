// Package paddletest is a fake of the Paddle Billing API for tests and the
// demo, in the style of net/http/httptest. It speaks Paddle's wire format
// closely enough that the official Go SDK talks to it unchanged:
// GET /notifications (filters notification_setting_id, status, from, to;
// order_by id[ASC|DESC]; per_page up to 200; cursor paging with after and
// meta.pagination.next/has_more/estimated_total), GET /notifications/{id},
// POST /notifications/{id}/replay (which sends the event again, as a new
// notification, to the destination), Paddle error objects, Bearer
// authentication, and 429 with Retry-After on demand. Send delivers the
// notifications of a destination as signed webhooks, dropping, duplicating
// and forging some.
//
// Paddle's ids sort by creation time, so its id order is time order. The
// fake's ids are drawn from a seed (the same on every run, whatever the
// clock), and its id[ASC|DESC] order is by event time, then id, to match.
package paddletest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the API key the fake accepts.
const DefaultAPIKey = "pdl_sdbx_apikey_paddletest"

// Server is a running fake Paddle API on a loopback address.
type Server struct {
	URL string // base URL, for PADDLE_API_URL

	ts     *httptest.Server
	apiKey string
	reqs   atomic.Int64
	client *http.Client // sends webhooks

	mu      sync.Mutex
	rng     *rand.Rand
	created int64 // ids made so far

	settings      map[string]*Setting
	notifications []*Notification // in the order of their events' times, then ids
	byID          map[string]*Notification
	fails         []fault
	sends         sync.WaitGroup // replays in flight
}

// fault is one queued API failure.
type fault struct {
	status     int
	retryAfter time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithSeed makes ids the same on every run with the same seed.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x9add1e)) }
}

// NewServer starts a fake on 127.0.0.1. The caller must Close it.
func NewServer(opts ...Option) *Server {
	s := &Server{apiKey: DefaultAPIKey, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		settings: map[string]*Setting{}, byID: map[string]*Notification{},
		client: &http.Client{Timeout: 10 * time.Second}}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /notifications", s.api(s.listNotifications))
	mux.HandleFunc("GET /notifications/{id}", s.api(s.getNotification))
	mux.HandleFunc("POST /notifications/{id}/replay", s.api(s.replayNotification))
	mux.HandleFunc("GET /notification-settings/{id}", s.api(s.getSetting))
	mux.HandleFunc("/", s.api(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "Entity not found.")
	}))
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL
	return s
}

// Close waits for replays in flight, then shuts the fake down.
func (s *Server) Close() {
	s.sends.Wait()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Requests returns how many API requests the fake has received.
func (s *Server) Requests() int64 { return s.reqs.Load() }

// FailNext makes the next n API requests fail with status (429: Paddle's
// too_many_requests; 5xx: internal_error), with a Retry-After header when
// retryAfter > 0.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, fault{status, retryAfter})
	}
}

// api wraps a handler with request counting, fault injection and
// authentication.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if f, ok := s.nextFault(); ok {
			if f.retryAfter > 0 {
				w.Header().Set("Retry-After", retryAfter(f.retryAfter))
			}
			code, detail := "internal_error", "An internal error occurred."
			if f.status == http.StatusTooManyRequests {
				code, detail = "too_many_requests", "IP address exceeded the allowed rate limit. Retry after the number of seconds in the Retry-After header."
			}
			writeError(w, f.status, code, detail)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+s.apiKey {
			writeError(w, http.StatusForbidden, "forbidden", "You aren't permitted to perform this request.")
			return
		}
		h(w, r)
	}
}

func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fails) == 0 {
		return fault{}, false
	}
	f := s.fails[0]
	s.fails = s.fails[1:]
	return f, true
}

// retryAfter renders d as whole seconds, or a decimal below one second
// (a convenience for fast tests; Paddle sends whole seconds).
func retryAfter(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// writeError writes a Paddle error object.
func writeError(w http.ResponseWriter, status int, code, detail string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]string{"type": "request_error", "code": code, "detail": detail,
			"documentation_url": "https://developer.paddle.com/v1/errors/shared/" + code},
		"meta": map[string]string{"request_id": requestID()},
	})
}

// writeData writes {"data": data, "meta": meta} with a request id in meta.
func writeData(w http.ResponseWriter, status int, data any, meta map[string]any) {
	if meta == nil {
		meta = map[string]any{}
	}
	meta["request_id"] = requestID()
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": meta})
}

var requests atomic.Uint64

func requestID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", requests.Add(1))
}
