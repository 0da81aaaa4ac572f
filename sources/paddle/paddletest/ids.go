package paddletest

import (
	"strconv"
	"strings"
	"time"
)

// newID returns a Paddle id: prefix, "_" and 26 characters of [a-z0-9]
// that sort by t first, as Paddle's (ULID-like) ids do. s.mu must be held.
func (s *Server) newID(prefix string, t time.Time) string {
	ms := strconv.FormatInt(t.UnixMilli(), 36) // 8 characters until the year 5000
	var b strings.Builder
	b.WriteString(prefix + "_01")
	b.WriteString(strings.Repeat("0", 10-len(ms)) + ms)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	for range 14 {
		b.WriteByte(digits[s.rng.IntN(len(digits))])
	}
	return b.String()
}
