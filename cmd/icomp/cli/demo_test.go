package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/storage/pgtest"
)

// TestDemoPostgres: icomp demo --db postgres://… runs the demo on that
// database (migrating it) and posts the same ledger as the demo on SQLite;
// the workspace directory gets the files but no SQLite database. A second
// demo on the now used database is refused and changes nothing.
func TestDemoPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	dir := filepath.Join(t.TempDir(), "pg")
	r := icomp(t, "--db", url, "demo", "--dir", dir)
	if r.code != ExitOK {
		t.Fatalf("demo on Postgres: %s", r)
	}
	for _, want := range []string{"icomp demo: workspace " + dir, "database " + url, "Statement for ", "payroll-2027-Q1.csv", "--db " + url} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, r.out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "payroll-2027-Q1.csv")); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "icomp.db*"))
	if err != nil || len(matches) != 0 {
		t.Fatalf("SQLite files in the Postgres demo's directory: %v, %v", matches, err)
	}
	pgDigest := mustIcomp(t, "--db", url, "ledger", "digest").out
	if r := mustIcomp(t, "--db", url, "ledger", "verify"); !strings.HasPrefix(r.out, "ok: ") {
		t.Fatalf("ledger verify on the Postgres demo: %s", r)
	}

	sqliteDir := filepath.Join(t.TempDir(), "sqlite")
	mustIcomp(t, "demo", "--dir", sqliteDir)
	if d := mustIcomp(t, "--db", filepath.Join(sqliteDir, "icomp.db"), "ledger", "digest").out; d != pgDigest {
		t.Fatalf("ledger digest of the Postgres demo %q, of the SQLite demo %q; want them equal", pgDigest, d)
	}

	again := filepath.Join(t.TempDir(), "again")
	r = icomp(t, "--db", url, "demo", "--dir", again)
	if r.code != ExitUsage || !strings.Contains(r.errOut, " already holds icomp data (") || !strings.Contains(r.errOut, "the demo needs an empty database") {
		t.Fatalf("demo on a used database: %s", r)
	}
	if _, err := os.Stat(again); !os.IsNotExist(err) {
		t.Fatalf("the refused demo made %s (%v)", again, err)
	}
	if d := mustIcomp(t, "--db", url, "ledger", "digest").out; d != pgDigest {
		t.Fatalf("ledger digest after the refused demo %q, want %q", d, pgDigest)
	}
}

// TestDemoSQLiteFile: --db names a new SQLite file for the demo; an
// existing one is refused before anything is written.
func TestDemoSQLiteFile(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	db := filepath.Join(tmp, "elsewhere.db")
	dir := filepath.Join(tmp, "demo")
	if r := mustIcomp(t, "--db", db, "demo", "--dir", dir); !strings.Contains(r.out, "--db "+db) {
		t.Fatalf("demo --db FILE: %s", r)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "icomp.db")); !os.IsNotExist(err) {
		t.Fatalf("demo --db FILE also made %s/icomp.db (%v)", dir, err)
	}
	other := filepath.Join(tmp, "other")
	if r := icomp(t, "--db", db, "demo", "--dir", other); r.code != ExitUsage || !strings.Contains(r.errOut, "--db "+db+" exists; the demo needs a new database") {
		t.Fatalf("demo on an existing SQLite file: %s", r)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("the refused demo made %s (%v)", other, err)
	}
}
