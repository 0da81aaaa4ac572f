package stripetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// record is one stored event, kept small so the fake can hold hundreds of
// thousands: the JSON is rendered from the sequence number on demand.
type record struct {
	created  int64
	seq      int32
	typ      uint16 // index into store.types
	account  uint16 // index into store.accounts; 0 is none
	unlisted bool   // never listed nor retrievable: a forged event
	object   []byte // data.object given to AddEvent, nil to render one
}

// Event is a handle on an event held by the fake.
type Event struct {
	ID      string
	Type    string
	Created time.Time
	Account string // "" for the platform's own events

	srv *Server
	seq int32
}

// JSON renders the event exactly as the fake serves and sends it.
func (e *Event) JSON() []byte {
	return e.srv.render(nil, e.seq)
}

// newPrefix returns the per-server part of event ids ("1" and 13
// characters from rng), so ids of different fakes never collide.
func newPrefix(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteByte('1')
	for range 13 {
		b.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// eventID returns the id of the event with sequence number seq.
func (s *Server) eventID(seq int32) string {
	return fmt.Sprintf("evt_%s%010d", s.prefix, seq)
}

// seqOf parses an event id of this server; false for any other id.
func (s *Server) seqOf(id string) (int32, bool) {
	rest, ok := strings.CutPrefix(id, "evt_"+s.prefix)
	if !ok || len(rest) != 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || int(n) >= len(s.records) {
		return 0, false
	}
	return int32(n), true
}

// AddEvent stores an event of type typ created at created, listed from
// then on. obj, when not nil, is marshalled as its data.object; when nil a
// realistic object of about 2 KB is rendered for invoice.*,
// customer.subscription.*, payment_intent.*, charge.* and customer.*
// types, and a small one otherwise.
func (s *Server) AddEvent(typ string, created time.Time, obj any) *Event {
	return s.add(typ, created, obj, false)
}

// AddUnlistedEvent makes an event the fake never lists nor returns from
// GET /v1/events/{id}: what a forger holding the signing secret would send.
func (s *Server) AddUnlistedEvent(typ string, created time.Time, obj any) *Event {
	return s.add(typ, created, obj, true)
}

// Generate adds n events with creation times spread evenly over
// [since, until), cycling through types (invoice.paid when none given).
// It is the cheap way to fill the fake for load tests.
func (s *Server) Generate(n int, since, until time.Time, types ...string) {
	if len(types) == 0 {
		types = []string{"invoice.paid"}
	}
	step := until.Sub(since) / time.Duration(max(n, 1))
	for i := range n {
		s.add(types[i%len(types)], since.Add(time.Duration(i)*step), nil, false)
	}
}

func (s *Server) add(typ string, created time.Time, obj any, unlisted bool) *Event {
	var raw []byte
	if obj != nil {
		var err error
		if raw, err = json.MarshalIndent(obj, "    ", "  "); err != nil {
			panic(fmt.Sprintf("stripetest: marshal event object: %v", err))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := record{
		created:  created.Unix(),
		seq:      int32(len(s.records)),
		typ:      s.intern(&s.types, typ),
		account:  s.intern(&s.accounts, s.account),
		unlisted: unlisted,
		object:   raw,
	}
	s.records = append(s.records, r)
	if !unlisted {
		if n := len(s.order); n > 0 && s.less(r.seq, s.order[n-1]) {
			s.sorted = false
		}
		s.order = append(s.order, r.seq)
	}
	return s.handle(r.seq)
}

// intern returns the index of v in *table, adding it when new.
func (s *Server) intern(table *[]string, v string) uint16 {
	if i := slices.Index(*table, v); i >= 0 {
		return uint16(i)
	}
	*table = append(*table, v)
	return uint16(len(*table) - 1)
}

// less orders events oldest first: by created, then by sequence.
func (s *Server) less(a, b int32) bool {
	ra, rb := &s.records[a], &s.records[b]
	if ra.created != rb.created {
		return ra.created < rb.created
	}
	return a < b
}

// handle returns the Event for seq; s.mu must be held.
func (s *Server) handle(seq int32) *Event {
	r := &s.records[seq]
	return &Event{
		ID:      s.eventID(seq),
		Type:    s.types[r.typ],
		Created: time.Unix(r.created, 0).UTC(),
		Account: s.accounts[r.account],
		srv:     s,
		seq:     seq,
	}
}

// Event returns the stored event with the given id, listed or not, or nil.
func (s *Server) Event(id string) *Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seq, ok := s.seqOf(id)
	if !ok {
		return nil
	}
	return s.handle(seq)
}

// Len returns how many listed events the fake holds.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}

// render appends the JSON of event seq to buf.
func (s *Server) render(buf []byte, seq int32) []byte {
	s.mu.RLock()
	r := s.records[seq]
	typ, account := s.types[r.typ], s.accounts[r.account]
	s.mu.RUnlock()
	return appendEvent(buf, &r, s.eventID(seq), typ, account)
}
