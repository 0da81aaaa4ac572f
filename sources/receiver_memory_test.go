package sources_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/sources"
)

// TestReceiverMemoryBounded runs the receiver alone in a child process on
// 127.0.0.1 and measures its memory under two floods from the red-team
// run: 100,000 requests for unknown sources (RSS and /metrics size after),
// then 200 concurrent signed 1 MiB bodies (peak RSS, which must stay under
// 300 MB; before the body budget it reached 594 MB). Requests over the
// budget are answered 503 with Retry-After, never dropped silently: every
// event answered 200 is in the ledger. Under -race RSS means nothing, so
// .ci/run runs it again without the race detector.
func TestReceiverMemoryBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("RSS is meaningless under -race; .ci/run runs this test without it")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReceiverMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "HOOKLEDGER_RECEIVER_CHILD="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var base string
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "CHILD ADDR "); ok {
			base = "http://" + rest
			break
		}
	}
	if base == "" {
		t.Fatal("child did not start")
	}
	go io.Copy(io.Discard, stdout)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

	startRSS, _ := childMem(t, client, base)
	unknownFlood(t, client, base, floodRequests)
	rss, _ := childMem(t, client, base)
	size := len(get(t, client, base+"/metrics"))
	t.Logf("after %d unknown-source requests: RSS %d MB (from %d MB), /metrics %d bytes", floodRequests, rss>>10, startRSS>>10, size)
	if size > 64<<10 {
		t.Errorf("/metrics is %d bytes after the flood, want under 64 KiB", size)
	}

	acked, statuses := bodyFlood(t, client, base, 200, sources.DefaultMaxBody-512)
	_, hwm := childMem(t, client, base)
	t.Logf("200 concurrent 1 MiB bodies: statuses %v, peak RSS %d MB", statuses, hwm>>10)
	if hwm>>10 >= 300 {
		t.Errorf("peak RSS %d MB under 200 concurrent 1 MiB bodies, want under 300 MB", hwm>>10)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	db, err := ledger.Open(context.Background(), filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range acked {
		if _, err := db.Event(context.Background(), "stripe", id); err != nil {
			t.Errorf("%s was answered 200 but is not in the ledger: %v", id, err)
		}
	}
}

// unknownFlood sends n requests for random unconfigured sources, from 8
// keep-alive connections.
func unknownFlood(t *testing.T, client *http.Client, base string, n int) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				resp, err := client.Post(fmt.Sprintf("%s/webhooks/x%08x", base, i*2654435761), "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("unknown source: status %d, want 404", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
}

// bodyFlood sends n signed Stripe events of about size bytes at once and
// returns the ids answered 200 and the count of each status. Every answer
// must be 200, or 503 with Retry-After.
func bodyFlood(t *testing.T, client *http.Client, base string, n, size int) ([]string, map[int]int) {
	bodies := make([][]byte, n)
	for i := range bodies {
		id := fmt.Sprintf("evt_big_%03d", i)
		head := fmt.Sprintf(`{"id":%q,"object":"event","created":%d,"type":"invoice.paid","data":{"object":{"id":"in_1","pad":"`, id, time.Now().Unix())
		tail := `"}}}`
		bodies[i] = append(append([]byte(head), bytes.Repeat([]byte("x"), size-len(head)-len(tail))...), tail...)
	}
	var mu sync.Mutex
	var acked []string
	statuses := map[int]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", base+"/webhooks/stripe", bytes.NewReader(body))
			req.Header.Set("Stripe-Signature", signStripe(body, stripeSecret, time.Now()))
			<-start
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			switch {
			case resp.StatusCode == http.StatusOK:
				acked = append(acked, fmt.Sprintf("evt_big_%03d", i))
			case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
			default:
				t.Errorf("status %d (Retry-After %q), want 200, or 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
	close(start)
	wg.Wait()
	return acked, statuses
}

// childMem returns the child's VmRSS and VmHWM in kB.
func childMem(t *testing.T, client *http.Client, base string) (rss, hwm int) {
	fields := strings.Fields(get(t, client, base+"/mem"))
	if len(fields) != 2 {
		t.Fatalf("child /mem = %q", fields)
	}
	rss, _ = strconv.Atoi(fields[0])
	hwm, _ = strconv.Atoi(fields[1])
	return rss, hwm
}

func get(t *testing.T, client *http.Client, url string) string {
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestReceiverMemoryChild is the child half of TestReceiverMemoryBounded:
// the receiver with its metrics, as serve wires them, until stdin closes.
func TestReceiverMemoryChild(t *testing.T) {
	dir := os.Getenv("HOOKLEDGER_RECEIVER_CHILD")
	if dir == "" {
		t.Skip("run by TestReceiverMemoryBounded")
	}
	db, err := ledger.Open(context.Background(), filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New(prometheus.NewRegistry(), db)
	rv := sources.NewReceiver(db, []sources.Source{stripeSource(t)}, sources.ReceiverOptions{
		Logger: slog.New(slog.DiscardHandler), Observer: m})
	mux := http.NewServeMux()
	mux.Handle("/", rv)
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d\n", procStatus(t, "VmRSS:"), procStatus(t, "VmHWM:"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("CHILD ADDR %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// procStatus reads a kB figure from /proc/self/status.
func procStatus(t *testing.T, key string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Error(err)
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
