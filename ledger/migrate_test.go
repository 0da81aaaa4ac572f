package ledger

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// legacyLedger builds, at path, a ledger as the build of commit made it:
// its migrations (testdata/COMMIT, over testdata/c00459b for the files it
// shipped unchanged), applied in order and recorded in a migrations table
// without checksums, the way every build up to c00459b did. One event goes
// in, so upgrades run on data.
func legacyLedger(tb testing.TB, path, commit string) {
	tb.Helper()
	ms, err := readMigrations(os.DirFS("testdata"), "c00459b")
	if err != nil || len(ms) != 4 {
		tb.Fatalf("read testdata/c00459b: %d migrations, %v", len(ms), err)
	}
	changed, err := readMigrations(os.DirFS("testdata"), commit)
	if err != nil || len(changed) == 0 {
		tb.Fatalf("read testdata/%s: %d migrations, %v", commit, len(changed), err)
	}
	for _, c := range changed {
		for i := range ms {
			if ms[i].name == c.name {
				ms[i] = c
			}
		}
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	stmts := []string{`PRAGMA journal_mode = WAL`,
		`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`}
	for _, m := range ms {
		stmts = append(stmts, string(m.body),
			`INSERT INTO migrations (name, applied_at) VALUES ('`+m.name+`', strftime('%s','now'))`)
	}
	stmts = append(stmts, `INSERT INTO events (source, event_id, payload, created_at, received_at, origin, updated_at)
		VALUES ('stripe', 'evt_old', '{}', 1, 1, 'webhook', 1)`)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("build %s ledger: %v", commit, err)
		}
	}
}

// schemaOf returns the ledger's schema from sqlite_master, one line per
// object, whitespace normalised.
func schemaOf(tb testing.TB, path string) []string {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		tb.Fatal(err)
	}
	space, punct := regexp.MustCompile(`\s+`), regexp.MustCompile(` ?([(),]) ?`)
	var out []string
	if err := scanRows(rows, func(rows *sql.Rows) error {
		var typ, name, tbl, text string
		err := rows.Scan(&typ, &name, &tbl, &text)
		out = append(out, typ+" "+name+" on "+tbl+": "+punct.ReplaceAllString(space.ReplaceAllString(text, " "), "$1"))
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

func freshSchema(tb testing.TB) []string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fresh.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	db.Close()
	return schemaOf(tb, path)
}

// TestReleasedSchemaUpgradesToFresh: a ledger made by the first release
// (c00459b), or by an earlier build whose migrations were later edited in
// place (e09f29b: events_state on (source, state); 3bf995b: indexes since
// dropped or redefined), opens, keeps its events, and ends with exactly
// the schema of a fresh ledger, with a checksum recorded for every
// migration.
func TestReleasedSchemaUpgradesToFresh(t *testing.T) {
	want := freshSchema(t)
	for _, commit := range []string{"c00459b", "e09f29b", "3bf995b"} {
		t.Run(commit, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			legacyLedger(t, path, commit)
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			defer db.Close()
			if _, err := db.Event(ctx, "stripe", "evt_old"); err != nil {
				t.Errorf("Event(evt_old) after upgrade: %v", err)
			}
			var blank int
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE checksum = ''`).Scan(&blank); err != nil || blank != 0 {
				t.Errorf("%d migrations without checksum after upgrade (%v)", blank, err)
			}
			if got := schemaOf(t, path); !reflect.DeepEqual(got, want) {
				t.Errorf("schema after upgrade differs from a fresh ledger's:\n got %s\nwant %s",
					strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

// TestReleasedMigrationsUnchanged: the embedded 001–004 are byte for byte
// the released (c00459b) files, whose checksums legacy ledgers are given.
func TestReleasedMigrationsUnchanged(t *testing.T) {
	ms, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	old, err := readMigrations(os.DirFS("testdata"), "c00459b")
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, m := range ms {
		sums[m.name] = m.checksum
	}
	for _, m := range old {
		if released[m.name] != m.checksum || sums[m.name] != m.checksum {
			t.Errorf("%s: released %s, embedded %s, c00459b %s", m.name, released[m.name], sums[m.name], m.checksum)
		}
	}
	if len(old) != len(released) {
		t.Errorf("%d released checksums, c00459b has %d migrations", len(released), len(old))
	}
}

// TestChangedMigrationIsRefused: a ledger whose applied migration differs
// from the embedded one (edited after it was applied), lists one this
// build lacks (a newer hookledger), or claims an unreleased migration from
// before checksums, is refused with ErrSchemaMismatch and left as it was.
func TestChangedMigrationIsRefused(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, legacy, tamper, want string
	}{
		{"edited", "", `UPDATE migrations SET checksum = 'f00d' WHERE name = 'migrations/002_queue.sql'`,
			"migration migrations/002_queue.sql was applied with sha256 f00d"},
		{"newer", "", `INSERT INTO migrations VALUES ('migrations/999_future.sql', 0, 'abc')`,
			"migrations/999_future.sql, which this hookledger does not know"},
		{"legacy unreleased", "c00459b", `INSERT INTO migrations VALUES ('migrations/005_local.sql', 0)`,
			"migrations/005_local.sql was applied before checksums were recorded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.db")
			if tc.legacy != "" {
				legacyLedger(t, path, tc.legacy)
			} else {
				db, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			raw, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(tc.tamper); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			before := schemaOf(t, path)
			db, err := Open(ctx, path)
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, ErrSchemaMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open() error = %v, want ErrSchemaMismatch saying %q", err, tc.want)
			}
			if !reflect.DeepEqual(schemaOf(t, path), before) {
				t.Errorf("Open() changed the refused ledger's schema")
			}
			if tc.legacy == "" {
				if _, err := OpenReadOnly(ctx, path); !errors.Is(err, ErrSchemaMismatch) {
					t.Errorf("OpenReadOnly() error = %v, want ErrSchemaMismatch", err)
				}
			}
		})
	}
}
