//go:build !race

package sources_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
