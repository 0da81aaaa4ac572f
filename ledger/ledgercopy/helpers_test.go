package ledgercopy_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgercopy"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

var ctx = context.Background()

// t0 is the small ledger's clock at its start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// smallLedger builds, through the ledger's own API, a SQLite ledger with
// rows in every table: events in every state with first receipts and
// duplicates, a pruned payload, a payload that does not compress, attempts,
// runs, jobs, open, resolved and acknowledged alerts with their outbox,
// rejections, the mode setting, admin actions, traffic, and payloads
// compressed with a trained dictionary. It returns the
// file's path, closed.
func smallLedger(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "hookledger.db")
	clock := ledgertest.NewClock(t0)
	db, err := ledger.OpenWith(ctx, path, ledger.Options{Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.SetMode(ctx, ledger.ModeDeliver); err != nil {
		tb.Fatal(err)
	}
	states := []ledger.State{ledger.StatePending, ledger.StateProcessing, ledger.StateFailed, ledger.StateDead, ledger.StateProcessed}
	var evs []*ledger.Event
	for i := range 25 {
		ev := &ledger.Event{Source: []string{"stripe", "github"}[i%2], EventID: fmt.Sprintf("evt_%03d", i),
			Type: "invoice.paid", Action: "created", Account: "acct_1", CreatedAt: t0.Add(time.Duration(i-30) * time.Minute),
			Headers: map[string]string{"Stripe-Signature": "t=1,v1=redacted", "X-Seq": fmt.Sprint(i)},
			Payload: fmt.Appendf(nil, `{"id":"evt_%03d","object":"event","data":{"object":{"amount":%d,"note":"%s"}}}`,
				i, i*100, strings.Repeat("paid ", i))}
		if i == 7 {
			ev.Payload = []byte{0x00, 0xff, 0x10} // not JSON, not compressible: kept as identity
		}
		var rc *ledger.Receipt
		if i%3 != 0 { // every third came through reconcile: no first receipt
			rc = &ledger.Receipt{Status: 200, RemoteAddr: "203.0.113.9:4242", BodySize: len(ev.Payload), Duration: 1500 * time.Microsecond}
		} else {
			ev.Origin = ledger.OriginReconcile
		}
		if _, err := db.Record(ctx, ev, rc); err != nil {
			tb.Fatal(err)
		}
		clock.Add(time.Second)
		evs = append(evs, ev)
	}
	for i, ev := range evs {
		ledgertest.SetState(tb, db, ev, states[i%len(states)])
	}
	for _, ev := range evs[:4] {
		dup := &ledger.Receipt{Source: ev.Source, EventID: ev.EventID, Outcome: ledger.OutcomeDuplicate, Status: 200,
			RemoteAddr: "198.51.100.1:1", BodySize: 10, Duration: time.Millisecond}
		if err := db.RecordReceipt(ctx, dup); err != nil {
			tb.Fatal(err)
		}
	}
	rej := &ledger.Receipt{Source: "stripe", Outcome: ledger.OutcomeRejected, Reason: "signature", Status: 401, RemoteAddr: "192.0.2.1:9"}
	if err := db.RecordReceipt(ctx, rej); err != nil {
		tb.Fatal(err)
	}
	db.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "signature", Status: 401, At: clock.Now(), RemoteAddr: "192.0.2.1:9", Error: "no valid signature"})
	db.RecordRejection(ledger.Rejection{Source: "github", Reason: "malformed", Status: 400, At: clock.Now(), Error: "bad json"})
	if err := db.SyncRejections(ctx); err != nil {
		tb.Fatal(err)
	}
	addRunsAndJobs(tb, db, clock)
	addAlerts(tb, db, clock)
	if err := db.RecordActions(ctx, []*ledger.Action{{Actor: "admin", Action: "replay", Source: "stripe", EventID: "evt_003", Detail: "from the page"},
		{Actor: "ops", Action: "ack", Detail: "alert 1"}}); err != nil {
		tb.Fatal(err)
	}
	addDictPayloads(tb, db, clock)
	if err := db.FoldTraffic(ctx); err != nil {
		tb.Fatal(err)
	}
	// Drop the payloads of the processed events.
	clock.Add(48 * time.Hour)
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: ledger.Retention{Payloads: time.Hour, Events: 1000 * time.Hour, Receipts: 1000 * time.Hour}, Pause: -1})
	if err != nil || rep.Payloads == 0 {
		tb.Fatalf("Prune() = %+v, %v; want payloads dropped", rep, err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// fixtureEvents is how many events smallLedger records.
const fixtureEvents = 25 + dictEvents + 5

// dictEvents is how many paddle events a dictionary is trained on.
const dictEvents = 120

// addDictPayloads records paddle events, trains the source's payload
// dictionary on them, and records 5 more, which are compressed with it.
func addDictPayloads(tb testing.TB, db *ledger.DB, clock *ledgertest.Clock) {
	tb.Helper()
	record := func(i int) {
		ev := &ledger.Event{Source: "paddle", EventID: fmt.Sprintf("ntf_%04d", i), Type: "transaction.completed",
			CreatedAt: clock.Now(), Payload: fmt.Appendf(nil, `{"event_id":"ntf_%04d","event_type":"transaction.completed",`+
				`"data":{"id":"txn_%d","status":"completed","currency_code":"EUR","items":[{"price_id":"pri_%d","quantity":%d}]}}`, i, i*7919, i%13, i%5+1)}
		if _, err := db.Record(ctx, ev, &ledger.Receipt{Status: 200, RemoteAddr: "198.51.100.7:443", BodySize: len(ev.Payload)}); err != nil {
			tb.Fatal(err)
		}
		clock.Add(time.Second)
	}
	for i := range dictEvents {
		record(i)
	}
	if err := db.TrainPayloadDict(ctx, "paddle"); err != nil {
		tb.Fatal(err)
	}
	for i := dictEvents; i < dictEvents+5; i++ {
		record(i)
	}
}

func addRunsAndJobs(tb testing.TB, db *ledger.DB, clock *ledgertest.Clock) {
	tb.Helper()
	for i, complete := range []bool{true, false, true} {
		r := &ledger.Run{Source: "stripe", Job: "reconcile", Since: t0.Add(-time.Duration(i+1) * time.Hour), Until: t0.Add(-time.Duration(i) * time.Hour)}
		if err := db.StartRun(ctx, r); err != nil {
			tb.Fatal(err)
		}
		clock.Add(time.Second)
		r.Complete, r.Report = complete, []byte(fmt.Sprintf(`{"source":"stripe","expected":%d}`, i))
		if !complete {
			r.Error = "provider: 500"
		}
		if err := db.FinishRun(ctx, r); err != nil {
			tb.Fatal(err)
		}
	}
	for _, name := range []string{"reconcile", "deep"} {
		if err := db.StartJob(ctx, name, "@every 15m", clock.Now()); err != nil {
			tb.Fatal(err)
		}
		if err := db.FinishJob(ctx, name, clock.Now().Add(time.Second), nil); err != nil {
			tb.Fatal(err)
		}
	}
}

func addAlerts(tb testing.TB, db *ledger.DB, clock *ledgertest.Clock) {
	tb.Helper()
	ch := ledger.AlertChange{Message: &ledger.AlertMessage{Source: "stripe", Kind: "alert", Text: "2 missing", Blocks: `[{"type":"section"}]`},
		Upsert: []*ledger.Alert{
			{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", State: ledger.AlertOpen, Summary: "2 missing", Keys: []string{"evt_a", "evt_b"}, Count: 2, Since: t0},
			{Fingerprint: "stripe:unknown", Source: "stripe", Kind: "unknown", State: ledger.AlertOpen, Summary: "1 unknown", Keys: []string{"evt_x"}, Count: 1},
		}}
	if err := db.ApplyAlerts(ctx, ch); err != nil {
		tb.Fatal(err)
	}
	if err := db.MarkAlertSent(ctx, ch.Message.ID, "C123", "1700000000.000100"); err != nil {
		tb.Fatal(err)
	}
	clock.Add(time.Minute)
	resolve := ledger.AlertChange{Resolve: []int64{ch.Upsert[0].ID},
		Replies: []*ledger.AlertMessage{{Source: "stripe", Kind: "resolved", Text: "resolved", ParentID: ch.Message.ID}}}
	if err := db.ApplyAlerts(ctx, resolve); err != nil {
		tb.Fatal(err)
	}
	if err := db.MarkAlertFailed(ctx, resolve.Replies[0].ID, "slack: rate limited", clock.Now().Add(time.Minute)); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.AckAlert(ctx, ch.Upsert[1].ID, "ops", nil); err != nil {
		tb.Fatal(err)
	}
}

// openPair opens the SQLite ledger at path read-only and a fresh
// PostgreSQL ledger, both closed at the end of tb.
func openPair(tb testing.TB, path string) (*ledger.DB, *postgres.DB, string) {
	tb.Helper()
	src, err := ledger.OpenReadOnly(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	url := pgtest.ConnString(tb)
	return src, openPG(tb, url), url
}

func openPG(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	dst, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dst.Close() })
	return dst
}

// tableRows reads every row of table, the columns cols, in key order,
// from each backend directly (not through the code under test), with
// values as int64, string or []byte.
func sqliteRows(tb testing.TB, path, table string, cols, key []string) [][]any {
	tb.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` ORDER BY ` + strings.Join(key, ", "))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func pgRows(tb testing.TB, url, table string, cols, key []string) [][]any {
	tb.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` ORDER BY `+strings.Join(key, ", "))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		vals, err := r.Values()
		for i, v := range vals {
			switch v := v.(type) {
			case int32:
				vals[i] = int64(v)
			case bool:
				vals[i] = map[bool]int64{false: 0, true: 1}[v]
			}
		}
		return vals, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// pgColumns returns table's columns on PostgreSQL, nil when there is no
// such table.
func pgColumns(tb testing.TB, url, table string) []string {
	tb.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		tb.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(cols)
	return cols
}

// sqliteColumns returns table's columns in the SQLite ledger at path.
func sqliteColumns(tb testing.TB, path, table string) []string {
	tb.Helper()
	var cols []string
	for _, r := range sqliteRows(tb, path, "pragma_table_info('"+table+"')", []string{"name"}, []string{"cid"}) {
		cols = append(cols, r[0].(string))
	}
	return cols
}

// mustCopy copies src to dst, failing tb on an error.
func mustCopy(tb testing.TB, src *ledger.DB, dst *postgres.DB, batch int) *ledgercopy.Summary {
	tb.Helper()
	sum, err := ledgercopy.Copy(ctx, src, dst, ledgercopy.Options{Batch: batch})
	if err != nil {
		tb.Fatalf("Copy() error = %v", err)
	}
	return sum
}
