package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// fileMode is the mode of the ledger file and of its -wal and -shm: they
// hold every payload, so only the owner may read them.
const fileMode fs.FileMode = 0o600

// privateFiles makes the ledger at path private before SQLite opens it. A
// missing file is created empty with mode 0600 whatever the umask; SQLite
// then gives the -wal and -shm it creates the main file's mode. An existing
// file, -wal or -shm that group or others may access is tightened to 0600,
// and its name is returned so the caller can say so. It fails when a file
// cannot be created or tightened.
func privateFiles(path string) (tightened []string, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		// Chmod is not subject to the umask, so a umask such as 0277 does
		// not leave the owner without write access either.
		err = f.Chmod(fileMode)
		return nil, errors.Join(err, f.Close())
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create ledger file: %w", err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return tightened, fmt.Errorf("check ledger file mode: %w", err)
		}
		if info.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(name, info.Mode().Perm()&^0o077); err != nil {
			return tightened, fmt.Errorf("ledger file %s is readable by other users (mode %04o) and cannot be made private: %w",
				name, info.Mode().Perm(), err)
		}
		tightened = append(tightened, name)
	}
	return tightened, nil
}

// Tightened returns the ledger files that Open found open to group or
// other users and made private (mode 0600 or stricter); nil when there
// were none.
func (db *DB) Tightened() []string { return db.tightened }
