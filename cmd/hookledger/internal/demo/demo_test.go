package demo

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// TestDemoCatchesBrokenPipeline breaks the pipeline on purpose and checks
// that the closing checks fail the demo.
func TestDemoCatchesBrokenPipeline(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // failed checks the error must name
	}{
		{"no reconcile", Options{skipReconcile: true},
			[]string{"exactly once", "reconcile found exactly the dropped events missing", "flagged exactly the forged event"}},
		{"downstream processes some events twice", Options{flaky: 3},
			[]string{"exactly once: 100 events, 3 twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := testEnv(nil)
			ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
			defer cancel()
			// A smaller world: the checks are the same, the run is quicker.
			tt.opts.Seed, tt.opts.size = 2, demoSize{Stripe: 60, unsubscribed: 6, GitHub: 40}
			err := Run(ctx, env, tt.opts)
			if err == nil {
				t.Fatalf("demo() = nil, want the checks to fail\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("demo() = %v, want a failed check containing %q", err, want)
				}
			}
			if !strings.Contains(stdout.String(), "[FAIL]") {
				t.Errorf("story does not show the failure:\n%s", stdout)
			}
			if app.ExitCode(err, &bytes.Buffer{}) != app.ExitError {
				t.Errorf("exit code = %d, want %d", app.ExitCode(err, &bytes.Buffer{}), app.ExitError)
			}
		})
	}
}

func TestDemoPhaseBounds(t *testing.T) {
	tests := []struct {
		n    int
		want [][2]int
	}{
		{180, [][2]int{{0, 72}, {72, 126}, {126, 180}}},
		{140, [][2]int{{0, 56}, {56, 98}, {98, 140}}},
		{1, [][2]int{{0, 0}, {0, 0}, {0, 1}}},
	}
	for _, tt := range tests {
		for i, want := range tt.want {
			from, to := demoPhaseBounds(tt.n, i)
			if from != want[0] || to != want[1] {
				t.Errorf("demoPhaseBounds(%d, %d) = %d, %d, want %d, %d", tt.n, i, from, to, want[0], want[1])
			}
		}
	}
}

func TestDemoStripeMixIsSeeded(t *testing.T) {
	mix := func(seed uint64) []string { return demoStripeMix(rand.New(rand.NewPCG(seed, seed)), 50) }
	if a, b := mix(7), mix(7); !slices.Equal(a, b) {
		t.Errorf("demoStripeMix with one seed differs:\n%v\n%v", a, b)
	}
	if a, b := mix(7), mix(8); slices.Equal(a, b) {
		t.Error("demoStripeMix with two seeds is the same")
	}
	subscribed := map[string]bool{}
	for _, st := range demoStripeTypes {
		subscribed[st.typ] = true
	}
	for _, typ := range mix(1) {
		if !subscribed[typ] {
			t.Errorf("demoStripeMix gave %q, not a subscribed type", typ)
		}
	}
}

func TestDemoLogFilter(t *testing.T) {
	var buf bytes.Buffer
	log := newDemoLogger(&buf, false, app.LogConfig{})
	log.With("component", "alerts").Warn("alert", "text", "retold by the story")
	log.With("component", "processor").Warn("attempt failed, will retry")
	log.With("component", "alerts").Warn("alert delivery failed", "error", "slack down")
	log.With("component", "receiver").Info("request")
	log.Warn("alert")
	got := buf.String()
	for _, want := range []string{"alert delivery failed", `msg=alert`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"retold by the story", "will retry", "request"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("log has %q:\n%s", unwanted, got)
		}
	}
	buf.Reset()
	newDemoLogger(&buf, true, app.LogConfig{}).With("component", "alerts").Info("alert")
	if !strings.Contains(buf.String(), "msg=alert") {
		t.Errorf("verbose log dropped an alert record: %q", buf.String())
	}
}
