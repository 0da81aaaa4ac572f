package alerts

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSinceArg(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{{0, "1h"}, {-time.Hour, "1h"}, {30 * time.Minute, "1h"}, {90 * time.Minute, "2h"},
		{48 * time.Hour, "48h"}, {49 * time.Hour, "3d"}, {72 * time.Hour, "3d"}, {30 * 24 * time.Hour, "30d"}} {
		if got := sinceArg(testStart, testStart.Add(-tc.ago)); got != tc.want {
			t.Errorf("sinceArg(%v ago) = %q, want %q", tc.ago, got, tc.want)
		}
	}
}

func TestIDList(t *testing.T) {
	for _, tc := range []struct {
		ids   []string
		total int
		want  string
	}{
		{nil, 3, "(not listed)"},
		{[]string{"a", "b"}, 2, "`a`, `b`"},
		{[]string{"a", "b", "c"}, 10, "`a`, `b` and 8 more"},
		{[]string{"<!channel>", "x`y"}, 2, "`&lt;!channel&gt;`, `xy`"},
	} {
		if got := idList(tc.ids, tc.total, 2); got != tc.want {
			t.Errorf("idList(%v, %d) = %q, want %q", tc.ids, tc.total, got, tc.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"short", 10, "short"}, {"abcdefghij", 8, "abcde…"}, {"ééééé", 7, "éé…"}} {
		got := truncate(tc.in, tc.n)
		if got != tc.want || len(got) > tc.n || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestByType(t *testing.T) {
	got := byType(map[string]int{"push": 1, "invoice.paid": 3, "": 1, "a&b": 1})
	if want := "invoice.paid 3, (no type) 1, a&amp;b 1, push 1"; got != want {
		t.Errorf("byType() = %q, want %q", got, want)
	}
}

func TestThresholdsClean(t *testing.T) {
	rl := rules{redactor: redactor{secrets: []string{"sk_live_abcdef"}}}
	got := rl.clean("bad key sk_live_abcdef\n\tat line 2 " + strings.Repeat("x", 400))
	if strings.Contains(got, "sk_live") || strings.Contains(got, "\n") || len(got) > 300 {
		t.Errorf("clean() = %q, want redacted, one line, at most 300 bytes", got)
	}
}
