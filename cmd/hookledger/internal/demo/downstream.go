package demo

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// demoDownstream is the demo's stand-in for the user's app: the URL hookledger
// forwards every event to. It checks each request's Standard Webhooks
// signature, counts what it processed per event (by the Idempotency-Key
// header, which is the provider's event id), and it can go down for a
// while, when it answers each event's first request with 503 and a
// Retry-After and processes nothing of it.
type demoDownstream struct {
	srv    *httptest.Server
	key    []byte
	secret string // HOOKLEDGER_FORWARD_SECRET: whsec_ and the key in base64

	mu        sync.Mutex
	down      bool               // refusing each event's first request
	refused   int                // requests answered 503 while down
	processed map[demoKey]int    // times each event was processed
	origins   map[demoKey]string // Hookledger-Origin of the request that processed it
	requests  map[demoKey]int    // requests seen per event, refused ones too
	badSig    int                // requests whose signature did not verify
	flaky     int                // test knob: events to process, then answer 500
}

// demoKey names one provider event.
type demoKey struct{ source, id string }

// newDemoDownstream starts the downstream app on 127.0.0.1. flaky is a test
// knob: the first flaky events are processed but answered 500, so
// hookledger retries them and they are processed twice.
func newDemoDownstream(flaky int) *demoDownstream {
	d := &demoDownstream{
		processed: map[demoKey]int{},
		origins:   map[demoKey]string{},
		requests:  map[demoKey]int{},
		flaky:     flaky,
		key:       make([]byte, 24),
	}
	rand.Read(d.key)
	d.secret = "whsec_" + base64.StdEncoding.EncodeToString(d.key)
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

// URL is where hookledger forwards events.
func (d *demoDownstream) URL() string { return d.srv.URL + "/hooks" }

// Close stops the app.
func (d *demoDownstream) Close() { d.srv.Close() }

// serve handles one forwarded event: verify, count, then answer as the
// app's state (down, flaky) says.
func (d *demoDownstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	k := demoKey{r.Header.Get("Hookledger-Source"), r.Header.Get("Idempotency-Key")}
	if k.source == "" || k.id == "" {
		http.Error(w, "missing Hookledger-Source or Idempotency-Key", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.verify(r.Header, body) {
		d.badSig++
		http.Error(w, "bad webhook-signature", http.StatusUnauthorized)
		return
	}
	d.requests[k]++
	// Down, the app refuses the first request of each event and no other:
	// a retry that comes back before comeBack (the machine was slow to try
	// the rest) is served, so how many requests the outage refuses is the
	// seed's doing, not the scheduler's.
	if d.down && d.requests[k] == 1 {
		d.refused++
		w.Header().Set("Retry-After", strconv.Itoa(int(demoRetryAfter/time.Second)))
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	d.processed[k]++
	d.origins[k] = r.Header.Get("Hookledger-Origin")
	if d.flaky > 0 && d.processed[k] == 1 {
		d.flaky--
		http.Error(w, "processed, then crashed before answering", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// verify checks the Standard Webhooks signature the way an app would:
// HMAC-SHA256 over "id.timestamp.body", any of the space-separated v1
// signatures may match.
func (d *demoDownstream) verify(h http.Header, body []byte) bool {
	mac := hmac.New(sha256.New, d.key)
	mac.Write([]byte(h.Get("Webhook-Id") + "." + h.Get("Webhook-Timestamp") + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("Webhook-Signature")) {
		got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sig, "v1,"))
		if err == nil && strings.HasPrefix(sig, "v1,") && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// goDown takes the app down: until comeBack it refuses the first request
// of each event, asking to be retried after demoRetryAfter.
func (d *demoDownstream) goDown() { d.setDown(true) }

// comeBack ends the outage.
func (d *demoDownstream) comeBack() { d.setDown(false) }

func (d *demoDownstream) setDown(down bool) {
	d.mu.Lock()
	d.down = down
	d.mu.Unlock()
}

// demoRecord is a copy of what the app saw, for the closing check.
type demoRecord struct {
	Processed map[demoKey]int
	Origins   map[demoKey]string
	Requests  map[demoKey]int
	Refused   int
	BadSig    int
}

// record returns a copy of what the app saw so far.
func (d *demoDownstream) record() demoRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec := demoRecord{Processed: map[demoKey]int{}, Origins: map[demoKey]string{},
		Requests: map[demoKey]int{}, Refused: d.refused, BadSig: d.badSig}
	for k, n := range d.processed {
		rec.Processed[k] = n
	}
	for k, o := range d.origins {
		rec.Origins[k] = o
	}
	for k, n := range d.requests {
		rec.Requests[k] = n
	}
	return rec
}
