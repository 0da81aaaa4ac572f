package sources

import "time"

// CheckTimestamp places a signed Unix timestamp ts against now and a
// tolerance: it returns tooOld (a provider's own sentinel) when ts is older
// than now-tolerance, tooNew when it is later than now+tolerance, else nil.
// A zero or negative tolerance means def; a nil now means time.Now. It never
// overflows, however absurd ts is.
func CheckTimestamp(ts int64, tolerance, def time.Duration, now func() time.Time, tooOld, tooNew error) error {
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
		return tooOld
	case ts > unix+limit:
		return tooNew
	}
	return nil
}
