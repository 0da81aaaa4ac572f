package ledgertest

import (
	"bytes"
	"database/sql"
	"sync"
	"testing"
	"time"
)

// Clock is a settable time source, safe for concurrent use. Pass its Now
// to ledger.Options.Now, a Driver's Open and the consumers' options.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// SyncBuffer is a bytes.Buffer safe for a logger and a test to share.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// SQLiteRowCounts returns the number of rows of every table of the SQLite
// ledger at path, plus the number of events per state and origin (keys
// "events:STATE/ORIGIN"), read through a connection of its own.
func SQLiteRowCounts(tb testing.TB, path string) map[string]int {
	tb.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	out := map[string]int{}
	var tables []string
	scanCounts(tb, conn, `SELECT name, 0 FROM sqlite_master WHERE type = 'table'`, func(name string, _ int) {
		tables = append(tables, name)
	})
	for _, name := range tables {
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM "` + name + `"`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out[name] = n
	}
	scanCounts(tb, conn, `SELECT state || '/' || origin, count(*) FROM events GROUP BY 1`, func(k string, n int) {
		out["events:"+k] = n
	})
	return out
}

// scanCounts runs query, which returns (text, count) rows, calling fn on each.
func scanCounts(tb testing.TB, conn *sql.DB, query string, fn func(string, int)) {
	tb.Helper()
	rows, err := conn.Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			tb.Fatal(err)
		}
		fn(k, n)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
}
