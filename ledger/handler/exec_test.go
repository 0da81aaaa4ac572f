package handler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func TestExecPassesPayloadAndMetadata(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	e, err := NewExec(ExecConfig{Command: `{ cat; echo " $HOOKLEDGER_SOURCE $HOOKLEDGER_EVENT_ID $HOOKLEDGER_EVENT_TYPE $HOOKLEDGER_ORIGIN $HOOKLEDGER_ATTEMPT"; } > "$OUT"`,
		Env: []string{"OUT=" + out, "PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Handle(context.Background(), testDelivery()); err != nil {
		t.Fatalf("Handle() = %v, want nil", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"evt_1"} stripe evt_1 invoice.paid reconcile 3` + "\n"; string(got) != want {
		t.Errorf("command saw %q, want %q", got, want)
	}
}

func TestExecFailureKeepsExitAndStderr(t *testing.T) {
	e, err := NewExec(ExecConfig{Command: `echo "cannot reach db" >&2; exit 3`})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Handle(context.Background(), testDelivery())
	if err == nil || ledger.IsPermanent(err) || err.Error() != "exec: exit status 3: cannot reach db" {
		t.Errorf("Handle() = %v, want a retryable exit status 3 with stderr", err)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	e, err := NewExec(ExecConfig{Command: `sleep 60 & echo $! > "$PIDFILE"; wait`,
		Timeout: 200 * time.Millisecond, Env: []string{"PIDFILE=" + pidFile, "PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Handle(context.Background(), testDelivery())
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Handle() = %v, want a timeout", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	// The grandchild was in the killed group: within a few seconds it is
	// gone, or a zombie waiting for init to reap it.
	stat := "/proc/" + strings.TrimSpace(string(b)) + "/stat"
	for range 100 {
		s, err := os.ReadFile(stat)
		if err != nil || strings.Contains(string(s), ") Z") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("the command's child still runs after the timeout")
}

func TestNewExecRejectsEmptyCommand(t *testing.T) {
	if _, err := NewExec(ExecConfig{Command: "  "}); err == nil {
		t.Error("NewExec(blank) = nil error, want an error")
	}
}
