package paddletest

import (
	"strconv"
	"strings"
)

// newID returns a Paddle id: prefix, "_" and 26 characters of [a-z0-9].
// Paddle's ids sort by creation time; the fake's sort by creation order (a
// counter), and random characters follow, drawn from the seed, so that a
// seed gives the same ids on every run whatever the clock says. s.mu must
// be held.
func (s *Server) newID(prefix string) string {
	s.created++
	n := strconv.FormatInt(s.created, 36)
	var b strings.Builder
	b.WriteString(prefix + "_01")
	b.WriteString(strings.Repeat("0", 10-len(n)) + n)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	for range 14 {
		b.WriteByte(digits[s.rng.IntN(len(digits))])
	}
	return b.String()
}
