package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, for direct inserts

	"github.com/hookledger/hookledger/ledger"
)

// bigLedger is the shape of a ledger built by buildBigLedger.
type bigLedger struct {
	Path   string
	Events int
	Now    time.Time
	// A dead event, for the event page.
	DeadSource, DeadID string
}

// buildBigLedger creates a ledger of n events at dir with direct inserts
// (one recursive SELECT per table, in one transaction each): two sources,
// eight types, 97% processed and the rest pending, failed or dead, spread
// over the last 30 days before now, each with a 1.6 KB payload; one receipt and one attempt per event,
// a reconcile run per source every 15 minutes with a gap now and then, and
// a few alerts. It takes seconds where Record would take minutes.
func buildBigLedger(tb testing.TB, dir string, n int, now time.Time) bigLedger {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "big.db")
	db, err := ledger.Open(ctx, path)
	if err != nil {
		tb.Fatalf("open ledger: %v", err)
	}
	if err := db.Close(); err != nil {
		tb.Fatalf("close ledger: %v", err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		tb.Fatalf("open raw: %v", err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	span := int64(30 * 24 * time.Hour / time.Millisecond)
	end := now.UnixMilli()
	// Event i: created evenly over the span, newest last; state by i % 100.
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
		INSERT INTO events (source, event_id, type, created_at, received_at, origin, state,
			attempts, last_error, processed_at, updated_at)
		SELECT CASE WHEN i %% 5 < 3 THEN 'stripe' ELSE 'github' END,
			printf('evt_%%010d', i),
			CASE i %% 8 WHEN 0 THEN 'invoice.paid' WHEN 1 THEN 'invoice.created' WHEN 2 THEN 'customer.updated'
				WHEN 3 THEN 'charge.succeeded' WHEN 4 THEN 'push' WHEN 5 THEN 'pull_request'
				WHEN 6 THEN 'issues' ELSE 'release' END,
			%d - (%d - i) * %d / %d, %d - (%d - i) * %d / %d + 150,
			CASE WHEN i %% 20 = 0 THEN 'reconcile' ELSE 'webhook' END,
			CASE i %% 100 WHEN 0 THEN 'dead' WHEN 1 THEN 'pending' WHEN 2 THEN 'failed' ELSE 'processed' END,
			CASE i %% 100 WHEN 0 THEN 10 WHEN 1 THEN 0 WHEN 2 THEN 3 ELSE 1 END,
			CASE i %% 100 WHEN 0 THEN 'forward: 500 Internal Server Error' WHEN 2 THEN 'forward: timeout' ELSE '' END,
			CASE WHEN i %% 100 > 2 THEN %d - (%d - i) * %d / %d + 400 ELSE 0 END,
			%d
		FROM n`, n, end, n, span, n, end, n, span, n, end, n, span, n, end),
		// Bodies in their own table (migration 016), stored as they are.
		`INSERT INTO payloads (event_row, encoding, data)
		SELECT id, 'identity', CAST(printf('{"id":"%s","object":"event","data":{"object":{"amount":%d,"note":"%s"}}}',
			event_id, id % 9973, hex(zeroblob(750))) AS BLOB) FROM events`,
		// The first delivery's receipt on the event row, as Record keeps it.
		`UPDATE events SET receipt_at = received_at - 2, receipt_status = 200, receipt_addr = '127.0.0.1:40000',
			receipt_size = 1600, receipt_us = 900 WHERE origin = 'webhook'`,
		`INSERT INTO attempts (event_row, attempt, origin, started_at, duration_us, outcome, error)
		SELECT id, 1, origin, received_at + 10, 2500,
			CASE state WHEN 'processed' THEN 'processed' WHEN 'dead' THEN 'dead' ELSE 'retry' END, last_error
		FROM events WHERE state <> 'pending'`,
		fmt.Sprintf(`WITH RECURSIVE r(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM r WHERE k < 2879)
		INSERT INTO runs (source, job, since, until, started_at, finished_at, complete, report)
		SELECT CASE WHEN k %% 2 = 0 THEN 'stripe' ELSE 'github' END, 'reconcile',
			%d - (k / 2 + 4) * 900000, %d - (k / 2) * 900000, %d - (k / 2) * 900000, %d - (k / 2) * 900000 + 2000, 1,
			json_object('missing', CASE WHEN k %% 37 = 0 THEN k %% 11 + 1 ELSE 0 END,
				'backfilled', CASE WHEN k %% 37 = 0 THEN k %% 11 + 1 ELSE 0 END,
				'still_missing', 0, 'unknown', 0, 'complete', json('true'))
		FROM r`, end, end, end, end),
		fmt.Sprintf(`INSERT INTO alerts (fingerprint, source, kind, state, summary, count, opened_at, updated_at)
		VALUES ('stripe:dead', 'stripe', 'dead', 'open', 'stripe: dead events', 12, %d, %d),
			('github:unknown', 'github', 'unknown', 'open', 'github: 1 event the provider never sent', 1, %d, %d)`,
			end-3600000, end-3600000, end-7200000, end-7200000),
	}
	for _, s := range stmts {
		if _, err := raw.ExecContext(ctx, s); err != nil {
			tb.Fatalf("build ledger: %v", err)
		}
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatalf("checkpoint: %v", err)
	}
	// A running serve folds the live events into the hourly traffic
	// tables at each silence check; so does this ledger once, else every
	// status would count a million unfolded events.
	if db, err = ledger.Open(ctx, path); err != nil {
		tb.Fatalf("open ledger: %v", err)
	}
	if err := db.FoldTraffic(ctx); err != nil {
		tb.Fatalf("fold traffic: %v", err)
	}
	if err := db.Close(); err != nil {
		tb.Fatalf("close ledger: %v", err)
	}
	// Event 100 is dead (100 % 100 == 0) and of stripe (100 % 5 < 3).
	return bigLedger{Path: path, Events: n, Now: now, DeadSource: "stripe", DeadID: fmt.Sprintf("evt_%010d", 100)}
}
