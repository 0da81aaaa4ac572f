package sources

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// rejectLog logs rejections at a bounded rate: a burst of ten lines, then
// one a second, each saying how many were left out since the last. The
// lines left out go to the debug level. A flood of bad requests thus costs
// a few lines a second of log, not one per request.
type rejectLog struct {
	logger     *slog.Logger
	limit      *rate.Limiter
	suppressed atomic.Int64
}

func newRejectLog(log *slog.Logger) *rejectLog {
	return &rejectLog{logger: log, limit: rate.NewLimiter(rate.Every(time.Second), 10)}
}

// log writes msg at INFO (ERROR for a 5xx status) when the rate allows,
// else at DEBUG.
func (l *rejectLog) log(ctx context.Context, status int, msg string, args ...any) {
	if !l.limit.Allow() {
		l.suppressed.Add(1)
		l.logger.Log(ctx, slog.LevelDebug, msg, args...)
		return
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if n := l.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", n)
	}
	l.logger.Log(ctx, level, msg, args...)
}
