package slack_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/rxtest"
	"github.com/hookledger/hookledger/sources/slack"
	"github.com/hookledger/hookledger/sources/slack/slacktest"
)

const (
	secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	oldSecret = "0d1f2e3c4b5a69788796a5b4c3d2e1f0"
)

func newSource(now time.Time, secrets ...string) *slack.Source {
	return slack.New(slack.Config{SigningSecrets: secrets, Now: func() time.Time { return now }})
}

// TestSlackGoVerifierAgrees checks our signer and verifier against
// slack-go's own slack.NewSecretsVerifier: every request slacktest signs
// passes slack-go, ours accepts exactly what slack-go accepts, and both
// reject the request tampered or signed with another secret.
func TestSlackGoVerifierAgrees(t *testing.T) {
	now := time.Now() // slack-go checks against the wall clock
	bodies := [][]byte{
		slacktest.Callback(slacktest.Event{ID: "Ev01ABC", Type: "message", Team: "T1", At: now}),
		slacktest.Callback(slacktest.Event{ID: "Ev02ABC", Type: "message", Subtype: "channel_join", Team: "T1", At: now}),
		slacktest.URLVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
	}
	src := newSource(now, secret)
	for _, body := range bodies {
		for _, tc := range []struct {
			name   string
			header http.Header
			body   []byte
			ok     bool
		}{
			{"signed", slacktest.Header(secret, now, body, 0), body, true},
			{"tampered", slacktest.Header(secret, now, body, 0), append([]byte(" "), body...), false},
			{"other secret", slacktest.Header(oldSecret, now, body, 0), body, false},
			{"stale", slacktest.Header(secret, now.Add(-6*time.Minute), body, 0), body, false},
		} {
			theirs := slackGoVerify(tc.header, tc.body)
			ours := slack.VerifySignature(tc.body, tc.header, slack.VerifyOptions{Secrets: []string{secret}})
			if (theirs == nil) != tc.ok || (ours == nil) != tc.ok {
				t.Errorf("%s: slack-go = %v, ours = %v; want ok %v", tc.name, theirs, ours, tc.ok)
			}
		}
		if _, err := src.Handshake(slacktest.Header(secret, now, body, 0), body); err != nil {
			t.Errorf("Handshake(%s) = %v", body, err)
		}
	}
}

func slackGoVerify(h http.Header, body []byte) error {
	sv, err := slackgo.NewSecretsVerifier(h, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

func TestVerifyCases(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := slacktest.Callback(slacktest.Event{ID: "Ev9", Type: "app_mention", Team: "T9", At: now})
	for _, tc := range []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		want    error
	}{
		{"valid", []string{secret}, slacktest.Header(secret, now, body, 0), body, nil},
		{"rotated", []string{oldSecret, secret}, slacktest.Header(secret, now, body, 0), body, nil},
		{"tampered", []string{secret}, slacktest.Header(secret, now, body, 0), append(body, ' '), slack.ErrBadSignature},
		{"wrong secret", []string{secret}, slacktest.Header(oldSecret, now, body, 0), body, slack.ErrBadSignature},
		{"stale", []string{secret}, slacktest.Header(secret, now.Add(-301*time.Second), body, 0), body, slack.ErrTooOld},
		{"future", []string{secret}, slacktest.Header(secret, now.Add(301*time.Second), body, 0), body, slack.ErrTooNew},
		{"no secret", nil, slacktest.Header(secret, now, body, 0), body, slack.ErrNoSecret},
		{"no headers", []string{secret}, http.Header{}, body, slack.ErrNoSignature},
		{"bad timestamp", []string{secret}, withHeader(slacktest.Header(secret, now, body, 0), slack.TimestampHeader, "soon"), body, slack.ErrBadHeader},
		{"hex of wrong length", []string{secret}, withHeader(slacktest.Header(secret, now, body, 0), slack.SignatureHeader, "v0=abcd"), body, slack.ErrBadHeader},
		{"not JSON", []string{secret}, slacktest.Header(secret, now, []byte("x"), 0), []byte("x"), sources.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := newSource(now, tc.secrets...).Verify(tc.header, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify() = %v, want %v", err, tc.want)
			}
			if err == nil && (ev.EventID != "Ev9" || ev.Type != "app_mention" || ev.Account != "T9" || !ev.CreatedAt.Equal(now)) {
				t.Errorf("Verify() = %+v, want Ev9 app_mention of T9 at %s", ev, now)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q names the secret", err)
			}
		})
	}
}

func withHeader(h http.Header, k, v string) http.Header {
	h.Set(k, v)
	return h
}

// TestReceiverSlackHandshakeAndRetries drives the real receiver: the
// url_verification handshake is answered with its challenge, counted and
// not stored; a forged one is 401; an event and its X-Slack-Retry-Num
// retries are stored once.
func TestReceiverSlackHandshakeAndRetries(t *testing.T) {
	now := time.Now()
	h := rxtest.New(t, slack.New(slack.Config{SigningSecrets: []string{oldSecret, secret}}))
	hs := slacktest.URLVerification("challenge-xyz")
	status, answer := h.Post(t, "/webhooks/slack", slacktest.Header(secret, now, hs, 0), hs)
	if status != http.StatusOK || string(answer) != "challenge-xyz" {
		t.Fatalf("url_verification: %d %q, want 200 challenge-xyz", status, answer)
	}
	if status, _ := h.Post(t, "/webhooks/slack", slacktest.Header("forged", now, hs, 0), hs); status != http.StatusUnauthorized {
		t.Errorf("forged url_verification: %d, want 401", status)
	}
	ev := slacktest.Callback(slacktest.Event{ID: "Ev42", Type: "message", Team: "T1", At: now})
	for retry := range 4 {
		if status, _ := h.Post(t, "/webhooks/slack", slacktest.Header(secret, now, ev, retry), ev); status != http.StatusOK {
			t.Fatalf("event attempt %d: %d, want 200", retry, status)
		}
	}
	events := h.Events(t, "slack")
	if len(events) != 1 || events[0].EventID != "Ev42" {
		t.Fatalf("ledger holds %d slack events, want only Ev42", len(events))
	}
	if got := [...]int{h.Count("handshake"), h.Count("received"), h.Count("duplicate"), h.Count("rejected:signature")}; got != [...]int{1, 4, 3, 1} {
		t.Errorf("handshake, received, duplicate, rejected = %v, want [1 4 3 1]", got)
	}
}

func TestHandshakeIgnoresEventsAndRefusesUnknownTypes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	src := newSource(now, secret)
	ev := slacktest.Callback(slacktest.Event{ID: "Ev1", Type: "message", At: now})
	if a, err := src.Handshake(slacktest.Header(secret, now, ev, 0), ev); a != nil || err != nil {
		t.Errorf("Handshake(event_callback) = %v, %v; want nil, nil", a, err)
	}
	odd := []byte(`{"type":"something_new","event_id":"Ev2"}`)
	if _, err := src.Verify(slacktest.Header(secret, now, odd, 0), odd); !errors.Is(err, slack.ErrUnknownType) {
		t.Errorf("Verify(unknown type) = %v, want ErrUnknownType", err)
	}
	limited := []byte(`{"token":"x","team_id":"T1","minute_rate_limited":` + strconv.FormatInt(now.Unix(), 10) + `,"type":"app_rate_limited","api_app_id":"A1"}`)
	if a, err := src.Handshake(slacktest.Header(secret, now, limited, 0), limited); err != nil || a == nil {
		t.Errorf("Handshake(app_rate_limited) = %v, %v; want an answer", a, err)
	}
}
