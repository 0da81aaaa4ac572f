package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// probeSpacing bounds how often Health writes its probe row; in between it
// answers with the last probe's outcome.
const probeSpacing = time.Second

// healthProbe remembers the last probe.
type healthProbe struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// Health reports whether the ledger can commit now: it rewrites a one-row
// probe table (at most once a probeSpacing), so a standby, a full disk or
// a lost server shows here as an error wrapping ledger.ErrUnavailable. It
// returns ledger.ErrClosed after Close.
func (db *DB) Health(ctx context.Context) error {
	if db.closed.Load() {
		return ledger.ErrClosed
	}
	p := &db.health
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && time.Since(p.at) < probeSpacing {
		return p.err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO writer_probe (id, at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at`, millis(db.now()))
	p.at, p.err = time.Now(), nil
	if err != nil {
		p.err = fmt.Errorf("ledger cannot commit: %w", translate(err))
	}
	return p.err
}
