package handler

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func testDelivery() ledger.Delivery {
	return ledger.Delivery{
		Event: &ledger.Event{ID: 7, Source: "stripe", EventID: "evt_1", Type: "invoice.paid",
			ContentType: "application/json; charset=utf-8", Payload: []byte(`{"id":"evt_1"}`)},
		Attempt: 3,
		Origin:  ledger.OriginReconcile,
	}
}

func TestForwardSendsHeadersAndSignature(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("forward-secret"))
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = r.Header.Clone(), r.Method
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	f, err := NewForward(ForwardConfig{URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Handle(context.Background(), testDelivery()); err != nil {
		t.Fatalf("Handle() = %v, want nil", err)
	}
	want := map[string]string{
		"Content-Type":          "application/json; charset=utf-8",
		"Idempotency-Key":       "evt_1",
		"Hookledger-Event-Id":   "evt_1",
		"Hookledger-Source":     "stripe",
		"Hookledger-Event-Type": "invoice.paid",
		"Hookledger-Origin":     "reconcile",
		"Hookledger-Attempt":    "3",
		"Webhook-Id":            "evt_1",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if string(body) != `{"id":"evt_1"}` {
		t.Errorf("body = %q, want the raw payload", body)
	}
	if err := verifyStandardWebhook(secret, got, body); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

func TestForwardUnsignedWithoutSecret(t *testing.T) {
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig = r.Header.Get("Webhook-Signature") + r.Header.Get("Webhook-Id")
	}))
	defer srv.Close()
	f, err := NewForward(ForwardConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Handle(context.Background(), testDelivery()); err != nil || sig != "" {
		t.Errorf("Handle() = %v with signature headers %q; want nil and none", err, sig)
	}
}

func TestForwardClassifiesStatus(t *testing.T) {
	tests := []struct {
		status    int
		wantErr   bool
		permanent bool
	}{
		{200, false, false},
		{204, false, false},
		{302, true, false},
		{400, true, true},
		{404, true, true},
		{408, true, false},
		{409, true, false},
		{422, true, true},
		{429, true, false},
		{500, true, false},
		{503, true, false},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(tt.status)
			io.WriteString(w, "bad\nthing "+strings.Repeat("x", 500))
		}))
		f, err := NewForward(ForwardConfig{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		err = f.Handle(context.Background(), testDelivery())
		srv.Close()
		if (err != nil) != tt.wantErr || ledger.IsPermanent(err) != tt.permanent {
			t.Errorf("status %d: Handle() = %v (permanent %v), want error %v, permanent %v",
				tt.status, err, ledger.IsPermanent(err), tt.wantErr, tt.permanent)
		}
		if tt.permanent && (!strings.Contains(err.Error(), "bad thing x") || len(err.Error()) > 300) {
			t.Errorf("status %d: reason %q, want a short one-line snippet of the body", tt.status, err)
		}
	}
}

func TestForwardTimeoutRetries(t *testing.T) {
	unblock := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-unblock:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(unblock)
	f, err := NewForward(ForwardConfig{URL: srv.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Handle(context.Background(), testDelivery())
	if err == nil || ledger.IsPermanent(err) {
		t.Errorf("Handle() on a hung downstream = %v, want a retryable error", err)
	}
}

func TestNewForwardRejectsBadConfig(t *testing.T) {
	for _, cfg := range []ForwardConfig{
		{URL: "not a url"},
		{URL: "ftp://example.test/"},
		{URL: "http://127.0.0.1/", Secret: "whsec_%%%"},
	} {
		if _, err := NewForward(cfg); err == nil {
			t.Errorf("NewForward(%q) = nil error, want an error", cfg.URL)
		} else if cfg.Secret != "" && strings.Contains(err.Error(), cfg.Secret) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
