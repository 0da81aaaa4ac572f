package paddle_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/rxtest"
	"github.com/hookledger/hookledger/sources/paddle"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
)

func header(sig string) http.Header {
	h := http.Header{}
	h.Set(paddle.SignatureHeader, sig)
	return h
}

// world is a fake Paddle with one destination pointing at a real receiver.
type world struct {
	fake *paddletest.Server
	st   *paddletest.Setting
	rx   *rxtest.Harness
	src  *paddle.Source
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fake := paddletest.NewServer(paddletest.WithSeed(3))
	t.Cleanup(fake.Close)
	w := &world{fake: fake}
	w.src = w.source(t, "")
	w.rx = rxtest.New(t, w.src)
	w.st = fake.AddSetting(w.rx.URL+"/webhooks/paddle", secret)
	w.src = w.source(t, w.st.ID)
	return w
}

func (w *world) source(t *testing.T, setting string) *paddle.Source {
	s, err := paddle.New(paddle.Config{WebhookSecrets: []string{secret}, APIKey: paddletest.DefaultAPIKey,
		APIURL: w.fake.URL, NotificationSettingID: setting,
		Retry: sources.RetryPolicy{BaseDelay: time.Millisecond, MaxWait: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) list(t *testing.T, win sources.Window) []sources.Listed {
	t.Helper()
	var out []sources.Listed
	for l, err := range sources.Flatten(w.src.List(context.Background(), win)) {
		if err != nil {
			t.Fatalf("List() error after %d: %v", len(out), err)
		}
		out = append(out, l)
	}
	return out
}

// TestListPagesThroughTheSDKWithPayloadsIntact: 450 notifications, three
// pages of the real SDK against the fake, behind two 429s with
// Retry-After: each event listed once, newest first, only inside the
// window, other destinations and replays left out, and each payload the
// very bytes the webhook carried.
func TestListPagesThroughTheSDKWithPayloadsIntact(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var sent []*paddletest.Notification
	for i := range 450 {
		sent = append(sent, w.fake.AddEvent(w.st, paddletest.Types[i%3],
			now.Add(-time.Duration(i+1)*time.Minute), nil))
	}
	other := w.fake.AddSetting("http://127.0.0.1:1/elsewhere", "pdl_other")
	w.fake.AddEvent(other, "transaction.completed", now.Add(-30*time.Minute), nil)
	w.fake.AddEvent(w.st, "transaction.completed", now.Add(-48*time.Hour), nil) // outside the window
	res, err := w.fake.Send(ctx, w.st, sent[:10], paddletest.Plan{})
	if err != nil || res.Rejected != 0 {
		t.Fatalf("Send() = %+v, %v", res, err)
	}
	// A replay is a second notification of an event already listed.
	if err := w.src.Redeliver(ctx, sources.Listed{Ref: sent[0].ID}); err != nil {
		t.Fatal(err)
	}
	w.fake.FailNext(2, http.StatusTooManyRequests, 20*time.Millisecond)
	before := w.fake.Requests()
	got := w.list(t, sources.Window{Since: now.Add(-24 * time.Hour), Until: now.Add(time.Minute)})
	if len(got) != len(sent) {
		t.Fatalf("List() = %d events, want %d", len(got), len(sent))
	}
	if n := w.fake.Requests() - before; n != 3+2 {
		t.Errorf("API requests = %d, want 3 pages and 2 throttled retries", n)
	}
	for i, l := range got {
		want := sent[i] // sent oldest last: the listing is newest first
		if l.EventID != want.EventID || l.Ref != want.ID || l.Type != want.Type || !l.CreatedAt.Equal(want.Occurred) ||
			l.Account != w.st.ID || l.Event == nil || !bytes.Equal(l.Event.Payload, want.Body) {
			t.Fatalf("listed[%d] = %+v, want event %s of notification %s with its body untouched", i, l, want.EventID, want.ID)
		}
	}
	if ids := eventIDs(got); len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Error("an event is listed twice")
	}
}

func TestFetchAndRedeliver(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	n := w.fake.AddEvent(w.st, "customer.created", time.Now().Add(-time.Hour), nil)
	if res, err := w.fake.Send(ctx, w.st, []*paddletest.Notification{n}, paddletest.Plan{Drop: 1}); err != nil || len(res.Dropped) != 1 {
		t.Fatalf("Send() = %+v, %v", res, err)
	}
	ev, err := w.src.Fetch(ctx, sources.Listed{EventID: n.EventID, Ref: n.ID})
	if err != nil || !bytes.Equal(ev.Payload, n.Body) || ev.EventID != n.EventID {
		t.Fatalf("Fetch() = %v, %v; want the notification's payload", ev, err)
	}
	if len(w.rx.Events(t, "paddle")) != 0 {
		t.Fatal("the dropped event arrived")
	}
	if err := w.src.Redeliver(ctx, sources.Listed{Ref: n.ID}); err != nil {
		t.Fatal(err)
	}
	w.fake.Close() // waits for the replay's delivery
	evs := w.rx.Events(t, "paddle")
	if len(evs) != 1 || evs[0].EventID != n.EventID || evs[0].Headers["Paddle-Notification-Id"] == n.ID {
		t.Fatalf("after replay the ledger holds %d events; want %s once, from a new notification", len(evs), n.EventID)
	}
}

func TestListWithoutDestinationFails(t *testing.T) {
	w := newWorld(t)
	for _, err := range sources.Flatten(w.source(t, "").List(context.Background(), sources.Window{Since: time.Now().Add(-time.Hour), Until: time.Now()})) {
		if err == nil {
			t.Fatal("List() without PADDLE_NOTIFICATION_SETTING_ID yielded an event")
		}
		return
	}
	t.Fatal("List() without PADDLE_NOTIFICATION_SETTING_ID yielded nothing, not an error")
}

func eventIDs(ls []sources.Listed) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.EventID
	}
	return out
}
