package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// Several instances starting together on an empty database migrate once:
// every Open succeeds and each migration is applied by exactly one.
func TestMigrationsAppliedOnceUnderConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := pgtest.ConnString(t)
	const n = 8
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = postgres.Open(context.Background(), url, postgres.Options{})
		})
	}
	close(start)
	wg.Wait()
	applied := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open() #%d error = %v", i, errs[i])
		}
		defer dbs[i].Close()
		for _, name := range dbs[i].Applied() {
			applied[name]++
		}
	}
	if len(applied) == 0 {
		t.Fatal("no Open applied any migration")
	}
	for name, count := range applied {
		if count != 1 {
			t.Errorf("migration %s applied %d times, want 1", name, count)
		}
	}
	again := mustOpen(t, url, postgres.Options{})
	if got := again.Applied(); len(got) != 0 {
		t.Errorf("reopen Applied() = %v, want none", got)
	}
}

func TestChangedMigrationIsRefused(t *testing.T) {
	t.Parallel()
	db, url := openFresh(t)
	db.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE hookledger_migrations SET checksum = 'edited' WHERE name = '001_ledger.sql'`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, url, postgres.Options{}); !errors.Is(err, ledger.ErrSchemaMismatch) {
		t.Fatalf("Open() after an edited migration error = %v, want ErrSchemaMismatch", err)
	}
	if _, err := conn.Exec(ctx, `UPDATE hookledger_migrations SET checksum = 'x' WHERE false;
		INSERT INTO hookledger_migrations VALUES ('999_future.sql', 'abc', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, url, postgres.Options{}); !errors.Is(err, ledger.ErrSchemaMismatch) {
		t.Fatalf("Open() with a newer migration error = %v, want ErrSchemaMismatch", err)
	}
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there.
	_, err := postgres.Open(context.Background(), "postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=2", postgres.Options{})
	if !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("Open() error = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secretpw") {
		t.Errorf("Open() error %q names the password", err)
	}
}
