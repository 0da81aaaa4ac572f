package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hookledger/hookledger/sources/paddle/paddletest"
)

// The demo's Paddle Billing: a fake API with one notification destination
// pointing at the receiver. Paddle can list and replay what it sent, so it
// is reconciled like Stripe.
const demoPaddleSecret = "pdl_ntfset_demo_secret_key_for_the_fake"

// startPaddle starts the fake Paddle API and its destination.
func (w *demoWorld) startPaddle() {
	w.paddle = paddletest.NewServer(paddletest.WithSeed(w.opts.Seed))
	w.paddleSetting = w.paddle.AddSetting(w.receiverURL+"/webhooks/paddle", demoPaddleSecret)
}

// demoAddPaddleEvents fills the fake Paddle account with the demo's
// events at seeded times over [t0, t0+demoSpan), oldest first.
func demoAddPaddleEvents(w *demoWorld, rng *rand.Rand, t0 time.Time, tr *demoTraffic) {
	for range w.opts.size.paddle {
		at := t0.Add(time.Duration(rng.Int64N(int64(demoSpan/time.Millisecond))) * time.Millisecond)
		typ := paddletest.Types[rng.IntN(len(paddletest.Types))]
		tr.paddleEvents = append(tr.paddleEvents, w.paddle.AddEvent(w.paddleSetting, typ, at, nil))
	}
	slices.SortStableFunc(tr.paddleEvents, func(a, b *paddletest.Notification) int { return a.Occurred.Compare(b.Occurred) })
}

// sendPaddlePhase has Paddle notify the destination of phase i's share of
// its events.
func (w *demoWorld) sendPaddlePhase(ctx context.Context, tr *demoTraffic, i int) error {
	from, to := demoPhaseBounds(len(tr.paddleEvents), i)
	res, err := w.paddle.Send(ctx, w.paddleSetting, tr.paddleEvents[from:to], paddletest.Plan{
		Drop: demoDropRate, Duplicate: demoDupRate, Seed: w.opts.Seed*37 + uint64(i)})
	if err != nil {
		return fmt.Errorf("send paddle webhooks: %w", err)
	}
	tr.paddle.Delivered = append(tr.paddle.Delivered, res.Delivered...)
	tr.paddle.Dropped = append(tr.paddle.Dropped, res.Dropped...)
	tr.paddle.Duplicated = append(tr.paddle.Duplicated, res.Duplicated...)
	tr.paddle.Rejected += res.Rejected
	return nil
}
