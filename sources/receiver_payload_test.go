package sources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
)

// TestReceiverRejectsWhatItCannotKeep: a signed webhook whose event the
// ledger could not store faithfully, or whose id readers would read
// apart, is answered 400 with the reason (in the answer and the rejection count's sample)
// and nothing is stored: out-of-range created times, nesting past
// sources.MaxDepth, invalid UTF-8, an envelope member given twice or in
// another case, an unpaired surrogate in the id, a non-UTF-8 GitHub
// delivery id. These were accepted (and broke `events list --json`, or
// were keyed on the "ID" the app never reads). The same bodies within the
// limits are stored byte for byte.
func TestReceiverRejectsWhatItCannotKeep(t *testing.T) {
	h := newHarness(t, stripeSource(t), githubSource(t))
	deep := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	stripeEvent := func(id, extra string) []byte {
		return fmt.Appendf(nil, `{"id":%q,"object":"event","type":"invoice.paid","created":%d%s}`, id, time.Now().Unix(), extra)
	}
	cases := []struct {
		name, source string
		body         []byte
		delivery     string // GitHub
		reason       string
	}{
		{"stripe created past 9999", "stripe", []byte(`{"id":"evt_far","object":"event","type":"a","created":99999999999999}`), "", "event time is outside"},
		{"stripe created before 1970", "stripe", []byte(`{"id":"evt_neg","object":"event","type":"a","created":-5}`), "", "event time is outside"},
		{"stripe nested 9,999 deep", "stripe", stripeEvent("evt_deep", `,"data":`+deep), "", "nests deeper than"},
		{"stripe invalid UTF-8", "stripe", stripeEvent("evt_utf8", ",\"data\":\"\xff\xfe\""), "", "not valid UTF-8"},
		{"stripe id and ID", "stripe", stripeEvent("evt_a", `,"ID":"evt_b"`), "", "only in case"},
		{"stripe id twice", "stripe", stripeEvent("evt_a", `,"id":"evt_b"`), "", "appears twice"},
		{"stripe unpaired surrogate id", "stripe", []byte(`{"id":"evt_\ud800","object":"event","type":"a","created":1}`), "", "not valid UTF-8"},
		{"github nested 9,999 deep", "github", []byte(`{"action":"opened","x":` + deep + `}`), "g-deep", "nests deeper than"},
		{"github invalid UTF-8", "github", []byte("{\"action\":\"opened\",\"x\":\"\xff\"}"), "g-utf8", "not valid UTF-8"},
		{"github action twice", "github", []byte(`{"action":"opened","action":"closed"}`), "g-twice", "appears twice"},
		{"github delivery id not UTF-8", "github", []byte(`{"action":"opened"}`), "g-\xff", "not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.source == "stripe" {
				hdr = stripeHeader(signStripe(tc.body, stripeSecret, time.Now()))
			} else {
				hdr.Set("X-GitHub-Event", "issues")
				hdr.Set("X-GitHub-Delivery", tc.delivery)
				hdr.Set("X-Hub-Signature-256", github.Sign(tc.body, githubSecret))
			}
			status, answer := h.postAnswer(t, "/webhooks/"+tc.source, tc.body, hdr)
			if status != http.StatusBadRequest || !strings.Contains(answer, tc.reason) {
				t.Errorf("status %d %s; want 400 saying %q", status, answer, tc.reason)
			}
		})
	}
	ctx := context.Background()
	for _, src := range []string{"stripe", "github"} {
		n := 0
		for _, err := range h.db.Events(ctx, ledger.EventFilter{Source: src}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 0 {
			t.Errorf("%d %s events stored, want none", n, src)
		}
		// Rejections are counted per source, reason and minute, each count
		// with its last sample's error text.
		if err := h.db.SyncRejections(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := h.db.Rejections(ctx, src, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, got := 0, 0
		for _, tc := range cases {
			if tc.source == src {
				want++
			}
		}
		for _, r := range rows {
			got += r.Count
			if r.Reason != sources.ReasonMalformed || r.Last.Status != http.StatusBadRequest || r.Last.Error == "" {
				t.Errorf("%s rejection = %+v, want 400 malformed with the reason", src, r)
			}
		}
		if got != want {
			t.Errorf("%s rejections counted %d, want %d", src, got, want)
		}
	}
	// Within the limits: stored untouched, keyed on the exact "id".
	ok := stripeEvent("evt_ok", `,"data":{"ID":"not_it","deep":`+strings.Repeat("[", sources.MaxDepth-2)+strings.Repeat("]", sources.MaxDepth-2)+`}`)
	if status, answer := h.postAnswer(t, "/webhooks/stripe", ok, stripeHeader(signStripe(ok, stripeSecret, time.Now()))); status != http.StatusOK {
		t.Fatalf("event within the limits: %d %s", status, answer)
	}
	ev, err := h.db.Event(ctx, "stripe", "evt_ok")
	if err != nil || !bytes.Equal(ev.Payload, ok) {
		t.Errorf("event within the limits stored = %v, %v; want its bytes", ev, err)
	}
	if _, err := h.db.Event(ctx, "stripe", "not_it"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("a nested ID was taken for the envelope's: %v", err)
	}
}
