package stripe_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

const (
	secret  = "whsec_test_secret_0123456789"
	rotated = "whsec_rotated_secret_abcdef"
)

var now = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// sampleEvent returns a realistic 2.6 KB event from the fake.
func sampleEvent(tb testing.TB, typ string) []byte {
	tb.Helper()
	srv := stripetest.NewServer()
	defer srv.Close()
	return srv.AddEvent(typ, now, nil).JSON()
}

// stripeHeader signs with stripe-go's own test signer.
func stripeHeader(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

func TestParseSignatureHeader(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		header  string
		wantTS  int64
		wantV1  int
		wantErr error
	}{
		{"t=1700000000,v1=" + sig, 1700000000, 1, nil},
		{"t=1700000000,v1=" + sig + ",v1=" + sig + ",v0=" + sig, 1700000000, 2, nil},
		{" t=1700000000 , v1=" + sig, 1700000000, 1, nil},
		{"v1=" + sig + ",t=1700000000", 1700000000, 1, nil},
		{"t=1700000000,v1=zz", 1700000000, 0, nil}, // unparseable v1: present, never matches
		{"", 0, 0, stripe.ErrNoSignature},
		{"t=1700000000", 0, 0, stripe.ErrNoSignature},
		{"t=1700000000,v0=" + sig, 0, 0, stripe.ErrNoSignature},
		{"v1=" + sig, 0, 0, stripe.ErrBadHeader},
		{"t=abc,v1=" + sig, 0, 0, stripe.ErrBadHeader},
		{"t=1,t=2,v1=" + sig, 0, 0, stripe.ErrBadHeader},
		{"garbage", 0, 0, stripe.ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, err := stripe.ParseSignatureHeader(tt.header)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("ParseSignatureHeader() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.Timestamp != tt.wantTS || len(got.V1) != tt.wantV1 {
				t.Errorf("ParseSignatureHeader() = t %d, %d v1; want t %d, %d v1", got.Timestamp, len(got.V1), tt.wantTS, tt.wantV1)
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	payload := sampleEvent(t, "invoice.paid")
	good := stripeHeader(payload, secret, now)
	goodSig := good[strings.Index(good, "v1=")+3:]
	otherSig := strings.Repeat("0", 64)
	tests := []struct {
		name    string
		payload []byte
		header  string
		secrets []string
		tol     time.Duration
		want    error
	}{
		{"valid", payload, good, []string{secret}, 0, nil},
		{"rotated: second secret", payload, stripeHeader(payload, rotated, now), []string{secret, rotated}, 0, nil},
		{"several v1, last matches", payload, fmt.Sprintf("t=%d,v1=%s,v1=%s", now.Unix(), otherSig, goodSig), []string{secret}, 0, nil},
		{"api version is irrelevant", []byte(strings.Replace(string(payload), stripetest.APIVersion, "2099-01-01", 1)),
			stripeHeader([]byte(strings.Replace(string(payload), stripetest.APIVersion, "2099-01-01", 1)), secret, now), []string{secret}, 0, nil},
		{"4m59s old", payload, stripeHeader(payload, secret, now.Add(-299*time.Second)), []string{secret}, 0, nil},
		{"4m59s ahead", payload, stripeHeader(payload, secret, now.Add(299*time.Second)), []string{secret}, 0, nil},
		{"wrong secret", payload, stripeHeader(payload, "whsec_wrong", now), []string{secret}, 0, stripe.ErrBadSignature},
		{"tampered body", append([]byte(" "), payload...), good, []string{secret}, 0, stripe.ErrBadSignature},
		{"timestamp swapped", payload, fmt.Sprintf("t=%d,v1=%s", now.Unix()+1, goodSig), []string{secret}, 0, stripe.ErrBadSignature},
		{"missing header", payload, "", []string{secret}, 0, stripe.ErrNoSignature},
		{"only v0", payload, strings.Replace(good, "v1=", "v0=", 1), []string{secret}, 0, stripe.ErrNoSignature},
		{"bad timestamp", payload, strings.Replace(good, "t=", "t=x", 1), []string{secret}, 0, stripe.ErrBadHeader},
		{"stale", payload, stripeHeader(payload, secret, now.Add(-6*time.Minute)), []string{secret}, 0, stripe.ErrTooOld},
		{"far future", payload, stripeHeader(payload, secret, now.Add(6*time.Minute)), []string{secret}, 0, stripe.ErrTooNew},
		{"custom tolerance", payload, stripeHeader(payload, secret, now.Add(-6*time.Minute)), []string{secret}, 10 * time.Minute, nil},
		{"custom tolerance exceeded", payload, stripeHeader(payload, secret, now.Add(-61*time.Second)), []string{secret}, time.Minute, stripe.ErrTooOld},
		{"no secrets", payload, good, nil, 0, stripe.ErrNoSecret},
		{"empty secret ignored", payload, stripeHeader(payload, "", now), []string{""}, 0, stripe.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := stripe.VerifySignature(tt.payload, tt.header, stripe.VerifyOptions{
				Secrets: tt.secrets, Tolerance: tt.tol, Now: func() time.Time { return now },
			})
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("VerifySignature() = %v, want %v", err, tt.want)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, sources.ErrSignature) {
				t.Errorf("error %v does not wrap sources.ErrSignature", err)
			}
			for _, s := range append(tt.secrets, goodSig) {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks a secret or signature", err)
				}
			}
		})
	}
}

// hmacHex is an independent reimplementation of Stripe's scheme.
func hmacHex(secret string, ts int64, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", ts)
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

func FuzzParseSignatureHeader(f *testing.F) {
	payload := sampleEvent(f, "invoice.paid")
	f.Add(stripeHeader(payload, secret, now))
	f.Add("t=1700000000,v1=" + strings.Repeat("a", 64) + ",v0=" + strings.Repeat("b", 64))
	f.Add("t=-9223372036854775808,v1=")
	f.Add(",,=,t==1")
	f.Fuzz(func(t *testing.T, header string) {
		p, err := stripe.ParseSignatureHeader(header)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("error %v does not wrap sources.ErrSignature", err)
			}
			return
		}
		if !strings.Contains(header, "t=") || !strings.Contains(header, "v1=") {
			t.Fatalf("accepted %q without t and v1", header)
		}
		for _, sig := range p.V1 {
			if len(sig) != sha256.Size {
				t.Fatalf("v1 of %d bytes", len(sig))
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, typ := range []string{"invoice.paid", "charge.refunded", "customer.subscription.updated"} {
		payload := sampleEvent(f, typ)
		f.Add(payload, stripeHeader(payload, secret, now), int64(0))
		f.Add(payload, stripeHeader(payload, rotated, now.Add(-time.Minute)), int64(30))
		f.Add(payload, stripeHeader(payload, "whsec_other", now), int64(-400))
	}
	f.Add([]byte("{}"), "t=0,v1=00", int64(1<<62))
	opts := stripe.VerifyOptions{Secrets: []string{secret, rotated}, Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, payload []byte, header string, skew int64) {
		// Half the time re-sign with a skewed clock so the fuzzer also
		// explores the valid and tolerance paths.
		if skew%2 == 0 {
			header = stripeHeader(payload, secret, now.Add(time.Duration(skew%1000)*time.Second))
		}
		err := stripe.VerifySignature(payload, header, opts)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("error %v does not wrap sources.ErrSignature", err)
			}
			return
		}
		p, perr := stripe.ParseSignatureHeader(header)
		if perr != nil {
			t.Fatalf("verified a header that does not parse: %v", perr)
		}
		if d := p.Timestamp - now.Unix(); d > 300 || d < -300 {
			t.Fatalf("verified timestamp %d outside tolerance", p.Timestamp)
		}
		for _, s := range opts.Secrets {
			want := hmacHex(s, p.Timestamp, payload)
			for _, sig := range p.V1 {
				if hex.EncodeToString(sig) == want {
					return
				}
			}
		}
		t.Fatalf("verified %q without a valid HMAC", header)
	})
}

func BenchmarkVerify(b *testing.B) {
	payload := sampleEvent(b, "invoice.paid")
	for len(payload) < 2600 {
		payload = append(payload, ' ')
	}
	payload = payload[:2600]
	header := stripeHeader(payload, secret, now)
	opts := stripe.VerifyOptions{Secrets: []string{secret}, Now: func() time.Time { return now }}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := stripe.VerifySignature(payload, header, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRotated(b *testing.B) {
	payload := sampleEvent(b, "invoice.paid")
	header := stripeHeader(payload, rotated, now) + ",v1=" + strings.Repeat("0", 64)
	opts := stripe.VerifyOptions{Secrets: []string{secret, rotated}, Now: func() time.Time { return now }}
	b.ReportAllocs()
	for b.Loop() {
		if err := stripe.VerifySignature(payload, header, opts); err != nil {
			b.Fatal(err)
		}
	}
}
