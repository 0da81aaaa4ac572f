package standard_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/standard"
)

const (
	testSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	otherSecret = "whsec_bm90IHRoZSByaWdodCBzZWNyZXQgYXQgYWxs"
)

func newSource(t testing.TB, now time.Time, secrets ...string) *standard.Source {
	t.Helper()
	s, err := standard.New(standard.Config{Name: "clerk", Secrets: secrets, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t testing.TB, secret, id string, ts int64, body string) string {
	t.Helper()
	keys, err := standard.DecodeSecrets([]string{secret})
	if err != nil {
		t.Fatal(err)
	}
	return standard.Sign([]byte(body), keys[0], standard.Message{ID: id, Timestamp: ts})
}

func TestVerifyCases(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := `{"type":"user.created","data":{}}`
	good := sign(t, testSecret, "msg_1", now.Unix(), body)
	old := sign(t, testSecret, "msg_1", now.Unix()-301, body)
	future := sign(t, testSecret, "msg_1", now.Unix()+301, body)
	wrong := sign(t, otherSecret, "msg_1", now.Unix(), body)
	for _, tc := range []struct {
		name    string
		secrets []string
		ts      int64
		sig     string
		body    string
		want    error
	}{
		{"valid", []string{testSecret}, now.Unix(), good, body, nil},
		{"edge of tolerance", []string{testSecret}, now.Unix() - 300, sign(t, testSecret, "msg_1", now.Unix()-300, body), body, nil},
		{"tampered body", []string{testSecret}, now.Unix(), good, body + "x", standard.ErrBadSignature},
		{"stale", []string{testSecret}, now.Unix() - 301, old, body, standard.ErrTooOld},
		{"future", []string{testSecret}, now.Unix() + 301, future, body, standard.ErrTooNew},
		{"wrong secret", []string{testSecret}, now.Unix(), wrong, body, standard.ErrBadSignature},
		{"rotated: old secret still configured", []string{otherSecret, testSecret}, now.Unix(), good, body, nil},
		{"rotated: sender signs with both", []string{otherSecret}, now.Unix(), good + " " + wrong, body, nil},
		{"other versions ignored", []string{testSecret}, now.Unix(), "v1a,AAAA " + good, body, nil},
		{"no v1 entry", []string{testSecret}, now.Unix(), "v2,abc", body, standard.ErrBadHeader},
		{"signature not base64", []string{testSecret}, now.Unix(), "v1,!!!", body, standard.ErrBadHeader},
		{"no secret", nil, now.Unix(), good, body, standard.ErrNoSecret},
		{"missing signature", []string{testSecret}, now.Unix(), "", body, standard.ErrNoSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(t, now, tc.secrets...)
			_, err := src.Verify(headers("webhook", "msg_1", tc.ts, tc.sig), []byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify() = %v, want %v", err, tc.want)
			}
			if err != nil && !errors.Is(err, sources.ErrSignature) {
				t.Errorf("Verify() = %v, want it to wrap sources.ErrSignature", err)
			}
			if err != nil && strings.Contains(err.Error(), strings.TrimPrefix(testSecret, "whsec_")) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestVerifyReadsTypeAndRejectsNonJSON(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	src := newSource(t, now, testSecret)
	body := `{"type":"email.bounced","data":{}}`
	ev, err := src.Verify(headers("svix", "msg_9", now.Unix(), sign(t, testSecret, "msg_9", now.Unix(), body)), []byte(body))
	if err != nil || ev.Type != "email.bounced" || ev.Source != "clerk" || ev.EventID != "msg_9" {
		t.Fatalf("Verify() = %+v, %v; want clerk msg_9 email.bounced", ev, err)
	}
	bad := "not json"
	_, err = src.Verify(headers("webhook", "msg_9", now.Unix(), sign(t, testSecret, "msg_9", now.Unix(), bad)), []byte(bad))
	if !errors.Is(err, sources.ErrMalformed) {
		t.Errorf("Verify(non-JSON) = %v, want ErrMalformed", err)
	}
}

func TestNewRejectsBadNamesAndSecrets(t *testing.T) {
	for _, name := range []string{"", "Clerk", "../x", "9lives", strings.Repeat("a", 33)} {
		if _, err := standard.New(standard.Config{Name: name, Secrets: []string{testSecret}}); err == nil {
			t.Errorf("New(name %q) = nil error, want ErrBadName", name)
		}
	}
	_, err := standard.New(standard.Config{Name: "clerk", Secrets: []string{"whsec_not base64!"}})
	if err == nil || strings.Contains(err.Error(), "not base64!") {
		t.Errorf("New(bad secret) = %v, want an error that does not echo the secret", err)
	}
	if got := standard.SecretVar("my-app"); got != "MY_APP_WEBHOOK_SECRET" {
		t.Errorf("SecretVar(my-app) = %q", got)
	}
}

func ExampleSign() {
	keys, _ := standard.DecodeSecrets([]string{testSecret})
	fmt.Println(standard.Sign([]byte(`{"test": 2432232314}`), keys[0],
		standard.Message{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Timestamp: 1614265330}))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
