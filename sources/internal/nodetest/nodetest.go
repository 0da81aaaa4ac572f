// Package nodetest runs small Node.js scripts against npm packages in
// tests, so that a provider's own (non-Go) implementation can sign or
// verify what ours produces. Packages are installed once per version set
// into the user cache directory with `npm install --no-audit --no-fund`.
// Without node or npm a test skips, except under CI=true, where it fails.
package nodetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Install makes sure the npm packages pkgs ("standardwebhooks@1.0.0") are
// installed and returns the directory to run scripts in. With no package
// it only needs node.
func Install(t testing.TB, pkgs ...string) string {
	t.Helper()
	tools := []string{"node", "npm"}
	if len(pkgs) == 0 {
		tools = tools[:1]
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed for this test and CI=true: %v", tool, err)
			}
			t.Skipf("%s not found: skipping the cross-check against npm %s", tool, strings.Join(pkgs, " "))
		}
	}
	if len(pkgs) == 0 {
		return t.TempDir()
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n")))
	dir := filepath.Join(cache, "hookledger-npm", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "installed")); err == nil {
		return dir
	}
	// Install into a fresh directory and rename it into place, so that a
	// half-finished install is never taken for a finished one.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"}, pkgs...)
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, "installed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil && !isExist(dir) {
		t.Fatal(err)
	}
	return dir
}

func isExist(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "installed"))
	return err == nil
}

// Run runs script (CommonJS) with node in dir, stdin as its input, and
// returns what it wrote to stdout; a non-zero exit fails the test.
func Run(t testing.TB, dir, script string, stdin []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e", script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	return out
}
