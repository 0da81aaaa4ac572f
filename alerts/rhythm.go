package alerts

import (
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// rhythm is a source's usual events per hour, learned from its hourly
// traffic: by hour of the week once two weeks are kept, by hour of the day
// once two days are, else the plain hourly average.
type rhythm struct {
	basis string // "" when there is too little history to learn from
	week  [168]float64
	day   [24]float64
	mean  float64
}

const hoursPerWeek = 168

func unixHour(t time.Time) int64 { return t.Unix() / 3600 }

// learnRhythm learns from tr's hours up to the one of its last event,
// over at most ledger.TrafficKeep: the silence going on now is what is
// judged, so it must not teach the source's rhythm, and the hour now is
// still filling.
func learnRhythm(tr *ledger.SourceTraffic, now time.Time) rhythm {
	var rh rhythm
	end := min(unixHour(tr.LastAt)+1, unixHour(now))
	start := max(unixHour(tr.FirstAt), unixHour(now.Add(-ledger.TrafficKeep)))
	span := end - start
	if span < int64(silenceMinSpan/time.Hour) {
		return rh
	}
	var weekN, weekSum [hoursPerWeek]float64
	var dayN, daySum [24]float64
	total := 0
	for h := start; h < end; h++ {
		n := tr.Hours[h]
		total += n
		weekN[h%hoursPerWeek]++
		weekSum[h%hoursPerWeek] += float64(n)
		dayN[h%24]++
		daySum[h%24] += float64(n)
	}
	if total < silenceMinEvents {
		return rh
	}
	rh.mean = float64(total) / float64(span)
	for i := range rh.day {
		rh.day[i] = avg(daySum[i], dayN[i], rh.mean)
	}
	for i := range rh.week {
		rh.week[i] = avg(weekSum[i], weekN[i], rh.day[i%24])
	}
	switch {
	case span >= 2*hoursPerWeek:
		rh.basis = "hour of week"
	case span >= 48:
		rh.basis = "hour of day"
	default:
		rh.basis = "hourly average"
	}
	return rh
}

func avg(sum, n, fallback float64) float64 {
	if n == 0 {
		return fallback
	}
	return sum / n
}

// rate is the usual events in Unix hour h.
func (rh rhythm) rate(h int64) float64 {
	switch rh.basis {
	case "hour of week":
		return rh.week[h%hoursPerWeek]
	case "hour of day":
		return rh.day[h%24]
	default:
		return rh.mean
	}
}

// expected is how many events the rhythm expects in (from, to], each hour
// weighted by how much of it the interval covers; it looks back at most
// ledger.TrafficKeep.
func (rh rhythm) expected(from, to time.Time) float64 {
	if rh.basis == "" || !to.After(from) {
		return 0
	}
	from = later(from, to.Add(-ledger.TrafficKeep))
	var sum float64
	for t := from; t.Before(to); {
		h := unixHour(t)
		next := time.Unix((h+1)*3600, 0)
		if next.After(to) {
			next = to
		}
		sum += rh.rate(h) * next.Sub(t).Hours()
		t = next
	}
	return sum
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
