package slack_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/slack"
	"github.com/hookledger/hookledger/sources/slack/slacktest"
)

// FuzzVerifySignature: every error wraps ErrSignature; anything accepted
// carries "v0=" and the HMAC of "v0:{ts}:{body}" under one of the two
// secrets, with a timestamp within 5 minutes. Half the inputs are signed
// for real, so the accepting and tolerance paths are reached.
func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	f.Add("1700000000", "", []byte(`{"type":"event_callback"}`), true, false)
	f.Add("1699999000", "v0=00", []byte(`{}`), true, true)
	f.Add("+1700000000", "v0="+strings.Repeat("a", 64), []byte(`x`), false, false)
	f.Add("1700000000 ", " v0=", []byte{}, false, true)
	secrets := []string{oldSecret, secret}
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte, signIt, useOld bool) {
		h := http.Header{}
		h.Set(slack.TimestampHeader, ts)
		h.Set(slack.SignatureHeader, sig)
		if signIt {
			key := secrets[1]
			if useOld {
				key = secrets[0]
			}
			h = slacktest.Header(key, now, body, 0)
			h.Set(slack.TimestampHeader, ts)
			h.Set(slack.SignatureHeader, sign(key, h.Get(slack.TimestampHeader), body))
		}
		err := slack.VerifySignature(body, h, slack.VerifyOptions{Secrets: secrets, Now: func() time.Time { return now }})
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("VerifySignature() = %v, want ErrSignature", err)
			}
			return
		}
		var unix int64
		if _, err := fmt.Sscan(strings.TrimSpace(h.Get(slack.TimestampHeader)), &unix); err != nil || unix < now.Unix()-300 || unix > now.Unix()+300 {
			t.Fatalf("accepted timestamp %q", h.Get(slack.TimestampHeader))
		}
		got := strings.TrimSpace(h.Get(slack.SignatureHeader))
		if got != sign(secrets[0], strings.TrimSpace(h.Get(slack.TimestampHeader)), body) &&
			got != sign(secrets[1], strings.TrimSpace(h.Get(slack.TimestampHeader)), body) {
			t.Fatal("accepted a signature no configured secret makes")
		}
	})
}

func sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}
