// Package rxtest serves a real receiver over real HTTP on a real ledger
// file, for the provider packages' end-to-end tests.
package rxtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/sources"
)

// Harness is a receiver serving some sources, its ledger and what its
// observer saw.
type Harness struct {
	DB  ledgertest.Backend
	URL string

	mu     sync.Mutex
	counts map[string]int // "received", "duplicate", "handshake", "rejected:REASON"
}

// New serves srcs on a fresh ledger in t.TempDir until the test ends.
func New(t testing.TB, srcs ...sources.Source) *Harness {
	t.Helper()
	db := ledgertest.OpenSQLite(t)
	h := &Harness{DB: db, counts: map[string]int{}}
	srv := httptest.NewServer(sources.NewReceiver(db, srcs, sources.ReceiverOptions{
		Logger: slog.New(slog.DiscardHandler), Observer: h}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Post sends body with header to path and returns the status and answer.
func (h *Harness) Post(t testing.TB, path string, header http.Header, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// Count returns how often the observer saw what ("received",
// "duplicate", "handshake", "rejected:signature", …).
func (h *Harness) Count(what string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[what]
}

// Events returns every event of source in the ledger.
func (h *Harness) Events(t testing.TB, source string) []*ledger.Event {
	t.Helper()
	var out []*ledger.Event
	for ev, err := range h.DB.Events(context.Background(), ledger.EventFilter{Source: source}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func (h *Harness) add(what string) {
	h.mu.Lock()
	h.counts[what]++
	h.mu.Unlock()
}

// Received implements sources.Observer: it counts "received", and
// "duplicate" too for an event the ledger already had.
func (h *Harness) Received(_ string, duplicate bool) {
	h.add("received")
	if duplicate {
		h.add("duplicate")
	}
}

// Rejected implements sources.Observer.
func (h *Harness) Rejected(_, reason string) { h.add("rejected:" + reason) }

// Handshake implements sources.HandshakeObserver.
func (h *Harness) Handshake(string) { h.add("handshake") }
