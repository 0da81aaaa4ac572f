//go:build race

package reconcile_test

// raceEnabled reports whether the race detector is on: its shadow memory
// and slowdown make memory and throughput figures meaningless.
const raceEnabled = true
