package paddletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/sources/paddle"
)

// Plan says how Send treats the notifications it is given.
type Plan struct {
	Drop      float64 // share never delivered (Paddle marks them failed)
	Duplicate float64 // share delivered twice
	Forged    int     // events Paddle never sent, signed with the destination's key and delivered
	Seed      uint64  // picks which are dropped and duplicated
}

// Result is what Send did, by event id.
type Result struct {
	Delivered  []string // answered 2xx (duplicates counted once)
	Dropped    []string // never delivered
	Duplicated []string // delivered twice
	Forged     []string // unknown to the API, delivered
	Rejected   int      // deliveries answered other than 2xx
}

// Send delivers ns, as Paddle would, to their destination st: each signed
// with st's secret key at the moment it is sent, in the order given.
func (s *Server) Send(ctx context.Context, st *Setting, ns []*Notification, plan Plan) (Result, error) {
	rng := rand.New(rand.NewPCG(plan.Seed, plan.Seed^0x5e4d))
	var res Result
	for _, n := range ns {
		if rng.Float64() < plan.Drop {
			s.settle(n, "failed", false)
			res.Dropped = append(res.Dropped, n.EventID)
			continue
		}
		times := 1
		if rng.Float64() < plan.Duplicate {
			times = 2
			res.Duplicated = append(res.Duplicated, n.EventID)
		}
		for range times {
			ok, err := s.deliver(ctx, st, n)
			if err != nil {
				return res, err
			}
			if !ok {
				res.Rejected++
			}
		}
		res.Delivered = append(res.Delivered, n.EventID)
	}
	for i := range plan.Forged {
		n := s.AddUnlistedEvent(st, "transaction.completed", time.Now().Add(-time.Duration(i+1)*time.Minute))
		ok, err := s.deliver(ctx, st, n)
		if err != nil {
			return res, err
		}
		if !ok {
			res.Rejected++
		}
		res.Forged = append(res.Forged, n.EventID)
	}
	return res, nil
}

// deliver POSTs n to st's destination once and records the outcome; it
// reports whether the answer was 2xx.
func (s *Server) deliver(ctx context.Context, st *Setting, n *Notification) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.Destination, bytes.NewReader(n.Body))
	if err != nil {
		return false, fmt.Errorf("paddletest: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Paddle")
	req.Header.Set(paddle.SignatureHeader, paddle.Sign(n.Body, time.Now(), st.SecretKey))
	resp, err := s.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("paddletest: deliver %s: %w", n.ID, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ok := resp.StatusCode/100 == 2
	status := "needs_retry"
	if ok {
		status = "delivered"
	}
	s.settle(n, status, ok)
	return ok, nil
}

// settle records one delivery outcome of n.
func (s *Server) settle(n *Notification, status string, delivered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n.Status = status
	n.Attempts++
	if delivered {
		n.Delivered = time.Now().UTC()
	}
}

// replayNotification is POST /notifications/{id}/replay: a new
// notification of the same event, origin replay, sent in the background.
func (s *Server) replayNotification(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n, ok := s.byID[r.PathValue("id")]
	var replay *Notification
	var st *Setting
	switch {
	case !ok:
	case n.Origin != "event":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "notification_replay_invalid_origin_type", "Only notifications with the origin `event` can be replayed.")
		return
	case n.Status != "delivered" && n.Status != "failed":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "notification_cannot_replay", "Notification cannot be replayed: it is still being delivered.")
		return
	default:
		replay = &Notification{ID: s.newID("ntf"), EventID: n.EventID, Type: n.Type, Setting: n.Setting,
			Origin: "replay", Occurred: n.Occurred, Status: "not_attempted"}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		json.Unmarshal(n.Body, &env)
		replay.Body = payload(replay, env.Data)
		s.insert(replay)
		st = s.settings[n.Setting]
		s.sends.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "entity_not_found", "Entity "+r.PathValue("id")+" not found")
		return
	}
	go func() {
		defer s.sends.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.deliver(ctx, st, replay) // a failure leaves the replay needs_retry, as Paddle would
	}()
	writeData(w, http.StatusAccepted, map[string]string{"notification_id": replay.ID}, nil)
}
