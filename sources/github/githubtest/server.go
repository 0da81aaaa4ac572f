// Package githubtest is a fake GitHub REST API for tests and the demo, in
// the style of net/http/httptest. It speaks the wire format of the hook
// deliveries API closely enough that go-github talks to it unchanged:
// repository and organization hooks, their deliveries listed newest first
// with cursor paging in the Link header, one delivery with its request
// headers and payload, and redelivery that really sends a signed webhook
// again. A Sender-style Send method delivers generated events to a hook's
// URL with drops, duplicates, reordering and forgeries; faults (429, 403
// secondary rate limits, 500s, latency, connections cut mid-page) can be
// injected. Deliveries are stored compactly and rendered on demand, so a
// server holds 200,000 of them in a few tens of megabytes.
package githubtest

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookledger/hookledger/sources/fault"
)

// Server is a fake GitHub API. Close it when done. Its embedded
// fault.Injector injects faults (InjectFaults, FailNext, CutNext,
// SetFaultFunc) and counts API requests (Requests), as every hookledger
// fake does.
type Server struct {
	// URL is the API root, ending in "/": a go-github BaseURL.
	URL string
	fault.Injector

	srv     *httptest.Server
	token   string
	latency time.Duration
	// retryAfter is the wait rate-limit faults ask for when they set none.
	retryAfter time.Duration
	now        func() time.Time
	client     *http.Client
	builtin    []template // the embedded examples, immutable

	mu        sync.RWMutex
	templates []template       // builtin, then DeliverPayload's payloads
	hooks     map[string]*Hook // by Hook.key
	nextID    int64
	rng       *rand.Rand
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the server accept only this token (default: any
// "Bearer …" or "token …" Authorization header).
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithLatency delays every API response by d.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithClock sets the clock that stamps sends and redeliveries.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithSeed makes generated GUIDs and drop/duplicate choices reproducible.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// WithRetryAfter sets the wait, in seconds, that injected rate-limit
// faults (429, 403, Exhausted) ask for when they set no RetryAfter
// (default 1).
func WithRetryAfter(secs int) Option {
	return func(s *Server) { s.retryAfter = time.Duration(secs) * time.Second }
}

// NewServer starts a fake GitHub API on 127.0.0.1.
func NewServer(opts ...Option) *Server {
	templates, err := loadTemplates()
	if err != nil {
		panic("githubtest: " + err.Error()) // the embedded examples are broken
	}
	s := &Server{
		now:        time.Now,
		client:     &http.Client{Timeout: 10 * time.Second},
		builtin:    templates,
		templates:  slices.Clone(templates),
		hooks:      make(map[string]*Hook),
		nextID:     90_000_000_000,
		rng:        rand.New(rand.NewPCG(1, 2)),
		retryAfter: defaultRetryAfter,
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL + "/"
	return s
}

// Close shuts the server down, blocking until its requests are done.
func (s *Server) Close() { s.srv.Close() }

// routes maps the API paths this fake serves.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"/repos/{owner}/{repo}", "/orgs/{org}"} {
		mux.HandleFunc("GET "+prefix+"/hooks/{id}", s.handleHook)
		mux.HandleFunc("GET "+prefix+"/hooks/{id}/deliveries", s.handleList)
		mux.HandleFunc("GET "+prefix+"/hooks/{id}/deliveries/{delivery}", s.handleDelivery)
		mux.HandleFunc("POST "+prefix+"/hooks/{id}/deliveries/{delivery}/attempts", s.handleRedeliver)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	return s.middleware(mux)
}

// middleware checks the token, then applies latency and injected faults.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r.Header.Get("Authorization")) {
			writeError(w, http.StatusUnauthorized, "Requires authentication")
			return
		}
		_, f := fault.Next(&s.Injector, r)
		if !fault.Wait(r, s.latency+f.Latency) {
			return
		}
		switch {
		case f.Status != 0:
			s.serveFault(w, f)
			return
		case f.Cut:
			fault.Cut(w, r, next)
			return
		}
		w.Header().Set("X-Ratelimit-Limit", "5000")
		w.Header().Set("X-Ratelimit-Remaining", "4999")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(auth string) bool {
	for _, scheme := range []string{"Bearer ", "token "} {
		if tok, ok := strings.CutPrefix(auth, scheme); ok && tok != "" {
			return s.token == "" || tok == s.token
		}
	}
	return false
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers a GitHub-style error document.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
	})
}
