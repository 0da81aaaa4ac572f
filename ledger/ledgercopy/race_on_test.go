//go:build race

package ledgercopy_test

// raceEnabled reports whether the race detector is on: it slows each
// Record about tenfold, so the big ledger is smaller under it.
const raceEnabled = true
