//go:build !linux

package ledger

import "time"

// threadCPU is not measured on this platform: WriterStats.WriterCPU stays 0.
func threadCPU() time.Duration { return 0 }
