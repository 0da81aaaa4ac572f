package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoStatusPage checks that the demo serves the status page, prints
// its URL and a token made for the run, and with --stay keeps it open
// until interrupted: the API answers the token and refuses anyone else.
func TestDemoStatusPage(t *testing.T) {
	env, stdout, stderr := testEnv(nil)
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, env, []string{"demo", "--seed", "4", "--stay"}) }()
	stays := regexp.MustCompile(`status page stays at (http://127\.0\.0\.1:\d+/) \(token ([0-9a-f]{32})\)`)
	var m []string
	for m == nil {
		select {
		case err := <-done:
			t.Fatalf("demo --stay ended by itself: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		case <-time.After(50 * time.Millisecond):
			m = stays.FindStringSubmatch(stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), "sign in with the one-time token "+m[2]) {
		t.Errorf("the story's table does not give the status page's token:\n%s", stdout)
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"Bearer " + m[2], 200}, {"", 401}, {"Bearer " + strings.Repeat("0", 32), 401}} {
		req, _ := http.NewRequest("GET", m[1]+"api/status", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /api/status with %q = %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
		if tc.want == 200 && !strings.Contains(string(body), `"stripe"`) {
			t.Errorf("/api/status lacks the demo's sources:\n%s", body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo --stay after interrupt = %v, want nil (its checks passed)", err)
	}
}
