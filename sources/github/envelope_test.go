package github

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/hookledger/hookledger/sources"
)

func TestParseEnvelope(t *testing.T) {
	form := url.Values{"payload": {`{"action":"closed"}`}}.Encode()
	tests := []struct {
		name        string
		header      map[string]string
		body        string
		wantAction  string
		wantType    string
		wantContent string
		wantErr     error
	}{
		{name: "json with action", body: `{"action":"opened","x":{"action":"nested"}}`, wantAction: "opened", wantContent: "application/json"},
		{name: "json without action", body: `{"ref":"refs/heads/main"}`},
		{name: "action not a string", body: `{"action":5}`},
		{name: "leading whitespace", body: " \n{\"action\":\"a\"}", wantAction: "a"},
		{name: "unicode escape in action", body: `{"action":"re\u006fpened"}`, wantAction: "reopened"},
		{name: "content type with charset", header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, body: `{}`, wantContent: "application/json"},
		{name: "form payload", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: form, wantAction: "closed", wantContent: "application/x-www-form-urlencoded"},
		{name: "form without payload", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "a=b", wantErr: ErrBadPayload},
		{name: "form with bad payload", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "payload=%5B%5D", wantErr: ErrBadPayload},
		{name: "array", body: `[{"action":"opened"}]`, wantErr: ErrBadPayload},
		{name: "null", body: `null`, wantErr: ErrBadPayload},
		{name: "empty", body: ``, wantErr: ErrBadPayload},
		{name: "truncated", body: `{"action":"op`, wantErr: ErrBadPayload},
		{name: "trailing garbage", body: `{"action":"opened"} x`, wantErr: ErrBadPayload},
		{name: "no delivery", header: map[string]string{DeliveryHeader: ""}, body: `{}`, wantErr: ErrNoDelivery},
		{name: "no event", header: map[string]string{EventHeader: ""}, body: `{}`, wantErr: ErrNoEvent},
		{name: "unknown event type", header: map[string]string{EventHeader: "brand_new_event"}, body: `{}`, wantType: "brand_new_event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(DeliveryHeader, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			h.Set(EventHeader, "issues")
			h.Set(HookIDHeader, "12")
			h.Set(SignatureHeader, "sha256=00")
			h.Set("X-Hub-Signature", "sha1=00")
			for k, v := range tt.header {
				h.Set(k, v)
			}
			env, err := ParseEnvelope(h, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ParseEnvelope() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, sources.ErrMalformed) {
					t.Errorf("ParseEnvelope() error = %v, does not wrap sources.ErrMalformed", err)
				}
				return
			}
			wantType := tt.wantType
			if wantType == "" {
				wantType = "issues"
			}
			if env.Action != tt.wantAction || env.Event != wantType || env.HookID != "12" {
				t.Errorf("ParseEnvelope() = %+v, want action %q type %q hook 12", env, tt.wantAction, wantType)
			}
			if tt.wantContent != "" && env.ContentType != tt.wantContent {
				t.Errorf("ContentType = %q, want %q", env.ContentType, tt.wantContent)
			}
			for k := range env.Headers {
				if k == SignatureHeader || k == "X-Hub-Signature" {
					t.Errorf("Headers keeps signature header %s", k)
				}
			}
			if env.Headers["X-Github-Delivery"] == "" {
				t.Errorf("Headers = %v, want the delivery GUID kept", env.Headers)
			}
		})
	}
}
