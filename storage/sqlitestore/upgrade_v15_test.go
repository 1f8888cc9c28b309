package sqlitestore

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"

	"github.com/icomp/icomp/storage/storagetest"
)

// TestUpgradeToV15PacksCredits: a schema v14 database's credits, one row
// each, become one pack per line, listed as they were.
func TestUpgradeToV15PacksCredits(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v14.db")
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
	for v, f := range files[:14] {
		src, err := migrations.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(src), fmt.Sprintf(`INSERT INTO icomp_migration (version) VALUES (%d)`, v+1))
	}
	stmts = append(stmts, storagetest.V14Credits)
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	db.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storagetest.CheckV14Credits(t, st)
}
