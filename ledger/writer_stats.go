package ledger

import (
	"sync/atomic"
	"time"
)

// WriterStats is what the writer goroutine did since Open: how many
// transactions it committed, how many events they recorded, and the CPU
// time (user and system) of the writer's own thread inside them. Waiting
// for fsync is not CPU time, so WriterCPU / Events is what each event costs
// the one goroutine every write queues behind.
type WriterStats struct {
	Commits   int64
	Events    int64         // new events recorded
	Busy      time.Duration // wall time inside transactions, fsync included
	WriterCPU time.Duration // zero where the platform cannot tell (see threadCPU)
}

// writerCounters are WriterStats as the writer updates them.
type writerCounters struct {
	commits, events, busy, cpu atomic.Int64
}

// WriterStats returns the writer's counters so far.
func (db *DB) WriterStats() WriterStats {
	c := &db.wstats
	return WriterStats{
		Commits:   c.commits.Load(),
		Events:    c.events.Load(),
		Busy:      time.Duration(c.busy.Load()),
		WriterCPU: time.Duration(c.cpu.Load()),
	}
}

// measure adds one transaction that began at start with the thread's CPU
// at cpu0 and recorded events new events.
func (c *writerCounters) measure(start time.Time, cpu0 time.Duration, events int) {
	c.commits.Add(1)
	c.events.Add(int64(events))
	c.busy.Add(int64(time.Since(start)))
	c.cpu.Add(int64(threadCPU() - cpu0))
}
