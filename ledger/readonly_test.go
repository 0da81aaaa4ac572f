package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ledgerWithEvent creates a ledger at path holding one event, closed.
func ledgerWithEvent(tb testing.TB, path string) {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ev := &Event{Source: "stripe", EventID: "evt_1", Origin: OriginWebhook, Payload: []byte(`{}`), CreatedAt: time.Unix(1, 0)}
	if _, err := db.Record(context.Background(), ev, nil); err != nil {
		tb.Fatal(err)
	}
}

// dirState is every file in dir with its size, mode, mtime and sha256.
func dirState(tb testing.TB, dir string) []string {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %v %d %x", e.Name(), info.Size(), info.Mode(), info.ModTime().UnixNano(), sha256.Sum256(b)))
	}
	return out
}

// sameLedger fails unless the ledger file in dir is as before and every
// file added beside it is SQLite's WAL index (-shm) or an empty WAL: what
// a reader may leave when it can write the directory.
func sameLedger(tb testing.TB, dir string, before []string) {
	tb.Helper()
	was := map[string]bool{}
	for _, f := range before {
		was[f] = true
	}
	for _, f := range dirState(tb, dir) {
		name, _, _ := strings.Cut(f, " ")
		switch {
		case was[f]:
		case strings.HasSuffix(name, "-shm"), strings.HasSuffix(name, "-wal") && strings.HasPrefix(f, name+" 0 "):
		default:
			tb.Errorf("reading changed %s (now %s; before %v)", name, f, before)
		}
	}
}

// TestOpenReadOnlyNoLedger: a path with no file, or with a file that is
// not a ledger, gives ErrNoLedger ("no ledger at PATH") and creates or
// changes nothing.
func TestOpenReadOnlyNoLedger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	_, err := OpenReadOnly(context.Background(), path)
	if !errors.Is(err, ErrNoLedger) || !strings.Contains(err.Error(), "no ledger at "+path) {
		t.Errorf("OpenReadOnly(missing) error = %v, want %q", err, "no ledger at "+path)
	}
	if got := dirState(t, dir); len(got) != 0 {
		t.Errorf("OpenReadOnly(missing) left %v", got)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, dir)
	if _, err := OpenReadOnly(context.Background(), path); !errors.Is(err, ErrNoLedger) {
		t.Errorf("OpenReadOnly(empty file) error = %v, want ErrNoLedger", err)
	}
	if got := dirState(t, dir); !reflect.DeepEqual(got, before) {
		t.Errorf("OpenReadOnly(empty file) changed the directory: %v, was %v", got, before)
	}
}

// TestOpenReadOnlyWritesNothing: a ledger file with mode 0444 opens
// read-only and reads; nothing in its directory changes; the API's writes
// return ErrReadOnly; and SQLite itself refuses a write statement on the
// connection (mode=ro), so no write can run whatever the caller does.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	ledgerWithEvent(t, path)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, dir)
	db, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly() error = %v", err)
	}
	if ev, err := db.Event(ctx, "stripe", "evt_1"); err != nil || ev.EventID != "evt_1" {
		t.Errorf("Event() = %v, %v", ev, err)
	}
	if _, err := db.QueueStats(ctx); err != nil {
		t.Errorf("QueueStats() error = %v", err)
	}
	if _, err := db.Record(ctx, &Event{Source: "stripe", EventID: "evt_2", Payload: []byte(`{}`)}, nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Record() on a read-only ledger error = %v, want ErrReadOnly", err)
	}
	if _, err := db.r.ExecContext(ctx, `PRAGMA query_only = OFF`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.r.ExecContext(ctx, `DELETE FROM events`); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("a write statement on the read-only connection: %v, want SQLite's readonly error", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close() error = %v", err)
	}
	sameLedger(t, dir, before)
}

// TestOpenReadOnlyOutdatedSchema: a ledger of the first release, not yet
// upgraded, is refused read-only with ErrSchemaOutdated saying how to
// upgrade it, and left untouched; once a writing Open upgraded it, it opens.
func TestOpenReadOnlyOutdatedSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	legacyLedger(t, path, "c00459b")
	before := dirState(t, dir)
	_, err := OpenReadOnly(ctx, path)
	if !errors.Is(err, ErrSchemaOutdated) || !strings.Contains(err.Error(), "upgrades it") {
		t.Errorf("OpenReadOnly(c00459b ledger) error = %v, want ErrSchemaOutdated with a hint", err)
	}
	sameLedger(t, dir, before)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly(upgraded) error = %v", err)
	}
	db.Close()
}

// TestPathIsNotCutAtQuestionMark: a ledger path with "?", "#" or "%" in it
// names that file, for writing, for reading and for reconcile's listed
// set; it used to be cut at "?".
func TestPathIsNotCutAtQuestionMark(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a?b#c%41.db")
	ledgerWithEvent(t, path)
	w, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := w.OpenListedSet(context.Background(), "stripe")
	if err != nil {
		t.Errorf("OpenListedSet() error = %v", err)
	} else {
		set.Close()
	}
	w.Close()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"a?b#c%41.db"}) {
		t.Errorf("directory holds %q, want only %q", names, "a?b#c%41.db")
	}
	db, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenReadOnly() error = %v", err)
	}
	defer db.Close()
	if _, err := db.Event(context.Background(), "stripe", "evt_1"); err != nil {
		t.Errorf("Event() error = %v", err)
	}
}

// TestReadOnlyForAnotherUser: a user who may only read the ledger (file
// 0444 and directory 0555, owned by someone else) opens it read-only and
// reads its events. The tests run as root in CI, for whom permissions do
// not bind, so as root the check runs in a child process with the
// privileges of nobody (uid 65534); as another user it runs in-process on
// a ledger made read-only by file mode, which then binds.
func TestReadOnlyForAnotherUser(t *testing.T) {
	base, err := os.MkdirTemp("", "hookledger-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(base, "ro"), 0o755); os.RemoveAll(base) })
	dir := filepath.Join(base, "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ledger.db")
	ledgerWithEvent(t, path)
	for _, c := range []struct {
		p    string
		mode os.FileMode
	}{{path, 0o444}, {dir, 0o555}, {base, 0o755}} {
		if err := os.Chmod(c.p, c.mode); err != nil {
			t.Fatal(err)
		}
	}
	before := dirState(t, dir)
	if os.Geteuid() != 0 {
		if err := readAsHelper(path); err != nil {
			t.Error(err)
		}
	} else {
		out, err := runAsNobody(t, base, path)
		if err != nil || !strings.Contains(out, "read evt_1") {
			t.Errorf("read as nobody: %v\n%s", err, out)
		}
	}
	if got := dirState(t, dir); !reflect.DeepEqual(got, before) {
		t.Errorf("reading changed the directory:\n got %v\nwas %v", got, before)
	}
}

// runAsNobody runs this test binary's TestReadOnlyHelperProcess as uid and
// gid 65534 on path, from a copy of the binary nobody may execute.
func runAsNobody(t *testing.T, base, path string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "ledger.test")
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "HOOKLEDGER_RO_HELPER="+path)
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestReadOnlyHelperProcess is the child of TestReadOnlyForAnotherUser; it
// does nothing unless started by it.
func TestReadOnlyHelperProcess(t *testing.T) {
	path := os.Getenv("HOOKLEDGER_RO_HELPER")
	if path == "" {
		return
	}
	if err := readAsHelper(path); err != nil {
		t.Fatal(err)
	}
	fmt.Println("read evt_1 as uid", os.Getuid())
}

// readAsHelper checks the current user cannot write path, then reads it.
func readAsHelper(path string) error {
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		f.Close()
		return fmt.Errorf("uid %d may write %s: the check would prove nothing", os.Getuid(), path)
	}
	db, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		return fmt.Errorf("OpenReadOnly() as uid %d: %w", os.Getuid(), err)
	}
	defer db.Close()
	if _, err := db.Event(context.Background(), "stripe", "evt_1"); err != nil {
		return fmt.Errorf("Event() as uid %d: %w", os.Getuid(), err)
	}
	if _, err := db.QueueStats(context.Background()); err != nil {
		return fmt.Errorf("QueueStats() as uid %d: %w", os.Getuid(), err)
	}
	return nil
}

// TestReadOnlyBesideLiveWriter: a read-only ledger opened while a writer
// has it open sees what the writer committed, before and after it opened.
func TestReadOnlyBesideLiveWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	record := func(id string) {
		t.Helper()
		if _, err := w.Record(ctx, &Event{Source: "stripe", EventID: id, Payload: []byte(`{}`), Origin: OriginWebhook}, nil); err != nil {
			t.Fatal(err)
		}
	}
	record("evt_before")
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	record("evt_after")
	for _, id := range []string{"evt_before", "evt_after"} {
		if _, err := r.Event(ctx, "stripe", id); err != nil {
			t.Errorf("read-only Event(%s) beside a live writer: %v", id, err)
		}
	}
}
