package paddle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	paddlesdk "github.com/PaddleHQ/paddle-go-sdk/v4"

	"github.com/hookledger/hookledger/sources/internal/nodetest"
	"github.com/hookledger/hookledger/sources/paddle"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
)

// npmPaddle is Paddle's official Node.js SDK.
const npmPaddle = "@paddle/paddle-node-sdk@3.10.0"

// nodeVerifyScript checks each request of stdin with the Node SDK: the
// signature alone (isSignatureValid) and the whole webhook (unmarshal,
// which also parses the event), printing the event id it read or the error.
const nodeVerifyScript = `
const { Paddle, Environment } = require("@paddle/paddle-node-sdk");
let input = ""; process.stdin.on("data", d => input += d).on("end", async () => {
  const { secret, requests } = JSON.parse(input);
  const paddle = new Paddle("pdl_sdbx_apikey_unused", { environment: Environment.sandbox });
  const out = [];
  for (const r of requests) {
    const valid = await paddle.webhooks.isSignatureValid(r.body, secret, r.signature);
    let event = null, error = null;
    try { event = (await paddle.webhooks.unmarshal(r.body, secret, r.signature)).eventId; } catch (e) { error = String(e.message || e); }
    out.push({ valid, event, error });
  }
  console.log(JSON.stringify(out));
});`

// captured is what a destination received.
type captured struct {
	header http.Header
	body   []byte
}

// captureDestination serves a destination that keeps every request.
func captureDestination(t *testing.T) (string, func() []captured) {
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Header.Clone(), body})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// TestPaddleSDKsVerifyTheFakesWebhooks: what paddletest sends (and so what
// our tests and the demo feed the receiver) passes both of Paddle's own
// verifiers, the Go SDK's WebhookVerifier and the Node SDK's, and the Node
// SDK reads the same event id from it as our Verify.
func TestPaddleSDKsVerifyTheFakesWebhooks(t *testing.T) {
	dir := nodetest.Install(t, npmPaddle)
	url, received := captureDestination(t)
	fake := paddletest.NewServer()
	t.Cleanup(fake.Close)
	st := fake.AddSetting(url, secret)
	var ns []*paddletest.Notification
	for i, typ := range paddletest.Types {
		ns = append(ns, fake.AddEvent(st, typ, time.Now().Add(-time.Duration(i+1)*time.Minute), nil))
	}
	if _, err := fake.Send(context.Background(), st, ns, paddletest.Plan{}); err != nil {
		t.Fatal(err)
	}
	reqs := received()
	if len(reqs) != len(ns) {
		t.Fatalf("destination received %d, want %d", len(reqs), len(ns))
	}
	type request struct {
		Body      string `json:"body"`
		Signature string `json:"signature"`
	}
	var in []request
	ours, _ := paddle.New(paddle.Config{WebhookSecrets: []string{secret}})
	goSDK := paddlesdk.NewWebhookVerifier(secret, paddlesdk.VerifierWithTimestampTolerance(time.Minute))
	for i, r := range reqs {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/paddle", bytes.NewReader(r.body))
		req.Header = r.header
		if ok, err := goSDK.Verify(req); !ok || err != nil {
			t.Errorf("request %d: Go SDK Verify() = %v, %v", i, ok, err)
		}
		if ev, err := ours.Verify(r.header, r.body); err != nil || ev.EventID != ns[i].EventID {
			t.Errorf("request %d: our Verify() = %v, %v", i, ev, err)
		}
		in = append(in, request{string(r.body), r.header.Get(paddle.SignatureHeader)})
	}
	// A tampered body must fail the Node SDK too, or the check proves nothing.
	in = append(in, request{in[0].Body + " ", in[0].Signature})
	stdin, _ := json.Marshal(map[string]any{"secret": secret, "requests": in})
	var got []struct {
		Valid bool   `json:"valid"`
		Event string `json:"event"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(nodetest.Run(t, dir, nodeVerifyScript, stdin), &got); err != nil || len(got) != len(in) {
		t.Fatalf("node output: %v (%d results)", err, len(got))
	}
	for i, ev := range ns {
		if !got[i].Valid || got[i].Event != ev.EventID {
			t.Errorf("request %d: Node SDK valid %v, event %q (%s); want valid, %s", i, got[i].Valid, got[i].Event, got[i].Error, ev.EventID)
		}
	}
	if last := got[len(got)-1]; last.Valid || last.Event != "" {
		t.Errorf("Node SDK accepted a tampered body: %+v", last)
	}
}
