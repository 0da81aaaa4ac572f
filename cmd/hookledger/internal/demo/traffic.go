package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// The demo's traffic: a few hundred events over the types people handle,
// spread over the last hour, sent in three phases (the downstream app goes
// down as the second starts).
const (
	demoSpan     = 55 * time.Minute
	demoDropRate = 0.06
	demoDupRate  = 0.08
)

// demoSize is how many events each provider holds.
type demoSize struct {
	Stripe       int // Stripe events of subscribed types
	unsubscribed int // Stripe events of types the endpoint does not subscribe to
	GitHub       int // GitHub deliveries
	paddle       int // Paddle Billing events
}

// FullSize is the demo's traffic; tests may run a smaller one.
var FullSize = demoSize{Stripe: 180, unsubscribed: 24, GitHub: 140, paddle: 90}

// demoStripeTypes are the types the demo's Stripe endpoint subscribes to,
// with how often each occurs.
var demoStripeTypes = []struct {
	typ    string
	weight int
}{
	{"invoice.paid", 6},
	{"payment_intent.succeeded", 6},
	{"customer.subscription.updated", 3},
	{"invoice.payment_failed", 1},
	{"charge.refunded", 1},
	{"customer.subscription.deleted", 1},
}

// demoStripeUnsubscribedTypes happen in the account but the endpoint does
// not subscribe to them: Stripe lists them and never sends them.
var demoStripeUnsubscribedTypes = []string{"customer.created", "customer.updated"}

// demoGitHubTypes are the GitHub events the demo's hook sends.
var demoGitHubTypes = []string{"check_run", "issue_comment", "issues", "pull_request", "push", "release", "workflow_run"}

// demoPhases split the traffic, in percent: before, during and after the
// outage.
var demoPhases = []int{40, 30, 30}

// demoShuffled is the phase whose events arrive in shuffled order: the
// backlog after the outage.
const demoShuffled = 2

// demoTraffic is the ground truth of what the providers did, from their own
// records: the closing checks compare the ledger with it.
type demoTraffic struct {
	stripeEvents  []*stripetest.Event        // subscribed types, oldest first
	stripeUnsub   []*stripetest.Event        // unsubscribed types: listed, never sent
	stripe        stripetest.Delivery        // what the Sender did, all phases
	forged        *stripetest.Event          // signed with the leaked secret, unknown to the API
	forgedStatus  int                        // what the receiver answered the forgery
	guessedStatus int                        // what it answered a request signed with a guessed secret
	github        githubtest.PlanOutcome     // what the hook did, all phases
	githubAt      map[string]time.Time       // GUID → when the hook first delivered it
	paddleEvents  []*paddletest.Notification // oldest first
	paddle        paddletest.Result          // what Paddle did, all phases
}

// demoStripeMix returns a deterministic mix of n subscribed event types.
func demoStripeMix(rng *rand.Rand, n int) []string {
	total := 0
	for _, t := range demoStripeTypes {
		total += t.weight
	}
	out := make([]string, n)
	for i := range out {
		r := rng.IntN(total)
		for _, t := range demoStripeTypes {
			if r < t.weight {
				out[i] = t.typ
				break
			}
			r -= t.weight
		}
	}
	return out
}

// demoAddStripeEvents fills the fake Stripe account: subscribed and
// unsubscribed events at seeded times over [t0, t0+demoSpan), and the
// forged event a leaked secret will carry.
func demoAddStripeEvents(w *demoWorld, rng *rand.Rand, t0 time.Time) *demoTraffic {
	tr := &demoTraffic{githubAt: map[string]time.Time{}}
	// Whole seconds from a whole second, as Stripe stamps events: the
	// order of events, and so which ones a seed drops, never depends on
	// the wall clock's fraction of a second.
	t0 = t0.Truncate(time.Second)
	at := func() time.Time { return t0.Add(time.Duration(rng.Int64N(int64(demoSpan/time.Second))) * time.Second) }
	for _, typ := range demoStripeMix(rng, w.opts.size.Stripe) {
		tr.stripeEvents = append(tr.stripeEvents, w.stripe.AddEvent(typ, at(), nil))
	}
	for i := range w.opts.size.unsubscribed {
		typ := demoStripeUnsubscribedTypes[i%len(demoStripeUnsubscribedTypes)]
		tr.stripeUnsub = append(tr.stripeUnsub, w.stripe.AddEvent(typ, at(), nil))
	}
	slices.SortStableFunc(tr.stripeEvents, func(a, b *stripetest.Event) int { return a.Created.Compare(b.Created) })
	tr.forged = w.stripe.AddUnlistedEvent("charge.refunded", t0.Add(demoSpan-2*time.Minute), map[string]any{
		"id": "ch_forged", "object": "charge", "amount_refunded": 99900, "currency": "usd", "refunded": true,
	})
	return tr
}

// sendPhase sends phase i of the traffic from every provider at once.
func (w *demoWorld) sendPhase(ctx context.Context, tr *demoTraffic, i int, t0 time.Time) error {
	from, to := demoPhaseBounds(len(tr.stripeEvents), i)
	var wg sync.WaitGroup
	var stripeErr, githubErr, paddleErr error
	wg.Go(func() {
		sd := stripetest.NewSender(w.receiverURL+"/webhooks/stripe", w.endpoint.Secret)
		d, err := sd.Deliver(ctx, tr.stripeEvents[from:to], stripetest.Plan{
			Drop: demoDropRate, Duplicate: demoDupRate, Reorder: i == demoShuffled,
			Seed: w.opts.Seed*31 + uint64(i), Concurrency: 1,
		})
		tr.stripe.Sent = append(tr.stripe.Sent, d.Sent...)
		tr.stripe.Dropped = append(tr.stripe.Dropped, d.Dropped...)
		tr.stripe.Duplicated = append(tr.stripe.Duplicated, d.Duplicated...)
		stripeErr = err
	})
	wg.Go(func() { githubErr = w.sendGitHubPhase(ctx, tr, i, t0) })
	wg.Go(func() { paddleErr = w.sendPaddlePhase(ctx, tr, i) })
	wg.Wait()
	if stripeErr != nil {
		return fmt.Errorf("send stripe webhooks: %w", stripeErr)
	}
	if githubErr != nil {
		return githubErr
	}
	return paddleErr
}

// sendGitHubPhase has the hook deliver phase i's share of the events.
func (w *demoWorld) sendGitHubPhase(ctx context.Context, tr *demoTraffic, i int, t0 time.Time) error {
	n := w.opts.size.GitHub
	from, to := demoPhaseBounds(n, i)
	step := demoSpan / time.Duration(n)
	res, err := w.github.Send(ctx, w.hook, githubtest.Plan{
		Count: to - from, Start: t0.Add(time.Duration(from) * step), Step: step, Types: demoGitHubTypes,
		DropRate: demoDropRate, Unreachable: true, DuplicateRate: demoDupRate, Reorder: i == demoShuffled,
	})
	if err != nil {
		return fmt.Errorf("send github webhooks: %w", err)
	}
	tr.github.Delivered = append(tr.github.Delivered, res.Delivered...)
	tr.github.Dropped = append(tr.github.Dropped, res.Dropped...)
	tr.github.Duplicated = append(tr.github.Duplicated, res.Duplicated...)
	tr.github.Rejected += res.Rejected
	return nil
}

// demoPhaseBounds returns the slice [from, to) of n items in phase i.
func demoPhaseBounds(n, i int) (int, int) {
	start := 0
	for _, pct := range demoPhases[:i] {
		start += pct
	}
	return n * start / 100, n * (start + demoPhases[i]) / 100
}

// sendForgeries sends what an attacker would: the forged event signed with
// the leaked (real) secret, and one signed with a guessed secret.
func (w *demoWorld) sendForgeries(ctx context.Context, tr *demoTraffic) error {
	sd := stripetest.NewSender(w.receiverURL+"/webhooks/stripe", w.endpoint.Secret)
	var err error
	if tr.forgedStatus, err = sd.Send(ctx, tr.forged); err != nil {
		return fmt.Errorf("send forged webhook: %w", err)
	}
	guess := w.stripe.AddUnlistedEvent("payout.paid", time.Now(), nil)
	if tr.guessedStatus, err = sd.SendSigned(ctx, guess.JSON(), "whsec_guessed_by_an_attacker"); err != nil {
		return fmt.Errorf("send forged webhook: %w", err)
	}
	return nil
}

// noteGitHub remembers, from the fake's delivery log, when GitHub first
// delivered each GUID: GitHub webhooks carry no event time, so this is
// the provider's order the story measures arrivals against.
func (w *demoWorld) noteGitHub(tr *demoTraffic) {
	for _, d := range w.github.Deliveries(w.hook) {
		if !d.Redelivery {
			tr.githubAt[d.GUID] = d.DeliveredAt
		}
	}
}
