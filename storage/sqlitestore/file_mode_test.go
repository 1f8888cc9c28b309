//go:build unix

package sqlitestore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestFilesArePrivate: Open and Lock create the database, its -wal and
// -shm files and the lock file readable by their owner only, even under
// umask 0 (set for the whole process, so this test is not parallel).
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "icomp.db")
	release, err := sqlitestore.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	st, err := sqlitestore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(t.Context(), `CREATE TABLE mode_probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", name, got)
		}
	}
}
