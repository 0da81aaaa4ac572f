//go:build !race

package reconcile_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
