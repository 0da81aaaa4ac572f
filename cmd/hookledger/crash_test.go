package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/ledger"
)

// binDir holds the binary buildBinary built; TestMain removes it.
var binDir string

// buildBinary compiles this command once per test binary run, stamped with
// the checkout's commit when there is one (-buildvcs=auto overrides a
// GOFLAGS=-buildvcs=false).
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hookledger-bin")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "hookledger")
	out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

var addrRE = regexp.MustCompile(`msg="hookledger serving" addr=(\S+)`)

// startServe runs `hookledger serve` as a child process and returns it with
// its listen address once it accepts connections.
func startServe(t *testing.T, bin string, env []string) (*exec.Cmd, string) {
	t.Helper()
	return startServeArgs(t, bin, env, "--no-schedule")
}

// startServeArgs is startServe with serve's extra arguments args.
func startServeArgs(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case addr := <-addrc:
		return cmd, addr
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not start within 30s")
		return nil, ""
	}
}

// TestCrashKeepsEveryAcknowledgedEvent sends a stream of signed Stripe
// webhooks, SIGKILLs the receiver (and its processor, mid-delivery) several
// times, restarts it, and checks that every request answered 2xx is in the
// ledger once, and that after recovery every event reached the downstream
// app under its own Idempotency-Key.
func TestCrashKeepsEveryAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	eachLedger(t, func(t *testing.T, dsn string) { checkCrashes(t, bin, dsn) })
}

// checkCrashes is TestCrashKeepsEveryAcknowledgedEvent on the ledger dsn
// names.
func checkCrashes(t *testing.T, bin, dsn string) {
	const secret = "whsec_crash_test"
	app := newCountingApp(t)
	env := []string{"HOOKLEDGER_DB=" + dsn, "STRIPE_WEBHOOK_SECRET=" + secret,
		"HOOKLEDGER_FORWARD_URL=" + app.srv.URL, "HOOKLEDGER_EXEC=",
		// Short leases so events a killed process held are retaken quickly.
		"HOOKLEDGER_HANDLER_TIMEOUT=1s", "HOOKLEDGER_LEASE=2s", "HOOKLEDGER_RETRY_BASE=100ms"}

	load := &crashLoad{secret: secret, client: &http.Client{Timeout: 5 * time.Second}}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("HOOKLEDGER_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v // a longer run by hand: HOOKLEDGER_CRASH_ROUNDS=20
	}
	for round := 0; round < rounds; round++ {
		cmd, addr := startServe(t, bin, env)
		// Kill after a varying amount of traffic, mid-stream.
		load.untilKilled(t, cmd, addr, int64(200+(round%4)*150))
	}

	// Recovery: one more start processes whatever the killed ones left.
	cmd, _ := startServe(t, bin, env)
	db := openTestLedger(t, dsn)
	waitSettled(t, db, 60*time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v, want a clean exit", err)
	}

	total := load.checkInLedger(t, db)
	rows, twice := checkDeliveredOnce(t, db, app)
	t.Logf("%d acknowledged events, %d rows, all in the ledger after %d SIGKILLs; %d delivered twice (killed mid-delivery)",
		total, rows, rounds, twice)
}

// crashLedger is what the crash test reads of a ledger, whichever its
// backend.
type crashLedger interface {
	Event(ctx context.Context, source, eventID string) (*ledger.Event, error)
	Events(ctx context.Context, f ledger.EventFilter) iter.Seq2[*ledger.Event, error]
	QueueStats(ctx context.Context) (*ledger.QueueStats, error)
}

// crashLoad is the webhook traffic of the crash test: signed Stripe events
// with fresh ids from 16 senders, and the ids the receiver acknowledged.
type crashLoad struct {
	secret string
	client *http.Client
	next   atomic.Int64
	acked  sync.Map // event id → true, for every 2xx answer
}

// untilKilled sends events to the serve process cmd at addr and SIGKILLs
// it once at least sent requests were answered (or a minute passed).
func (l *crashLoad) untilKilled(t *testing.T, cmd *exec.Cmd, addr string, sent int64) {
	t.Helper()
	var wg sync.WaitGroup
	var answered atomic.Int64
	stop := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !l.send(addr) {
					return // the server died under us
				}
				answered.Add(1)
			}
		})
	}
	// Bounded: should serve die by itself, the kill below is harmless and
	// the final count of acknowledged events fails the test.
	deadline := time.Now().Add(time.Minute)
	for answered.Load() < sent && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	cmd.Wait()
}

// send posts one new signed event and notes it when acknowledged. It
// returns false when the request failed in transport.
func (l *crashLoad) send(addr string) bool {
	id := fmt.Sprintf("evt_crash_%06d", l.next.Add(1))
	payload := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":%d,"data":{"object":{}}}`,
		id, time.Now().Unix()))
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: l.secret}).Header
	req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Stripe-Signature", sig)
	resp, err := l.client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		l.acked.Store(id, true)
	}
	return true
}

// checkInLedger checks that every acknowledged event is in db and returns
// how many were acknowledged.
func (l *crashLoad) checkInLedger(t *testing.T, db crashLedger) int {
	t.Helper()
	missing, total := 0, 0
	l.acked.Range(func(k, _ any) bool {
		total++
		if _, err := db.Event(context.Background(), "stripe", k.(string)); err != nil {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged %s is not in the ledger: %v", k, err)
			}
		}
		return true
	})
	if total < 500 {
		t.Fatalf("only %d requests acknowledged; the test did not exercise the receiver", total)
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged events lost after SIGKILL", missing, total)
	}
	return total
}

// checkDeliveredOnce checks that every event in db is processed and
// reached app, under its own key; one being delivered when the process
// died may have gone twice, with the same key, which is what lets the app
// deduplicate. It returns the rows and how many went twice.
func checkDeliveredOnce(t *testing.T, db crashLedger, app *countingApp) (rows, twice int) {
	t.Helper()
	for ev, err := range db.Events(context.Background(), ledger.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		rows++
		if ev.State != ledger.StateProcessed {
			t.Errorf("%s is %s after recovery, want processed", ev.EventID, ev.State)
		}
		switch n := app.count(ev.EventID); {
		case n == 0:
			t.Errorf("%s never reached the downstream app", ev.EventID)
		case n > 1:
			twice++
		}
	}
	return rows, twice
}

// waitSettled waits until no event in db is pending, processing or failed.
func waitSettled(t *testing.T, db crashLedger, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		qs, err := db.QueueStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(qs.OldestWaiting) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events still waiting after %s: %v", limit, qs.Depth)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
