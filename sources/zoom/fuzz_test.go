package zoom_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/zoom"
	"github.com/hookledger/hookledger/sources/zoom/zoomtest"
)

// FuzzVerify: every error wraps ErrSignature or ErrMalformed; a request
// that verifies was signed by one of the configured tokens (re-signing it
// with the other gives a different signature unless the token is the
// one), and a handshake never comes out as an event.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	f.Add([]byte(`{"event":"meeting.ended","event_ts":1700000000000,"payload":{}}`), int64(0), true)
	f.Add([]byte(`{"event":"endpoint.url_validation","event_ts":1,"payload":{"plainToken":"x"}}`), int64(0), true)
	f.Add([]byte(`{"event":"a","event_ts":-5}`), int64(-400), true)
	f.Add([]byte(`x`), int64(3), false)
	tokens := []string{oldToken, token}
	src := newSource(now, tokens...)
	f.Fuzz(func(t *testing.T, body []byte, skew int64, signIt bool) {
		at := now.Add(time.Duration(skew%1000) * time.Second)
		h := zoomtest.Header(token, at, body)
		if !signIt {
			h.Set(zoom.SignatureHeader, "v0=00")
		}
		ev, err := src.Verify(h, body)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) && !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("Verify() = %v", err)
			}
			return
		}
		if !signIt || ev.Type == zoom.EventURLValidation || d(at, now) > 300 {
			t.Fatalf("accepted unsigned=%v type=%q skew=%v", !signIt, ev.Type, at.Sub(now))
		}
		if _, err := zoom.VerifySignature(body, zoomtest.Header(token, at, body), zoom.VerifyOptions{Secrets: []string{"x"}, Now: func() time.Time { return now }}); err == nil {
			t.Fatal("verified under a token that did not sign it")
		}
	})
}

func d(a, b time.Time) float64 {
	x := a.Sub(b).Seconds()
	if x < 0 {
		return -x
	}
	return x
}
