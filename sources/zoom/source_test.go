package zoom_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/nodetest"
	"github.com/hookledger/hookledger/sources/internal/rxtest"
	"github.com/hookledger/hookledger/sources/zoom"
	"github.com/hookledger/hookledger/sources/zoom/zoomtest"
)

const (
	token    = "q4Rw3eXgS9yhZ1mK7pA2bC"
	oldToken = "old-zoom-secret-token-7f3"
)

func newSource(now time.Time, tokens ...string) *zoom.Source {
	return zoom.New(zoom.Config{SecretTokens: tokens, Now: func() time.Time { return now }})
}

// zoomSampleScript is the verification and URL-validation code of Zoom's
// webhook documentation, run by node on each request of stdin: it prints,
// per request, whether the signature is Zoom's and, for a URL validation,
// the answer Zoom expects.
const zoomSampleScript = `
const crypto = require("crypto");
let input = ""; process.stdin.on("data", d => input += d).on("end", () => {
  const { secret, requests } = JSON.parse(input);
  console.log(JSON.stringify(requests.map(r => {
    const message = "v0:" + r.headers["x-zm-request-timestamp"] + ":" + r.body;
    const hash = crypto.createHmac("sha256", secret).update(message).digest("hex");
    const valid = r.headers["x-zm-signature"] === "v0=" + hash;
    const body = JSON.parse(r.body);
    let answer = null;
    if (body.event === "endpoint.url_validation") {
      answer = { plainToken: body.payload.plainToken,
        encryptedToken: crypto.createHmac("sha256", secret).update(body.payload.plainToken).digest("hex") };
    }
    return { valid, answer };
  })));
});`

// TestZoomDocumentedSampleAgrees runs Zoom's documented sample code (node's
// crypto, not ours) on what zoomtest signs, and checks that it finds our
// signatures valid and expects the very answer our receiver gives to a URL
// validation.
func TestZoomDocumentedSampleAgrees(t *testing.T) {
	dir := nodetest.Install(t)
	now := time.Now()
	bodies := [][]byte{
		zoomtest.URLValidation("qgg8vlvZRS6UYooatFL8Aw", now),
		zoomtest.Notification("meeting.ended", "AAAAAABBBB", 1234567890, now),
	}
	type request struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	var reqs []request
	for _, b := range bodies {
		h := zoomtest.Header(token, now, b)
		reqs = append(reqs, request{Body: string(b), Headers: map[string]string{
			"x-zm-request-timestamp": h.Get(zoom.TimestampHeader), "x-zm-signature": h.Get(zoom.SignatureHeader)}})
	}
	in, _ := json.Marshal(map[string]any{"secret": token, "requests": reqs})
	var got []struct {
		Valid  bool            `json:"valid"`
		Answer json.RawMessage `json:"answer"`
	}
	if err := json.Unmarshal(nodetest.Run(t, dir, zoomSampleScript, in), &got); err != nil || len(got) != 2 {
		t.Fatalf("node output: %v (%d results)", err, len(got))
	}
	h := rxtest.New(t, zoom.New(zoom.Config{SecretTokens: []string{oldToken, token}}))
	for i, b := range bodies {
		if !got[i].Valid {
			t.Errorf("request %d: Zoom's sample code rejects our signature", i)
		}
		status, answer := h.Post(t, "/webhooks/zoom", zoomtest.Header(token, now, b), b)
		if status != http.StatusOK {
			t.Fatalf("request %d: %d, want 200", i, status)
		}
		if i == 0 && !sameJSON(t, answer, got[0].Answer) {
			t.Errorf("url_validation answer %s, Zoom's sample expects %s", answer, got[0].Answer)
		}
	}
	events := h.Events(t, "zoom")
	if len(events) != 1 || events[0].Type != "meeting.ended" {
		t.Fatalf("ledger holds %d zoom events, want the meeting.ended only (the handshake is not stored)", len(events))
	}
	if h.Count("handshake") != 1 {
		t.Errorf("handshakes counted %d, want 1", h.Count("handshake"))
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	var x, y map[string]string
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return len(x) == 2 && x["plainToken"] == y["plainToken"] && x["encryptedToken"] == y["encryptedToken"]
}

func TestVerifyCases(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := zoomtest.Notification("meeting.ended", "acct1", 42, now)
	for _, tc := range []struct {
		name   string
		tokens []string
		header http.Header
		body   []byte
		want   error
	}{
		{"valid", []string{token}, zoomtest.Header(token, now, body), body, nil},
		{"rotated", []string{oldToken, token}, zoomtest.Header(oldToken, now, body), body, nil},
		{"tampered", []string{token}, zoomtest.Header(token, now, body), append(body, ' '), zoom.ErrBadSignature},
		{"wrong token", []string{token}, zoomtest.Header(oldToken, now, body), body, zoom.ErrBadSignature},
		{"stale", []string{token}, zoomtest.Header(token, now.Add(-301*time.Second), body), body, zoom.ErrTooOld},
		{"future", []string{token}, zoomtest.Header(token, now.Add(301*time.Second), body), body, zoom.ErrTooNew},
		{"no token", nil, zoomtest.Header(token, now, body), body, zoom.ErrNoSecret},
		{"no headers", []string{token}, http.Header{}, body, zoom.ErrNoSignature},
		{"not JSON", []string{token}, zoomtest.Header(token, now, []byte("{")), []byte("{"), sources.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := newSource(now, tc.tokens...).Verify(tc.header, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify() = %v, want %v", err, tc.want)
			}
			wantID := "meeting.ended:" + strconv.FormatInt(now.UnixMilli(), 10)
			if err == nil && (ev.EventID != wantID || ev.Account != "acct1" || !ev.CreatedAt.Equal(now)) {
				t.Errorf("Verify() = %+v, want %s of acct1", ev, wantID)
			}
			if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), oldToken)) {
				t.Errorf("error %q names a token", err)
			}
		})
	}
}

// TestURLValidationAnsweredWithTheTokenThatVerified: during a rotation the
// answer is made with whichever token signed the request, and a forged
// validation is refused.
func TestURLValidationAnsweredWithTheTokenThatVerified(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	src := newSource(now, oldToken, token)
	body := zoomtest.URLValidation("plain-123", now)
	for _, signer := range []string{oldToken, token} {
		a, err := src.Handshake(zoomtest.Header(signer, now, body), body)
		if err != nil || a == nil {
			t.Fatalf("Handshake() = %v, %v", a, err)
		}
		var got map[string]string
		if err := json.Unmarshal(a.Body, &got); err != nil || got["encryptedToken"] != zoom.EncryptToken(signer, "plain-123") {
			t.Errorf("answer %s, want the token HMAC'd with the signing token", a.Body)
		}
	}
	if _, err := src.Handshake(zoomtest.Header("forged", now, body), body); !errors.Is(err, zoom.ErrBadSignature) {
		t.Errorf("forged Handshake() = %v, want ErrBadSignature", err)
	}
	if _, err := src.Verify(zoomtest.Header(token, now, body), body); !errors.Is(err, sources.ErrMalformed) {
		t.Errorf("Verify(url_validation) = %v, want ErrMalformed: a handshake is never an event", err)
	}
}

// TestRetriesAreDuplicates: Zoom resends the same body; the ledger keeps one.
func TestRetriesAreDuplicates(t *testing.T) {
	now := time.Now()
	h := rxtest.New(t, zoom.New(zoom.Config{SecretTokens: []string{token}}))
	body := zoomtest.Notification("recording.completed", "acct", 7, now.Add(-time.Minute))
	for range 3 {
		if status, _ := h.Post(t, "/webhooks/zoom", zoomtest.Header(token, now, body), body); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	if n := len(h.Events(t, "zoom")); n != 1 || h.Count("duplicate") != 2 {
		t.Errorf("%d events, %d duplicates; want 1 and 2", n, h.Count("duplicate"))
	}
}
