package sources

import "time"

// Skew places a signed Unix timestamp ts against now and a tolerance: -1
// when it is older than now-tolerance, +1 when it is later than
// now+tolerance, else 0. A zero or negative tolerance means def; a nil now
// means time.Now. It never overflows, however absurd ts is.
func Skew(ts int64, tolerance, def time.Duration, now func() time.Time) int {
	if tolerance <= 0 {
		tolerance = def
	}
	if now == nil {
		now = time.Now
	}
	// Compare ts with now±limit rather than now-ts, which would overflow.
	unix, limit := now().Unix(), int64(tolerance/time.Second)
	switch {
	case ts < unix-limit:
		return -1
	case ts > unix+limit:
		return 1
	}
	return 0
}
