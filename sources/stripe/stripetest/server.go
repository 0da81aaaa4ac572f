// Package stripetest is a fake of the Stripe API for tests and the demo,
// in the style of net/http/httptest. It speaks Stripe's wire format closely
// enough that stripe-go talks to it unchanged: GET /v1/events (list objects
// with has_more, starting_after/ending_before, created[gte|gt|lt|lte],
// type and types[]), GET /v1/events/{id}, GET /v1/webhook_endpoints/{id},
// Stripe error objects, Bearer authentication. Its Sender POSTs signed
// webhooks to a receiver, with knobs to drop, duplicate, reorder and forge
// them, and fault injection (429 with Retry-After, 500, latency, cut
// connections) exercises clients' retries. Events are rendered on demand
// from a few bytes each, so the fake can hold hundreds of thousands.
package stripetest

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookledger/hookledger/sources/fault"
)

// DefaultAPIKey is the secret key the fake accepts unless WithAPIKey is given.
const DefaultAPIKey = "sk_test_stripetest"

// Server is a running fake Stripe API on a loopback address. Its embedded
// fault.Injector injects faults (InjectFaults, FailNext, CutNext,
// SetFaultFunc) and counts API requests (Requests), as every hookledger
// fake does.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:41234, for STRIPE_API_BASE
	fault.Injector

	ts      *httptest.Server
	apiKey  string
	account string
	prefix  string
	latency atomic.Int64 // per list page, nanoseconds

	mu        sync.RWMutex
	records   []record
	order     []int32 // listed events, oldest first once sorted
	sorted    bool
	types     []string
	accounts  []string
	endpoints map[string]*Endpoint
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey makes the fake accept only key (default DefaultAPIKey).
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithAccount stamps events added afterwards with a connected account id,
// as Stripe does for Connect events.
func WithAccount(acct string) Option { return func(s *Server) { s.account = acct } }

// WithSeed makes the server's event ids the same on every run with the
// same seed (they are random otherwise).
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.prefix = newPrefix(rand.New(rand.NewPCG(seed, seed^0x1d5))) }
}

// WithLatency delays every page of GET /v1/events by d.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency.Store(int64(d)) } }

// NewServer starts a fake on 127.0.0.1. The caller must Close it.
func NewServer(opts ...Option) *Server {
	s := &Server{
		apiKey:    DefaultAPIKey,
		prefix:    newPrefix(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))),
		sorted:    true,
		types:     []string{},
		accounts:  []string{""},
		endpoints: map[string]*Endpoint{},
	}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/events", s.api(s.listEvents))
	mux.HandleFunc("GET /v1/events/{id}", s.api(s.getEvent))
	mux.HandleFunc("GET /v1/webhook_endpoints/{id}", s.api(s.getEndpoint))
	mux.HandleFunc("/", s.api(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").")
	}))
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL
	return s
}

// Close shuts the fake down, cutting open connections.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Client returns an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// APIKey returns the secret key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// SetLatency changes the delay added to every page of GET /v1/events.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// api wraps a handler with request counting, fault injection and
// authentication, in that order, as a real API would count and throttle
// before authenticating.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, f := fault.Next(&s.Injector, r)
		w.Header().Set("Request-Id", "req_"+objectID("r", uint64(n))[3:17])
		w.Header().Set("Stripe-Version", APIVersion)
		if !fault.Wait(r, f.Latency) {
			return
		}
		if f.Status != 0 {
			writeFault(w, f)
			return
		}
		if !s.authorized(w, r) {
			return
		}
		if f.Cut {
			fault.Cut(w, r, h)
			return
		}
		h(w, r)
	}
}

// sortLocked puts order oldest first; s.mu must be held for writing.
func (s *Server) sortLocked() {
	if !s.sorted {
		sort.Slice(s.order, func(i, j int) bool { return s.less(s.order[i], s.order[j]) })
		s.sorted = true
	}
}
