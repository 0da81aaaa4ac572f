package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runBackup is `hookledger backup PATH`: a consistent copy of the ledger,
// taken while serve keeps receiving (never `cp` a live ledger: commits
// still in the WAL are not in the main file).
func runBackup(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "backup", "backup PATH [--db PATH]",
		"hookledger backup /var/backups/hookledger-$(date +%F).db")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return app.UsageError("backup: want PATH, the file to write (it must not exist)")
	}
	src := app.LedgerPath(env, *dbPath)
	if err := app.RequireSQLite("backup", src, "back it up with pg_dump or your database service's backups"); err != nil {
		return err
	}
	if err := app.RequireLedger("backup", src); err != nil {
		return err
	}
	// Read-only: the backup takes no write lock, so intake never waits.
	db, err := app.OpenLedger(ctx, src, app.OpenOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := app.Backup(ctx, db, pos[0]); err != nil {
		return err
	}
	st, err := os.Stat(pos[0])
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s (%d bytes)\n", src, pos[0], st.Size())
	return nil
}

// runVacuum is `hookledger vacuum`: the one-time, offline conversion of a
// ledger created before auto_vacuum, so that prune returns space to the
// file system. It refuses while anything else has the ledger open.
func runVacuum(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "vacuum", "vacuum [--db PATH]",
		"systemctl stop hookledger && hookledger vacuum && systemctl start hookledger")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	path := app.LedgerPath(env, *dbPath)
	if err := app.RequireSQLite("vacuum", path, "PostgreSQL's autovacuum returns the space prune frees"); err != nil {
		return err
	}
	before := ledger.FileSize(path)
	if err := ledger.Vacuum(ctx, path); err != nil {
		return fmt.Errorf("%w (stop serve and cron first)", err)
	}
	fmt.Fprintf(env.Stdout, "vacuumed %s: %d -> %d bytes, auto_vacuum=INCREMENTAL\n", path, before, ledger.FileSize(path))
	return nil
}
