//go:build !race

package ledgercopy_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
