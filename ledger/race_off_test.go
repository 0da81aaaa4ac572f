//go:build !race

package ledger_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
