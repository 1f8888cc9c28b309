package sqlitestore

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
)

// openAtVersion makes a database at schema version v (its first v
// migrations, as an older icomp left it), runs data (SQL of that
// version's shape) in it, and opens it with Open, which upgrades it.
func openAtVersion(t *testing.T, v int, data ...string) *Store {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", v))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations, "migration/*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	stmts := []string{`CREATE TABLE icomp_migration (version INTEGER PRIMARY KEY)`}
	for i, f := range files[:v] {
		src, err := migrations.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(src), fmt.Sprintf(`INSERT INTO icomp_migration (version) VALUES (%d)`, i+1))
	}
	for _, q := range append(stmts, data...) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	db.Close()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
