package standard_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources/internal/nodetest"
	"github.com/hookledger/hookledger/sources/standard"
)

// npmStandardWebhooks is the reference JavaScript library of the
// specification.
const npmStandardWebhooks = "standardwebhooks@1.1.1"

// signScript signs each message of stdin with the npm library:
// {"secret", "messages": [{"id", "ts", "body"}]} → ["v1,…", …].
const signScript = `
const { Webhook } = require("standardwebhooks");
let input = ""; process.stdin.on("data", d => input += d).on("end", () => {
  const { secret, messages } = JSON.parse(input);
  const wh = new Webhook(secret);
  console.log(JSON.stringify(messages.map(m => wh.sign(m.id, new Date(m.ts * 1000), m.body))));
});`

// verifyScript verifies each request of stdin with the npm library and
// prints, per request, "ok" or its error message.
const verifyScript = `
const { Webhook } = require("standardwebhooks");
let input = ""; process.stdin.on("data", d => input += d).on("end", () => {
  const { secret, requests } = JSON.parse(input);
  const wh = new Webhook(secret);
  console.log(JSON.stringify(requests.map(r => {
    try { wh.verify(r.body, r.headers); return "ok"; } catch (e) { return String(e.message); }
  })));
});`

type message struct {
	ID   string `json:"id"`
	TS   int64  `json:"ts"`
	Body string `json:"body"`
}

// TestVerifiesNPMStandardWebhooksSignatures signs messages with the npm
// standardwebhooks library, under the webhook- and the svix- header names,
// and checks that our Verify accepts each one and rejects it tampered.
func TestVerifiesNPMStandardWebhooksSignatures(t *testing.T) {
	dir := nodetest.Install(t, npmStandardWebhooks)
	now := time.Unix(1_700_000_000, 0)
	msgs := []message{
		{"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now.Unix(), `{"type":"user.created","data":{"id":"user_1"}}`},
		{"msg_unicode", now.Unix() - 200, `{"type":"email.sent","data":{"subject":"héllo ☃"}}`},
		{"msg_nothing_typed", now.Unix() + 100, `{"data":[1,2,3]}`},
	}
	in, _ := json.Marshal(map[string]any{"secret": testSecret, "messages": msgs})
	var sigs []string
	if err := json.Unmarshal(nodetest.Run(t, dir, signScript, in), &sigs); err != nil || len(sigs) != len(msgs) {
		t.Fatalf("npm signer output: %v, %d signatures", err, len(sigs))
	}
	src := newSource(t, now, testSecret)
	for i, m := range msgs {
		for _, family := range []string{"webhook", "svix"} {
			h := headers(family, m.ID, m.TS, sigs[i])
			ev, err := src.Verify(h, []byte(m.Body))
			if err != nil {
				t.Errorf("%s %s: Verify() = %v, want nil", family, m.ID, err)
				continue
			}
			if ev.EventID != m.ID || string(ev.Payload) != m.Body || ev.CreatedAt.Unix() != m.TS {
				t.Errorf("%s %s: event %q %q at %d, want the message untouched", family, m.ID, ev.EventID, ev.Payload, ev.CreatedAt.Unix())
			}
			if _, err := src.Verify(h, []byte(m.Body+" ")); !errors.Is(err, standard.ErrBadSignature) {
				t.Errorf("%s %s tampered: Verify() = %v, want ErrBadSignature", family, m.ID, err)
			}
		}
	}
}

// TestNPMStandardWebhooksVerifiesOurSignatures checks the other way round:
// what Sign produces (our fakes and the demo sign with it) passes the npm
// library's verify, and a wrong secret does not.
func TestNPMStandardWebhooksVerifiesOurSignatures(t *testing.T) {
	dir := nodetest.Install(t, npmStandardWebhooks)
	keys, err := standard.DecodeSecrets([]string{testSecret})
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := standard.DecodeSecrets([]string{otherSecret})
	now := time.Now().Unix() // the npm library checks against its own clock
	type request struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	body := `{"type":"invoice.paid","data":{"amount":42}}`
	var reqs []request
	for i, key := range [][]byte{keys[0], wrong[0]} {
		msg := standard.Message{ID: fmt.Sprintf("msg_%d", i), Timestamp: now}
		reqs = append(reqs, request{Body: body, Headers: map[string]string{
			"webhook-id": msg.ID, "webhook-timestamp": fmt.Sprint(now), "webhook-signature": standard.Sign([]byte(body), key, msg),
		}})
	}
	in, _ := json.Marshal(map[string]any{"secret": testSecret, "requests": reqs})
	var got []string
	if err := json.Unmarshal(nodetest.Run(t, dir, verifyScript, in), &got); err != nil || len(got) != 2 {
		t.Fatalf("npm verifier output: %v, %v", err, got)
	}
	if got[0] != "ok" {
		t.Errorf("npm verify of our signature = %q, want ok", got[0])
	}
	if got[1] == "ok" {
		t.Error("npm verify accepted a signature made with another secret")
	}
}

func headers(family, id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(family+"-id", id)
	h.Set(family+"-timestamp", fmt.Sprint(ts))
	h.Set(family+"-signature", sig)
	return h
}
