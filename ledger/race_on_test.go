//go:build race

package ledger_test

// raceEnabled reports whether the race detector is on: its slowdown of
// every SQLite statement makes timing figures meaningless.
const raceEnabled = true
