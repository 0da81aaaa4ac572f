package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// stderrTail bounds how much of a failing command's stderr is kept.
const stderrTail = 512

// ExecConfig configures an Exec handler.
type ExecConfig struct {
	Command string        // run with sh -c, once per event
	Timeout time.Duration // per run; default 30s, then the process group is killed
	Env     []string      // the environment the command starts from; default os.Environ()
}

// Exec runs a shell command per event with the raw payload on stdin and
// the event's metadata in HOOKLEDGER_SOURCE, HOOKLEDGER_EVENT_ID,
// HOOKLEDGER_EVENT_TYPE, HOOKLEDGER_ORIGIN and HOOKLEDGER_ATTEMPT. Exit
// status 0 is success; any other exit, or the timeout, is retried, with
// the exit status and the tail of stderr as the error. Exit status
// ExitTempFail (75) with a first line of stdout that reads like a
// Retry-After header (seconds or an HTTP date) is retried after that
// delay instead of the processor's backoff. The rest of stdout is
// discarded. An event whose metadata holds a NUL byte cannot be passed in
// the environment and fails permanently.
type Exec struct {
	command string
	timeout time.Duration
	env     []string
}

var _ ledger.Handler = (*Exec)(nil)

// NewExec returns an Exec handler; it fails on an empty command.
func NewExec(cfg ExecConfig) (*Exec, error) {
	if strings.TrimSpace(cfg.Command) == "" {
		return nil, errors.New("new exec handler: empty command")
	}
	e := &Exec{command: cfg.Command, timeout: cfg.Timeout, env: cfg.Env}
	if e.timeout <= 0 {
		e.timeout = 30 * time.Second
	}
	if e.env == nil {
		e.env = os.Environ()
	}
	return e, nil
}

// Handle runs the command once for d.
func (e *Exec) Handle(ctx context.Context, d ledger.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	ev := d.Event
	if err := checkEnvValues(ev); err != nil {
		return ledger.Permanent(err)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", e.command)
	cmd.Stdin = bytes.NewReader(ev.Payload)
	cmd.Env = append(append([]string{}, e.env...),
		"HOOKLEDGER_SOURCE="+ev.Source,
		"HOOKLEDGER_EVENT_ID="+ev.EventID,
		"HOOKLEDGER_EVENT_TYPE="+ev.Type,
		"HOOKLEDGER_ORIGIN="+string(d.Origin),
		"HOOKLEDGER_ATTEMPT="+strconv.Itoa(d.Attempt),
	)
	var stdout headBuffer
	var stderr tailBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Kill the whole process group: sh may have started children that
	// would otherwise outlive the timeout and hold the pipes open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("exec: timed out%s", stderr.suffix())
	}
	if ctx.Err() != nil {
		return fmt.Errorf("exec: %w", ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("exec: %w", err)
	}
	if ee.ExitCode() == ExitTempFail {
		if after, ok := parseRetryAfter(stdout.firstLine(), time.Now()); ok {
			return ledger.RetryAfter(fmt.Errorf("exec: exit status %d (retry after %s)%s",
				ee.ExitCode(), after, stderr.suffix()), after)
		}
	}
	return fmt.Errorf("exec: exit status %d%s", ee.ExitCode(), stderr.suffix())
}

// checkEnvValues fails when a field of ev that goes into the command's
// environment holds a NUL byte, which no environment variable can: the
// command could never be started for ev.
func checkEnvValues(ev *ledger.Event) error {
	for _, f := range []struct{ name, v string }{{"event id", ev.EventID}, {"event type", ev.Type}, {"source", ev.Source}} {
		if i := strings.IndexByte(f.v, 0); i >= 0 {
			return fmt.Errorf("exec: %s %q cannot be passed in the environment: NUL byte at byte %d", f.name, f.v, i)
		}
	}
	return nil
}

// headBuffer keeps the first stdoutHead bytes written to it.
type headBuffer struct{ b []byte }

// stdoutHead bounds how much of a command's stdout is kept: enough for
// the first line, where a command exiting ExitTempFail says when to retry.
const stdoutHead = 256

func (h *headBuffer) Write(p []byte) (int, error) {
	if n := stdoutHead - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// firstLine returns the first line written, without its line ending.
func (h *headBuffer) firstLine() string {
	line, _, _ := strings.Cut(string(h.b), "\n")
	return strings.TrimSuffix(line, "\r")
}

// tailBuffer keeps the last stderrTail bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > stderrTail {
		t.b = append(t.b[:0], t.b[len(t.b)-stderrTail:]...)
	}
	return len(p), nil
}

// suffix returns ": " and the tail on one line, or "" when empty.
func (t *tailBuffer) suffix() string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(t.b), "")), " ")
	if s == "" {
		return ""
	}
	return ": " + s
}
