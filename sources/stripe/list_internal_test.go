package stripe

import (
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

func TestSplitWindow(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name      string
		w         sources.Window
		n         int
		wantCount int
	}{
		{"empty", sources.Window{Since: base, Until: base}, 16, 0},
		{"inverted", sources.Window{Since: base.Add(time.Hour), Until: base}, 16, 0},
		{"sub-second", sources.Window{Since: base.Add(100 * time.Millisecond), Until: base.Add(900 * time.Millisecond)}, 16, 0},
		{"short: one slice", sources.Window{Since: base, Until: base.Add(59 * time.Minute)}, 16, 1},
		{"3h: three slices", sources.Window{Since: base, Until: base.Add(3 * time.Hour)}, 16, 3},
		{"30 days: capped", sources.Window{Since: base, Until: base.Add(30 * 24 * time.Hour)}, 16, 16},
		{"odd span", sources.Window{Since: base.Add(500 * time.Millisecond), Until: base.Add(7*time.Hour + 13*time.Second + time.Millisecond)}, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitWindow(tt.w, tt.n)
			if len(got) != tt.wantCount {
				t.Fatalf("splitWindow() = %d slices %v, want %d", len(got), got, tt.wantCount)
			}
			if len(got) == 0 {
				return
			}
			// Newest first, contiguous, covering [ceil(Since), ceil(Until)).
			if got[0].lt != ceilUnix(tt.w.Until) || got[len(got)-1].gte != ceilUnix(tt.w.Since) {
				t.Errorf("slices %v do not cover the window", got)
			}
			for i, s := range got {
				if s.gte >= s.lt || (i > 0 && s.lt != got[i-1].gte) {
					t.Errorf("slice %d = %v not contiguous in %v", i, s, got)
				}
				if i > 0 && !s.span.Until.Equal(got[i-1].span.Since) {
					t.Errorf("slice %d span %v does not meet slice %d's %v", i, s.span, i-1, got[i-1].span)
				}
			}
			// The spans tile the window exactly: they are the Covered marks.
			if !got[0].span.Until.Equal(tt.w.Until) || !got[len(got)-1].span.Since.Equal(tt.w.Since) {
				t.Errorf("spans %v do not tile %v", got, tt.w)
			}
		})
	}
}

func TestTypesFilter(t *testing.T) {
	many := make([]string, 21)
	tests := []struct {
		scope sources.Scope
		want  int
	}{
		{sources.Scope{AllTypes: true, Types: []string{"a"}}, 0},
		{sources.Scope{Types: []string{"a", "b"}}, 2},
		{sources.Scope{Types: many[:20]}, 20},
		{sources.Scope{Types: many}, 0},
		{sources.Scope{}, 0},
	}
	for _, tt := range tests {
		if got := typesFilter(tt.scope); len(got) != tt.want {
			t.Errorf("typesFilter(%d types, all %v) = %d types, want %d", len(tt.scope.Types), tt.scope.AllTypes, len(got), tt.want)
		}
	}
}
