package main

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestVersion holds that `hookledger version` and `hookledger --version`
// print the version, the commit and the Go version on stdout.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		env, stdout, stderr := testEnv(nil)
		if err := runWith(context.Background(), env, args); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		out := stdout.String()
		for _, want := range []string{"hookledger ", "(commit ", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
			if !strings.Contains(out, want) {
				t.Errorf("%v = %q, want it to contain %q", args, out, want)
			}
		}
	}
}

// TestVersionOfBuiltBinary holds that a binary built from a checkout says
// which commit it was built from.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("hookledger version: %v", err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("not in a git checkout (%v): only the format is checked", err)
		head = nil
	}
	got := string(out)
	if !strings.HasPrefix(got, "hookledger ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("hookledger version = %q, want the version and %s", got, runtime.Version())
	}
	if len(head) >= 12 && !strings.Contains(got, "commit "+string(head[:12])) {
		t.Errorf("hookledger version = %q, want commit %s", got, head[:12])
	}
}
