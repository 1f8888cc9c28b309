//go:build unix

package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/icomp/icomp/storage/sqlitestore"
)

// withUmask0 runs fn with the process umask 0, so that a file created
// 0644 or 0666 shows it, whatever the umask the tests were started with.
// The umask is process-wide: callers must not be parallel tests (those
// wait until every sequential test is done).
func withUmask0(fn func()) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	fn()
}

// requirePrivate fails t unless every directory under root (root
// included) is 0700 and every file 0600.
func requirePrivate(t *testing.T, root string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", path, got, want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("%s holds nothing to check", root)
	}
}

// TestCreatedFilesArePrivate: the SQLite database and its -wal, -shm and
// lock files, payroll exports, and the demo's and bench's directories and
// files are created for their owner only, even under umask 0. Not
// parallel: it sets the process umask.
func TestCreatedFilesArePrivate(t *testing.T) {
	withUmask0(func() {
		// The database, through a command, with a payroll export.
		dir := filepath.Join(t.TempDir(), "ws")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "icomp.db")
		mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
		mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
		mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")
		mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
		mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
		mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1", "--out", filepath.Join(dir, "payroll.csv"))
		mustIcomp(t, "--db", db, "export", "show", "1", "--out", filepath.Join(dir, "again.csv"))
		for _, name := range []string{"icomp.db", "icomp.db.lock", "payroll.csv", "again.csv"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		// While the database is open, its -wal and -shm files exist.
		st, err := sqlitestore.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.ExecContext(t.Context(), `CREATE TABLE mode_probe (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"icomp.db-wal", "icomp.db-shm"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		requirePrivate(t, dir)
		st.Close()

		// The demo's workspace.
		demoDir := filepath.Join(t.TempDir(), "demo")
		mustIcomp(t, "demo", "--dir", demoDir)
		requirePrivate(t, demoDir)

		// The bench's directory.
		benchDir := filepath.Join(t.TempDir(), "bench")
		profileDir := t.TempDir()
		if err := os.Chmod(profileDir, 0o700); err != nil {
			t.Fatal(err)
		}
		r := mustIcomp(t, "bench", "--dir", benchDir, "--transactions", "300", "--people", "12", "--cpuprofile", filepath.Join(profileDir, "cpu.pprof"))
		if !strings.Contains(r.out, "digest ") {
			t.Fatalf("bench: %s", r)
		}
		requirePrivate(t, benchDir)
		requirePrivate(t, profileDir)
	})
}
