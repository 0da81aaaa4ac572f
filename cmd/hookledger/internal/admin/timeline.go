package admin

import (
	"context"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// timelineSpan is how far back the gap timeline reaches.
const timelineSpan = 30 * 24 * time.Hour

// Chart geometry, in SVG user units.
const (
	chartWidth  = 900.0
	chartHeight = 90.0
	chartBase   = 70.0 // the x axis; bars grow up from it, labels sit below
)

// timelineView is one source's gap timeline: its runs of the last 30 days
// as bars, the missing found (red) and, over it, the recovered (green).
type timelineView struct {
	Source                           string
	Runs, Incomplete                 int
	Missing, Recovered, StillMissing int
	Unknown                          int
	FirstGap, LastGap                time.Time // zero when no run found a gap
	Bars                             []bar
	Marks                            []float64 // x of each incomplete run
	Grid                             []gridLine
	Width, Height, Base              float64
}

type bar struct {
	X, Y, H      float64 // the missing bar
	RY, RH       float64 // the recovered part, drawn over it
	Title        string
	StillMissing bool
}

type gridLine struct {
	X     float64
	Label string
}

// timeline builds the gap timeline of each source shown, from the runs
// started in the last 30 days before now.
func (s *Server) timeline(ctx context.Context, now time.Time, srcs []sourceView) ([]timelineView, error) {
	from := now.Add(-timelineSpan)
	runs, err := s.cfg.Store.RunsSince(ctx, from)
	if err != nil {
		return nil, err
	}
	peak := 1
	for _, p := range runs {
		peak = max(peak, p.Missing)
	}
	xOf := func(t time.Time) float64 { return chartWidth * float64(t.Sub(from)) / float64(timelineSpan) }
	var grid []gridLine
	for d := 0; d <= 30; d += 5 {
		t := from.Add(time.Duration(d) * 24 * time.Hour)
		grid = append(grid, gridLine{X: xOf(t), Label: t.Format("Jan 2")})
	}
	var out []timelineView
	for _, sv := range srcs {
		tv := timelineView{Source: sv.Name, Grid: grid, Width: chartWidth, Height: chartHeight, Base: chartBase}
		for _, p := range runs {
			if p.Source == sv.Name {
				tv.add(p, xOf(p.StartedAt), peak)
			}
		}
		out = append(out, tv)
	}
	return out, nil
}

// add draws run p at x, bars scaled so that peak missing fills the chart.
func (tv *timelineView) add(p ledger.RunPoint, x float64, peak int) {
	tv.Runs++
	if !p.Complete {
		tv.Incomplete++
		tv.Marks = append(tv.Marks, x)
	}
	tv.Missing += p.Missing
	tv.Recovered += p.Recovered
	tv.StillMissing += p.StillMissing
	tv.Unknown += p.Unknown
	if p.Missing == 0 {
		return
	}
	if tv.FirstGap.IsZero() {
		tv.FirstGap = p.StartedAt
	}
	tv.LastGap = p.StartedAt
	unit := (chartBase - 4) / float64(peak)
	h := max(unit*float64(p.Missing), 2)
	rh := unit * float64(min(p.Recovered, p.Missing))
	tv.Bars = append(tv.Bars, bar{X: x, Y: chartBase - h, H: h, RY: chartBase - rh, RH: rh,
		StillMissing: p.StillMissing > 0,
		Title: p.StartedAt.Format(time.RFC3339) + ": " + itoa(p.Missing) + " missing, " + itoa(p.Recovered) +
			" recovered, " + itoa(p.StillMissing) + " still missing"})
}
