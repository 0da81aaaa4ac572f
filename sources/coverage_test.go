package sources_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

func TestCoverage(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0).UTC() }
	win := func(a, b int) sources.Window { return sources.Window{Since: at(a), Until: at(b)} }
	w := win(0, 100)
	tests := []struct {
		name      string
		add       []sources.Window
		wantSpans []sources.Window
		wantFrom  time.Time
	}{
		{"nothing", nil, nil, at(100)},
		{"empty marks ignored", []sources.Window{{}, win(5, 5)}, nil, at(100)},
		{"newest first", []sources.Window{win(90, 100), win(70, 100), win(40, 100)}, []sources.Window{win(40, 100)}, at(40)},
		{"oldest first claims no stretch at the end", []sources.Window{win(0, 30), win(0, 60)}, []sources.Window{win(0, 60)}, at(100)},
		{"slices in any order merge when they touch", []sources.Window{win(50, 75), win(75, 100), win(10, 30)},
			[]sources.Window{win(10, 30), win(50, 100)}, at(50)},
		{"a gap filled joins both sides", []sources.Window{win(60, 100), win(0, 20), win(20, 60)}, []sources.Window{win(0, 100)}, at(0)},
		{"marks past the window are clipped", []sources.Window{win(-50, 150)}, []sources.Window{win(-50, 150)}, at(0)},
		{"a stretch not reaching the end claims nothing", []sources.Window{win(10, 99)}, []sources.Window{win(10, 99)}, at(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c sources.Coverage
			for _, a := range tt.add {
				c.Add(a)
			}
			if got := c.Spans(); !reflect.DeepEqual(got, tt.wantSpans) {
				t.Errorf("Spans() = %v, want %v", got, tt.wantSpans)
			}
			if got := c.CompleteFrom(w); !got.Equal(tt.wantFrom) {
				t.Errorf("CompleteFrom() = %v, want %v", got, tt.wantFrom)
			}
			for _, s := range tt.wantSpans {
				if !c.Covers(s.Since) || c.Covers(s.Until) {
					t.Errorf("Covers() wrong at the edges of %v", s)
				}
			}
		})
	}
}

func TestFlatten(t *testing.T) {
	a, b := sources.Listed{EventID: "a"}, sources.Listed{EventID: "b"}
	pages := func(yield func(sources.Page, error) bool) {
		_ = yield(sources.Page{Events: []sources.Listed{a}}, nil) &&
			yield(sources.Page{Covered: sources.Window{}}, nil) &&
			yield(sources.Page{Events: []sources.Listed{b}}, nil)
	}
	var got []string
	for l, err := range sources.Flatten(pages) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.EventID)
	}
	if !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Flatten() = %v, want [a b]", got)
	}
}
