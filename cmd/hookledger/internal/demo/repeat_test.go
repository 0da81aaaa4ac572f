package demo

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// demoVarying matches what differs between two demo runs by nature:
// listen addresses, the temporary ledger's path, wall-clock times and
// dates, the status page's token, and the column padding that follows
// their widths.
var demoVarying = []*regexp.Regexp{
	regexp.MustCompile(`127\.0\.0\.1:\d+`),
	regexp.MustCompile(`/\S*hookledger-demo-\d+/demo\.db`),
	regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`),
	regexp.MustCompile(`\d\d:\d\d:\d\d(\.\d+)?`),
	regexp.MustCompile(`token [0-9a-f]{32}`), // the status page's, made for the run
	regexp.MustCompile(` {2,}`),
}

// demoFigures returns the demo's story with what varies by nature masked:
// what is left (counts, ids, retries, checks) is what a seed determines.
func demoFigures(story string) string {
	for _, re := range demoVarying {
		story = re.ReplaceAllString(story, "~")
	}
	return story
}

// The same seed tells the same story: every count, id and retry figure
// is equal between runs. Issue 10, defect 11: retry counts varied with
// the timing of the outage against the processor.
func TestDemoRepeatsForASeed(t *testing.T) {
	var stories []string
	for range 2 {
		env, stdout, stderr := testEnv(nil)
		ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
		err := Run(ctx, env, Options{Seed: 5, size: demoSize{Stripe: 60, unsubscribed: 6, GitHub: 40}})
		cancel()
		if err != nil {
			t.Fatalf("demo() = %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		}
		stories = append(stories, demoFigures(stdout.String()))
	}
	if stories[0] != stories[1] {
		a, b := strings.Split(stories[0], "\n"), strings.Split(stories[1], "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("line %d differs between runs with one seed:\n  %s\n  %s", i+1, a[i], b[i])
			}
		}
		if len(a) != len(b) {
			t.Errorf("runs with one seed printed %d and %d lines", len(a), len(b))
		}
	}
}
