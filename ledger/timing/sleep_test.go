package timing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/timing"
)

func TestSleep(t *testing.T) {
	if err := timing.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep() = %v, want nil after the wait", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := timing.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(ended ctx, 0) = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := timing.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("Sleep(ctx ending in 10ms, 1h) = %v after %v, want context.DeadlineExceeded at once", err, time.Since(start))
	}
}
