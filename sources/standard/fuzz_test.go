package standard_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/standard"
)

// FuzzParseHeaders: never panics; every error is one of ErrNoSignature or
// ErrBadHeader; an accepted header set has an id and only 32-byte v1s.
func FuzzParseHeaders(f *testing.F) {
	f.Add("msg_1", "1700000000", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", false)
	f.Add("msg_1", "1700000000", "v1a,xx v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,", true)
	f.Add("", "x", "v1", false)
	f.Add("id", "-9223372036854775808", "v1,,v1", true)
	f.Fuzz(func(t *testing.T, id, ts, sig string, svix bool) {
		family := "webhook"
		if svix {
			family = "svix"
		}
		h := http.Header{}
		h.Set(family+"-id", id)
		h.Set(family+"-timestamp", ts)
		h.Set(family+"-signature", sig)
		p, err := standard.ParseHeaders(h)
		if err != nil {
			if !errors.Is(err, standard.ErrNoSignature) && !errors.Is(err, standard.ErrBadHeader) {
				t.Fatalf("ParseHeaders() = %v, want ErrNoSignature or ErrBadHeader", err)
			}
			return
		}
		if p.ID == "" || len(p.V1) == 0 {
			t.Fatalf("accepted %+v without an id or a v1", p)
		}
		for _, v := range p.V1 {
			if len(v) != sha256.Size {
				t.Fatalf("accepted a %d-byte v1", len(v))
			}
		}
	})
}

// FuzzVerify: anything that verifies carries a v1 equal to an independent
// HMAC of "{id}.{ts}.{body}" under one of the two configured keys, with a
// timestamp within 5 minutes. Half the inputs are signed for real so the
// fuzzer reaches the accepting path.
func FuzzVerify(f *testing.F) {
	f.Add("msg_1", int64(0), []byte(`{"type":"a"}`), true, uint8(0))
	f.Add("msg_2", int64(299), []byte(`{}`), true, uint8(1))
	f.Add("msg_3", int64(-301), []byte(`{}`), true, uint8(0))
	f.Add("m", int64(5), []byte(`x`), false, uint8(2))
	now := time.Unix(1_700_000_000, 0)
	secrets := []string{testSecret, otherSecret}
	keys, _ := standard.DecodeSecrets(secrets)
	src, err := standard.New(standard.Config{Name: "fuzz", Secrets: secrets, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string, skew int64, body []byte, signIt bool, which uint8) {
		ts := now.Unix() + skew%1000
		sig := "v1,AAAA"
		if signIt {
			sig = standard.Sign(body, keys[int(which)%2], standard.Message{ID: id, Timestamp: ts})
		}
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", fmt.Sprint(ts))
		h.Set("webhook-signature", sig)
		ev, err := src.Verify(h, body)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) && !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("Verify() = %v, want ErrSignature or ErrMalformed", err)
			}
			return
		}
		if d := ts - now.Unix(); d < -300 || d > 300 {
			t.Fatalf("verified a timestamp %ds from now", d)
		}
		if !matchesKey(keys, h.Get("webhook-id"), ts, body, sig) {
			t.Fatal("verified a signature no configured key makes")
		}
		if string(ev.Payload) != string(body) || ev.EventID != h.Get("webhook-id") {
			t.Fatal("event differs from the request")
		}
	})
}

func matchesKey(keys [][]byte, id string, ts int64, body []byte, sig string) bool {
	for _, key := range keys {
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s.%d.", id, ts)
		m.Write(body)
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		for entry := range strings.FieldsSeq(sig) {
			if entry == "v1,"+want {
				return true
			}
		}
	}
	return false
}
