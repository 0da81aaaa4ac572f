package paddle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/paddle"
)

const (
	secret    = "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI"
	oldSecret = "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_oldoldoldoldoldoldoldoldoldoldol"
)

func TestVerifySignatureCases(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"event_id":"evt_1","event_type":"transaction.completed","occurred_at":"2023-11-14T22:13:20Z","data":{}}`)
	for _, tc := range []struct {
		name    string
		secrets []string
		header  string
		body    []byte
		want    error
	}{
		{"valid", []string{secret}, paddle.Sign(body, now, secret), body, nil},
		{"rotation: two h1, new key configured", []string{secret}, paddle.Sign(body, now, oldSecret, secret), body, nil},
		{"rotation: both keys configured", []string{oldSecret, secret}, paddle.Sign(body, now, secret), body, nil},
		{"tampered", []string{secret}, paddle.Sign(body, now, secret), append(body, ' '), paddle.ErrBadSignature},
		{"wrong secret", []string{secret}, paddle.Sign(body, now, oldSecret), body, paddle.ErrBadSignature},
		{"stale", []string{secret}, paddle.Sign(body, now.Add(-301*time.Second), secret), body, paddle.ErrTooOld},
		{"future", []string{secret}, paddle.Sign(body, now.Add(301*time.Second), secret), body, paddle.ErrTooNew},
		{"no secret", nil, paddle.Sign(body, now, secret), body, paddle.ErrNoSecret},
		{"no header", []string{secret}, "", body, paddle.ErrNoSignature},
		{"no h1", []string{secret}, "ts=1700000000", body, paddle.ErrNoSignature},
		{"no ts", []string{secret}, "h1=" + strings.Repeat("0", 64), body, paddle.ErrBadHeader},
		{"two ts", []string{secret}, "ts=1;ts=2;h1=" + strings.Repeat("0", 64), body, paddle.ErrBadHeader},
		{"negative ts", []string{secret}, "ts=-1;h1=" + strings.Repeat("0", 64), body, paddle.ErrBadHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := paddle.VerifySignature(tc.body, tc.header, paddle.VerifyOptions{Secrets: tc.secrets, Now: func() time.Time { return now }})
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifySignature() = %v, want %v", err, tc.want)
			}
			if err != nil && (!errors.Is(err, sources.ErrSignature) || strings.Contains(err.Error(), secret)) {
				t.Errorf("error %q: want it to wrap ErrSignature and not name the secret", err)
			}
		})
	}
}

func TestVerifyReadsTheEnvelope(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	src, err := paddle.New(paddle.Config{WebhookSecrets: []string{secret}, NotificationSettingID: "ntfset_1", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"event_id":"evt_01h","event_type":"subscription.created","occurred_at":"2023-11-14T22:13:20.123Z","notification_id":"ntf_01h","data":{"id":"sub_1"}}`)
	ev, err := src.Verify(header(paddle.Sign(body, now, secret)), body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.EventID != "evt_01h" || ev.Type != "subscription.created" || ev.Account != "ntfset_1" ||
		ev.Headers["Paddle-Notification-Id"] != "ntf_01h" || !ev.CreatedAt.Equal(time.UnixMilli(1_699_999_999_000+1_123).UTC()) {
		t.Errorf("Verify() = %+v", ev)
	}
	bad := []byte(`{"event_type":"x","occurred_at":"2023-11-14T22:13:20Z"}`)
	if _, err := src.Verify(header(paddle.Sign(bad, now, secret)), bad); !errors.Is(err, sources.ErrMalformed) {
		t.Errorf("Verify(no event_id) = %v, want ErrMalformed", err)
	}
}
