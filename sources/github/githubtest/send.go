package githubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// Plan describes a batch of events a hook sends.
type Plan struct {
	Count int       // events to create
	Start time.Time // delivered_at of the first; default now minus Count*Step
	Step  time.Duration
	// Types are the event types to cycle through (each must be one of
	// Types()); default all of them.
	Types []string
	// DropRate is the fraction of events recorded as failed deliveries
	// (status_code 502, as a proxy in front of a target that is down
	// answers) and never sent.
	DropRate float64
	// Unreachable records the dropped deliveries as failed connections
	// (status_code 0, as when nothing answers at the target) instead.
	Unreachable bool
	// DuplicateRate is the fraction sent twice; the second send is recorded
	// as a redelivery attempt of the same GUID.
	DuplicateRate float64
	// Reorder sends the events in a shuffled order; delivered_at still
	// follows the plan.
	Reorder bool
	// Forged is the number of extra events signed with the hook's secret
	// but never recorded: the provider does not know them.
	Forged int
}

// PlanOutcome is what became of each event of a Plan, by GUID: which
// were delivered, dropped, duplicated or forged, and how many sends the
// target refused.
type PlanOutcome struct {
	Delivered  []string // recorded and sent (including the duplicated ones)
	Dropped    []string // recorded as failed, never sent
	Duplicated []string // sent twice
	Forged     []string // sent, never recorded
	Rejected   int      // sends the target did not answer 2xx
}

// Types returns the event types the fake can generate payloads for.
func (s *Server) Types() []string {
	out := make([]string, 0, len(s.builtin))
	for _, t := range s.builtin {
		out = append(out, t.event)
	}
	return out
}

// Record records the plan's deliveries as sent and answered 200 without
// sending anything (drops become failed deliveries): a listing to
// reconcile against, cheap enough for hundreds of thousands of events.
func (s *Server) Record(h *Hook, p Plan) (PlanOutcome, error) {
	jobs, res, err := s.plan(h, p)
	if err != nil {
		return PlanOutcome{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range jobs {
		if !j.forged {
			s.insert(h, j.d)
		}
	}
	return res, nil
}

// Send records the plan's deliveries and sends them to h.URL, signed with
// h.Secret, one at a time, as the plan says.
func (s *Server) Send(ctx context.Context, h *Hook, p Plan) (PlanOutcome, error) {
	jobs, res, err := s.plan(h, p)
	if err != nil {
		return PlanOutcome{}, err
	}
	for _, j := range jobs {
		// A dropped delivery keeps the failed status its plan recorded.
		if !j.drop {
			j.d.status = int16(s.post(ctx, h, j.d))
			if j.d.status < 200 || j.d.status > 299 {
				res.Rejected++
			}
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if !j.forged {
			s.mu.Lock()
			s.insert(h, j.d)
			s.mu.Unlock()
		}
	}
	return res, nil
}

// DeliverPayload sends one webhook of type event with this exact payload
// to h and records it; it returns the delivery.
func (s *Server) DeliverPayload(ctx context.Context, h *Hook, event string, payload []byte) (Delivery, error) {
	s.mu.Lock()
	s.templates = append(s.templates, template{event: event, action: actionOf(payload), payload: payload})
	d := delivery{tmpl: uint32(len(s.templates) - 1), guid: s.newGUID(), at: s.now().UnixNano()}
	s.mu.Unlock()
	d.status = int16(s.post(ctx, h, d))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.export(s.insert(h, d)), nil
}

// post sends d to h.URL and returns the status answered, 0 when the target
// could not be reached.
func (s *Server) post(ctx context.Context, h *Hook, d delivery) int {
	s.mu.RLock()
	t := s.templates[d.tmpl]
	body := s.body(h, t)
	headers := s.webhookHeaders(h, d, body)
	s.mu.RUnlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	for k, v := range headers {
		req.Header[k] = []string{v} // GitHub's spelling, as sent
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// handleRedeliver answers POST …/deliveries/{id}/attempts: it sends the
// delivery's webhook again (same GUID), records the attempt as a
// redelivery, then answers 202 Accepted. The send happens before the
// answer, so a test sees the webhook once the call returns.
func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h, d, ok := s.findDelivery(r)
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	d.redelivery = true
	d.at = max(s.now().UnixNano(), d.at+1)
	d.status = int16(s.post(r.Context(), h, d))
	s.mu.Lock()
	s.insert(h, d)
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

// job is one planned send.
type job struct {
	d      delivery
	drop   bool
	forged bool
}

// plan builds the sends of p, in sending order, and their PlanOutcome.
func (s *Server) plan(h *Hook, p Plan) ([]job, PlanOutcome, error) {
	tmpls, err := s.pick(p.Types)
	if err != nil {
		return nil, PlanOutcome{}, err
	}
	if p.Step <= 0 {
		p.Step = time.Second
	}
	if p.Start.IsZero() {
		p.Start = s.now().Add(-time.Duration(p.Count) * p.Step)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var jobs []job
	var res PlanOutcome
	for i := range p.Count {
		d := delivery{tmpl: tmpls[i%len(tmpls)], guid: s.newGUID(), at: p.Start.Add(time.Duration(i) * p.Step).UnixNano(), status: 200}
		guid := d.guidString()
		r := s.rng.Float64()
		if r < p.DropRate {
			d.status = http.StatusBadGateway
			if p.Unreachable {
				d.status = 0
			}
			jobs = append(jobs, job{d: d, drop: true})
			res.Dropped = append(res.Dropped, guid)
			continue
		}
		jobs = append(jobs, job{d: d})
		res.Delivered = append(res.Delivered, guid)
		if r < p.DropRate+p.DuplicateRate {
			dup := d
			dup.redelivery = true
			dup.at += int64(p.Step / 2)
			jobs = append(jobs, job{d: dup})
			res.Duplicated = append(res.Duplicated, guid)
		}
	}
	for i := range p.Forged {
		d := delivery{tmpl: tmpls[i%len(tmpls)], guid: s.newGUID(), at: s.now().UnixNano()}
		jobs = append(jobs, job{d: d, forged: true})
		res.Forged = append(res.Forged, d.guidString())
	}
	if p.Reorder {
		s.rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	}
	return jobs, res, nil
}

// pick returns the template indexes of types, all when types is empty.
func (s *Server) pick(types []string) ([]uint32, error) {
	var out []uint32
	for i, t := range s.builtin {
		if len(types) == 0 || slices.Contains(types, t.event) {
			out = append(out, uint32(i))
		}
	}
	if len(out) == 0 || (len(types) > 0 && len(out) != len(types)) {
		return nil, fmt.Errorf("githubtest: unknown event types in %v (have %v)", types, s.Types())
	}
	return out, nil
}

// actionOf reads the top-level action of a JSON payload, "" when none.
func actionOf(payload []byte) string {
	var v struct {
		Action string `json:"action"`
	}
	json.Unmarshal(payload, &v)
	return v.Action
}
