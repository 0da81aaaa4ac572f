// Package timing holds the time helpers every layer of hookledger shares.
// It sits under ledger because every package may import ledger (sources,
// reconcile, alerts and cmd all do) and it imports nothing of ours.
package timing

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done. It returns nil after the full wait
// and ctx.Err() when ctx ended first (at once for an ended ctx, even when
// d is zero or negative).
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
