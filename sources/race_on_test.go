//go:build race

package sources_test

// raceEnabled reports whether the race detector is on: its shadow memory
// makes RSS figures meaningless.
const raceEnabled = true
