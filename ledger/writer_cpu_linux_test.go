package ledger

import (
	"runtime"
	"testing"
	"time"
)

// TestThreadCPUCountsTheCurrentRun spins on a locked thread for windows
// shorter than a scheduler tick, each after a sleep, and wants threadCPU to
// see most of the spin: a clock that stops at the last tick or switch
// (getrusage's RUSAGE_THREAD) read 8 % of it here. A busy machine can
// take the CPU away mid-spin, which lowers the share honestly, so the test
// takes the best of three tries.
func TestThreadCPUCountsTheCurrentRun(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const windows, spin = 200, 300 * time.Microsecond
	best := 0.0
	for try := 0; try < 3 && best < 0.7; try++ {
		var wall, cpu time.Duration
		for range windows {
			time.Sleep(100 * time.Microsecond)
			start, cpu0 := time.Now(), threadCPU()
			for time.Since(start) < spin {
			}
			cpu += threadCPU() - cpu0
			wall += time.Since(start)
		}
		share := float64(cpu) / float64(wall)
		t.Logf("try %d: thread CPU %v over %v of spinning (%.2f)", try+1, cpu, wall, share)
		best = max(best, share)
	}
	if best < 0.7 {
		t.Fatalf("threadCPU saw %.2f of a spinning thread's time at best, want ≥ 0.7: it misses the current run", best)
	}
	if best > 1.05 {
		t.Fatalf("threadCPU saw %.2f of the wall time of one thread, want ≤ 1", best)
	}
}
