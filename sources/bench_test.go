package sources_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
)

const benchSecret = "whsec_receiver_bench"

// benchEvent returns a 2.6 KB Stripe event with id evt_bench<seq>.
func benchEvent(seq int) []byte {
	head := fmt.Sprintf(`{"id":"evt_bench%014d","object":"event","api_version":"2023-10-16","created":%d,`+
		`"type":"invoice.paid","data":{"object":{"object":"invoice","amount_paid":4900,"metadata":{"note":"`,
		seq, time.Now().Unix())
	return []byte(head + strings.Repeat("x", 2600-len(head)-5) + `"}}}}`)
}

// signedPool pre-signs n events so the timed loop only sends them.
func signedPool(n int) (bodies [][]byte, sigs []string) {
	now := time.Now()
	for seq := range n {
		body := benchEvent(seq)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload: body, Secret: benchSecret, Timestamp: now})
		bodies, sigs = append(bodies, body), append(sigs, signed.Header)
	}
	return bodies, sigs
}

// BenchmarkReceiver is the whole intake path over real HTTP: 32 clients
// (keep-alive) POST distinct signed 2.6 KB Stripe events; each is verified,
// parsed and durably committed with its receipt before the 200.
func BenchmarkReceiver(b *testing.B) {
	db, err := ledger.Open(context.Background(), filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	src, err := stripe.New(stripe.Config{WebhookSecrets: []string{benchSecret}})
	if err != nil {
		b.Fatal(err)
	}
	rv := sources.NewReceiver(db, []sources.Source{src}, sources.ReceiverOptions{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(rv)
	b.Cleanup(srv.Close)
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	bodies, sigs := signedPool(b.N)
	var next atomic.Int64
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	b.SetParallelism(max(32/runtime.GOMAXPROCS(0), 1))
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if status := postSigned(srv, bodies[i], sigs[i]); status != http.StatusOK {
				b.Errorf("POST status = %d, want 200", status)
				return
			}
		}
	})
}

// cpuTime returns the CPU time (user and system) this process used so far:
// on a shared machine it moves far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func postSigned(srv *httptest.Server, body []byte, sig string) int {
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sig)
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
