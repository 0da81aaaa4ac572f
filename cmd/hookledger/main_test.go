package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain removes what the tests leave outside their t.TempDir: the
// binary buildBinary compiles (some 24 MB a run).
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		if err := os.RemoveAll(binDir); err != nil {
			fmt.Fprintf(os.Stderr, "remove test binary: %v\n", err)
		}
	}
	os.Exit(code)
}

// TestTestsLeaveNoBinaryBehind runs a test that builds the binary in a
// child test process with its own temporary directory, and checks that the
// directory is empty once the child exits.
func TestTestsLeaveNoBinaryBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVersionOfBuiltBinary$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child test: %v\n%s", err, out)
	}
	left, err := filepath.Glob(filepath.Join(tmp, "hookledger-bin*"))
	if err != nil || len(left) > 0 {
		t.Errorf("after the tests, %s holds %q (%v), want nothing", tmp, left, err)
	}
}
