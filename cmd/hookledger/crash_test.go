package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"hookledger/ledger"
)

// buildBinary compiles this command once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hookledger-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hookledger")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
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
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--no-schedule")
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
// webhooks, SIGKILLs the receiver mid-stream several times, restarts it, and
// checks that every request answered 2xx is in the ledger.
func TestCrashKeepsEveryAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_crash_test"
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	env := []string{"HOOKLEDGER_DB=" + dbPath, "STRIPE_WEBHOOK_SECRET=" + secret,
		"HOOKLEDGER_FORWARD_URL=", "HOOKLEDGER_EXEC="}

	var acked sync.Map
	var next atomic.Int64
	client := &http.Client{Timeout: 5 * time.Second}
	for round := 0; round < 3; round++ {
		cmd, addr := startServe(t, bin, env)
		var wg sync.WaitGroup
		var sent atomic.Int64
		stop := make(chan struct{})
		for w := 0; w < 16; w++ {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("evt_crash_%06d", next.Add(1))
					payload := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":%d,"data":{"object":{}}}`,
						id, time.Now().Unix()))
					sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header
					req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/stripe", bytes.NewReader(payload))
					req.Header.Set("Stripe-Signature", sig)
					resp, err := client.Do(req)
					if err != nil {
						return // the server died under us
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						acked.Store(id, true)
					}
					sent.Add(1)
				}
			})
		}
		// Kill after a varying amount of traffic, mid-stream.
		for sent.Load() < int64(200+round*150) {
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		close(stop)
		wg.Wait()
		cmd.Wait()
	}

	db, err := ledger.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing, total := 0, 0
	acked.Range(func(k, _ any) bool {
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
	t.Logf("%d acknowledged events, all in the ledger after 3 SIGKILLs", total)
}
