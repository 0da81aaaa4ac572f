package paddle_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/paddle"
)

// FuzzParseSignatureHeader: never panics; errors wrap ErrSignature; an
// accepted header has a decimal ts and only 32-byte h1 values.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("ts=1671552777;h1=eb4d0dc8853be92b7f063b9f3ba5233eb920a09459b6e6b2c26705b4364db151")
	f.Add("ts=1;h1=zz;h1=" + strings.Repeat("ab", 32))
	f.Add(";;=;ts=;h1")
	f.Add("ts=99999999999999999999;h1=00")
	f.Fuzz(func(t *testing.T, header string) {
		p, err := paddle.ParseSignatureHeader(header)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("ParseSignatureHeader() = %v", err)
			}
			return
		}
		if _, err := strconv.ParseInt(p.TS, 10, 64); err != nil {
			t.Fatalf("accepted ts %q", p.TS)
		}
		for _, h := range p.H1 {
			if len(h) != sha256.Size {
				t.Fatalf("accepted a %d-byte h1", len(h))
			}
		}
	})
}

// FuzzVerify: anything that verifies has a ts within 5 minutes and an h1
// equal to an independently computed HMAC of "ts:body" under one of the
// two configured keys. Half the inputs are signed for real.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	f.Add([]byte(`{}`), int64(0), true, false, "")
	f.Add([]byte(`x`), int64(-301), true, true, ";h1=00")
	f.Add([]byte{}, int64(299), false, false, "ts=1700000000;h1=")
	secrets := []string{oldSecret, secret}
	f.Fuzz(func(t *testing.T, body []byte, skew int64, signIt, old bool, extra string) {
		header := extra
		if signIt {
			key := secret
			if old {
				key = oldSecret
			}
			header = paddle.Sign(body, now.Add(time.Duration(skew%1000)*time.Second), key) + extra
		}
		err := paddle.VerifySignature(body, header, paddle.VerifyOptions{Secrets: secrets, Now: func() time.Time { return now }})
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("VerifySignature() = %v", err)
			}
			return
		}
		p, _ := paddle.ParseSignatureHeader(header)
		ts, _ := strconv.ParseInt(p.TS, 10, 64)
		if ts < now.Unix()-300 || ts > now.Unix()+300 {
			t.Fatalf("verified ts %d", ts)
		}
		for _, key := range secrets {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(p.TS + ":"))
			m.Write(body)
			if strings.Contains(header, "h1="+hex.EncodeToString(m.Sum(nil))) {
				return
			}
		}
		t.Fatalf("verified %q, which no configured key signs", header)
	})
}
