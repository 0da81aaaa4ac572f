package stripetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Sign returns a Stripe-Signature header value for payload signed with
// secret at t: "t=<unix>,v1=<hex hmac-sha256 of "t.payload">". Like every
// sign function here it takes the payload, the secret, then the time.
func Sign(payload []byte, secret string, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(payload)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Sender POSTs signed webhooks to a receiver as Stripe does.
type Sender struct {
	URL    string       // the receiver, e.g. http://127.0.0.1:8080/webhooks/stripe
	Secret string       // the endpoint's signing secret
	Client *http.Client // nil means http.DefaultClient
	Now    func() time.Time
}

// NewSender returns a Sender posting to url, signing with secret.
func NewSender(url, secret string) *Sender {
	return &Sender{URL: url, Secret: secret}
}

// Send posts ev signed with the sender's secret and returns the status the
// receiver answered. A forged event (AddUnlistedEvent) sent this way is
// what a leaked secret looks like.
func (sd *Sender) Send(ctx context.Context, ev *Event) (int, error) {
	return sd.SendSigned(ctx, ev.JSON(), sd.Secret)
}

// SendSigned posts payload signed with secret; a secret other than the
// endpoint's makes a forgery the receiver must reject.
func (sd *Sender) SendSigned(ctx context.Context, payload []byte, secret string) (int, error) {
	return sd.Post(ctx, payload, Sign(payload, secret, sd.now()))
}

// Post sends payload with the given Stripe-Signature header value (""
// sends none) and returns the status answered.
func (sd *Sender) Post(ctx context.Context, payload []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sd.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("send webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	client := sd.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

func (sd *Sender) now() time.Time {
	if sd.Now != nil {
		return sd.Now()
	}
	return time.Now()
}

// Plan says how Deliver mistreats a batch of events, deterministically
// for a given Seed.
type Plan struct {
	Drop        float64 // share of events never sent
	Duplicate   float64 // share of sent events sent twice
	Reorder     bool    // shuffle the sending order
	Seed        uint64
	Concurrency int // parallel requests; 0 means 1
}

// Delivery is what Deliver did.
type Delivery struct {
	Sent       []string    // ids sent at least once, in plan order
	Dropped    []string    // ids never sent
	Duplicated []string    // ids sent twice
	Status     map[int]int // how often each status was answered
}

// Deliver sends events according to plan. It returns after every request
// was answered, with the first transport error if any.
func (sd *Sender) Deliver(ctx context.Context, events []*Event, plan Plan) (Delivery, error) {
	rng := rand.New(rand.NewPCG(plan.Seed, plan.Seed^0x5eed))
	var d Delivery
	var queue []*Event
	for _, ev := range events {
		if rng.Float64() < plan.Drop {
			d.Dropped = append(d.Dropped, ev.ID)
			continue
		}
		d.Sent = append(d.Sent, ev.ID)
		queue = append(queue, ev)
		if rng.Float64() < plan.Duplicate {
			d.Duplicated = append(d.Duplicated, ev.ID)
			queue = append(queue, ev)
		}
	}
	if plan.Reorder {
		rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	}
	status, err := sd.sendAll(ctx, queue, max(plan.Concurrency, 1))
	d.Status = status
	return d, err
}

func (sd *Sender) sendAll(ctx context.Context, queue []*Event, workers int) (map[int]int, error) {
	var (
		mu       sync.Mutex
		status   = map[int]int{}
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan *Event)
	)
	for range workers {
		wg.Go(func() {
			for ev := range next {
				code, err := sd.Send(ctx, ev)
				mu.Lock()
				status[code]++
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, ev := range queue {
		next <- ev
	}
	close(next)
	wg.Wait()
	return status, firstErr
}
