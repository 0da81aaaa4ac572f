package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/stripe/stripe-go/v76/webhook"
)

// TestServeCapsConnections: idle keep-alive connections from strangers
// must not exhaust file descriptors (the red-team run's 20,000 reached
// `accept4: too many open files`). Past HOOKLEDGER_MAX_CONNS, new
// connections wait unserved until a held one closes.
func TestServeCapsConnections(t *testing.T) {
	const maxConns, dialed = 10, 30
	url, _ := startServeInProcess(t, map[string]string{
		"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "serve.db"), "STRIPE_WEBHOOK_SECRET": "whsec_caps",
		"HOOKLEDGER_MAX_CONNS": fmt.Sprint(maxConns),
	}, "--no-schedule", "--ledger-only")
	addr := strings.TrimPrefix(url, "http://")
	conns := make([]net.Conn, dialed)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: hookledger\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	deadline := time.Now().Add(time.Second)
	var answered, waiting []net.Conn
	for _, c := range conns {
		if readAnswer(c, time.Until(deadline)) {
			answered = append(answered, c)
		} else {
			waiting = append(waiting, c)
		}
	}
	if len(answered) != maxConns {
		t.Fatalf("%d of %d connections served at once, want %d", len(answered), dialed, maxConns)
	}
	for _, c := range answered {
		c.Close()
	}
	for i, c := range waiting[:maxConns] {
		if !readAnswer(c, 5*time.Second) {
			t.Errorf("waiting connection %d not served after others closed", i)
		}
	}
}

// readAnswer reports whether a 200 answer arrives on c within d.
func readAnswer(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(max(d, time.Millisecond)))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "HTTP/1.1 200")
}

// TestServeMaxBody: HOOKLEDGER_MAX_BODY sets the body limit; bad values
// of it and of HOOKLEDGER_TRUSTED_PROXIES are usage errors naming the
// setting.
func TestServeMaxBody(t *testing.T) {
	const secret = "whsec_max_body"
	url, _ := startServeInProcess(t, map[string]string{
		"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "serve.db"), "STRIPE_WEBHOOK_SECRET": secret,
		"HOOKLEDGER_MAX_BODY": "2KiB",
	}, "--no-schedule", "--ledger-only")
	post := func(pad int) int {
		payload := []byte(fmt.Sprintf(`{"id":"evt_size_%d","object":"event","type":"charge.succeeded","created":%d,"pad":%q}`,
			pad, time.Now().Unix(), strings.Repeat("x", pad)))
		req, _ := http.NewRequest("POST", url+"/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(1000); got != 200 {
		t.Errorf("1 KB event under a 2 KiB limit: status %d, want 200", got)
	}
	if got := post(3000); got != 413 {
		t.Errorf("3 KB event over a 2 KiB limit: status %d, want 413", got)
	}
	for name, value := range map[string]string{
		"HOOKLEDGER_MAX_BODY": "lots", "HOOKLEDGER_TRUSTED_PROXIES": "10.0.0.0/33", "HOOKLEDGER_MAX_CONNS": "0",
	} {
		env, _, stderr := testEnv(map[string]string{
			"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "x.db"), "STRIPE_WEBHOOK_SECRET": secret, name: value,
		})
		err := runWith(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0"})
		var msg bytes.Buffer
		if app.ExitCode(err, &msg) != app.ExitUsage || !strings.Contains(msg.String()+stderr.String(), name) {
			t.Errorf("%s=%s: error %v (%s), want a usage error naming it", name, value, err, msg.String())
		}
	}
}
