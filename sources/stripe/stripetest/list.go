package stripetest

import (
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/sources/fault"
)

// listQuery is a parsed GET /v1/events request. Created bounds are
// normalised to [gte, lt).
type listQuery struct {
	limit                       int
	gte, lt                     int64
	types                       []string // exact names from types[]
	pattern                     string   // type, possibly with * wildcards
	startingAfter, endingBefore string
}

// queryError is a 400 naming the offending parameter.
type queryError struct{ param, msg string }

func parseListQuery(v url.Values) (listQuery, *queryError) {
	q := listQuery{limit: 10, gte: math.MinInt64, lt: math.MaxInt64}
	for key, vals := range v {
		val := vals[len(vals)-1]
		var err *queryError
		switch {
		case key == "limit":
			n, perr := strconv.Atoi(val)
			if perr != nil || n < 1 || n > 100 {
				err = &queryError{key, "Invalid limit: must be an integer between 1 and 100"}
			}
			q.limit = n
		case key == "created" || strings.HasPrefix(key, "created["):
			err = q.parseCreated(key, val)
		case key == "types":
			err = &queryError{key, "Invalid array: types must be sent as types[]"}
		case strings.HasPrefix(key, "types["):
			q.types = append(q.types, vals...)
		case key == "type":
			q.pattern = val
		case key == "starting_after":
			q.startingAfter = val
		case key == "ending_before":
			q.endingBefore = val
		case key == "delivery_success" || strings.HasPrefix(key, "expand"):
		default:
			err = &queryError{key, "Received unknown parameter: " + key}
		}
		if err != nil {
			return q, err
		}
	}
	switch {
	case len(q.types) > 20:
		return q, &queryError{"types", "Invalid array: types may hold at most 20 items"}
	case len(q.types) > 0 && q.pattern != "":
		return q, &queryError{"types", "You may pass either type or types, but not both."}
	case q.startingAfter != "" && q.endingBefore != "":
		return q, &queryError{"ending_before", "You may only specify one of these parameters: starting_after, ending_before."}
	}
	return q, nil
}

func (q *listQuery) parseCreated(key, val string) *queryError {
	n, err := strconv.ParseInt(val, 10, 64)
	if err != nil {
		return &queryError{key, "Invalid integer: " + val}
	}
	switch key {
	case "created":
		q.gte, q.lt = max(q.gte, n), min(q.lt, n+1)
	case "created[gte]":
		q.gte = max(q.gte, n)
	case "created[gt]":
		q.gte = max(q.gte, n+1)
	case "created[lt]":
		q.lt = min(q.lt, n)
	case "created[lte]":
		q.lt = min(q.lt, n+1)
	default:
		return &queryError{key, "Received unknown parameter: " + key}
	}
	return nil
}

// matches reports whether events of type typ pass the type filters.
func (q *listQuery) matches(typ string) bool {
	if len(q.types) > 0 {
		return slices.Contains(q.types, typ)
	}
	if q.pattern == "" {
		return true
	}
	ok, _ := path.Match(q.pattern, typ) // no "/" in types: * spans dots
	return ok
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q, qerr := parseListQuery(r.URL.Query())
	if qerr != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", qerr.param, qerr.msg)
		return
	}
	if !fault.Wait(r, time.Duration(s.latency.Load())) {
		return
	}
	seqs, hasMore, qerr := s.page(q)
	if qerr != nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", qerr.param, qerr.msg)
		return
	}
	buf := make([]byte, 0, len(seqs)*2800+128)
	buf = append(buf, "{\n  \"object\": \"list\",\n  \"data\": ["...)
	for i, seq := range seqs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = s.render(buf, seq)
	}
	buf = append(buf, "],\n  \"has_more\": "...)
	buf = strconv.AppendBool(buf, hasMore)
	buf = append(buf, ",\n  \"url\": \"/v1/events\"\n}"...)
	writeJSON(w, http.StatusOK, buf)
}

// page selects the events of one list page, newest first.
func (s *Server) page(q listQuery) ([]int32, bool, *queryError) {
	s.mu.Lock()
	s.sortLocked()
	s.mu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	match := make([]bool, len(s.types))
	for i, t := range s.types {
		match[i] = q.matches(t)
	}
	ok := func(seq int32) bool { return match[s.records[seq].typ] }
	lo := sort.Search(len(s.order), func(i int) bool { return s.records[s.order[i]].created >= q.gte })
	hi := sort.Search(len(s.order), func(i int) bool { return s.records[s.order[i]].created >= q.lt })
	if q.endingBefore != "" {
		pos, qerr := s.position(q.endingBefore, "ending_before")
		if qerr != nil {
			return nil, false, qerr
		}
		seqs, more := collect(s.order, max(lo, pos+1), hi, 1, q.limit, ok)
		slices.Reverse(seqs)
		return seqs, more, nil
	}
	if q.startingAfter != "" {
		pos, qerr := s.position(q.startingAfter, "starting_after")
		if qerr != nil {
			return nil, false, qerr
		}
		hi = min(hi, pos)
	}
	seqs, more := collect(s.order, hi-1, lo-1, -1, q.limit, ok)
	return seqs, more, nil
}

// collect walks order from i towards end (exclusive) by step, taking up to
// limit events that pass ok; more reports whether another one follows.
func collect(order []int32, i, end, step, limit int, ok func(int32) bool) (seqs []int32, more bool) {
	for ; i != end && (step > 0 && i < end || step < 0 && i > end); i += step {
		if !ok(order[i]) {
			continue
		}
		if len(seqs) == limit {
			return seqs, true
		}
		seqs = append(seqs, order[i])
	}
	return seqs, false
}

// position finds a listed event's index in s.order; s.mu must be held.
func (s *Server) position(id, param string) (int, *queryError) {
	seq, found := s.seqOf(id)
	if found && !s.records[seq].unlisted {
		pos := sort.Search(len(s.order), func(i int) bool { return !s.less(s.order[i], seq) })
		if pos < len(s.order) && s.order[pos] == seq {
			return pos, nil
		}
	}
	return 0, &queryError{param, "No such event: '" + id + "'"}
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.RLock()
	seq, ok := s.seqOf(id)
	ok = ok && !s.records[seq].unlisted
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "invalid_request_error", "id", "No such event: '"+id+"'")
		return
	}
	writeJSON(w, http.StatusOK, s.render(nil, seq))
}
