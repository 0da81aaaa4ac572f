package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// Backend names, as the report spells them.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgres"
)

// store is the fresh, empty ledger one phase runs against: a SQLite file
// in the bench directory, or a schema of its own on the PostgreSQL
// database --db names, created for the phase and dropped after it.
type store struct {
	backend string
	dsn     string // what app.OpenLedger opens; for PostgreSQL it names the schema
	// PostgreSQL only: the database the schema is on, the schema, and the
	// application_name every connection of the phase carries, by which
	// serverCPU finds the server processes that served it.
	base, schema, appName string
}

// newSQLiteStore returns a store for a new ledger file name in dir.
func newSQLiteStore(dir, name string) *store {
	return &store{backend: backendSQLite, dsn: filepath.Join(dir, name)}
}

// newPostgresStore creates a fresh schema on the database base names and
// returns a store whose connections use it (search_path). The caller
// drops it. Errors never repeat base, which may hold a password.
func newPostgresStore(ctx context.Context, base string) (*store, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	s := &store{backend: backendPostgres, base: base, schema: "hookledger_bench_" + tag, appName: "hookledger-bench-" + tag}
	u, err := url.Parse(base)
	if err != nil {
		return nil, errors.New("bench: --db: invalid PostgreSQL URL")
	}
	q := u.Query()
	q.Set("search_path", s.schema)
	q.Set("application_name", s.appName)
	u.RawQuery = q.Encode()
	s.dsn = u.String()
	if err := s.exec(ctx, "CREATE SCHEMA "+s.schema); err != nil {
		return nil, fmt.Errorf("bench: create schema: %w", err)
	}
	return s, nil
}

// drop removes what the store created: the PostgreSQL schema; a SQLite
// file is left to the bench directory's removal.
func (s *store) drop() error {
	if s.backend != backendPostgres {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.exec(ctx, "DROP SCHEMA "+s.schema+" CASCADE"); err != nil {
		return fmt.Errorf("bench: drop schema %s: %w", s.schema, err)
	}
	return nil
}

// exec runs one statement on a connection of its own to s.base.
func (s *store) exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return errors.New("cannot connect to the --db database")
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// open opens the store's ledger through app.OpenLedger, as serve would.
func (s *store) open(ctx context.Context) (app.Ledger, error) {
	return app.OpenLedger(ctx, s.dsn, app.OpenOptions{})
}

// size is the ledger's size in bytes: the SQLite file, or every table of
// the schema with its indexes and TOAST.
func (s *store) size(ctx context.Context) (int64, error) {
	if s.backend == backendSQLite {
		return ledger.FileSize(s.dsn), nil
	}
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return 0, errors.New("cannot connect to the --db database")
	}
	defer conn.Close(context.Background())
	var n int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = $1 AND c.relkind = 'r'`, s.schema).Scan(&n)
	return n, err
}

// serverCPU is the CPU time (user and system) the PostgreSQL server
// processes serving this store's connections have used since they
// started, read from /proc: the server runs on this machine in the runs
// BENCHMARKS.md reports. ok is false for SQLite, or when the processes
// cannot be read (a server on another host).
func (s *store) serverCPU(ctx context.Context) (time.Duration, bool) {
	if s.backend != backendPostgres {
		return 0, false
	}
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return 0, false
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, s.appName)
	if err != nil {
		return 0, false
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(pids) == 0 {
		return 0, false
	}
	var total time.Duration
	for _, pid := range pids {
		d, ok := procCPU(int(pid))
		if !ok {
			return 0, false
		}
		total += d
	}
	return total, true
}

// procCPU is process pid's utime + stime from /proc/PID/stat, in the
// kernel's USER_HZ of 100 ticks a second.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: count fields after
	// its closing parenthesis, where field 3 (state) begins.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b[i+1:]))
	sc.Split(bufio.ScanWords)
	var ticks int64
	for field := 3; sc.Scan() && field <= 15; field++ {
		if field == 14 || field == 15 { // utime, stime
			n, err := strconv.ParseInt(sc.Text(), 10, 64)
			if err != nil {
				return 0, false
			}
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}
