package sources_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

func TestCheckTimestamp(t *testing.T) {
	old, future := errors.New("old"), errors.New("future")
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	for _, tc := range []struct {
		ts   int64
		tol  time.Duration
		want error
	}{
		{1_700_000_000, 0, nil},
		{1_700_000_000 - 300, 0, nil},
		{1_700_000_000 - 301, 0, old},
		{1_700_000_000 + 301, 0, future},
		{1_700_000_000 - 10, 5 * time.Second, old},
		{math.MinInt64, 0, old},
		{math.MaxInt64, 0, future},
	} {
		if got := sources.CheckTimestamp(tc.ts, tc.tol, 5*time.Minute, now, old, future); got != tc.want {
			t.Errorf("CheckTimestamp(%d, %s) = %v, want %v", tc.ts, tc.tol, got, tc.want)
		}
	}
}
