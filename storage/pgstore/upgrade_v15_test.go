package pgstore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/storagetest"
)

// TestUpgradeToV15PacksCredits: a schema v14 database's credits, one row
// each, become one pack per line, listed as they were.
func TestUpgradeToV15PacksCredits(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := newDatabase(t)
	pool := connect(t, url)
	stmts := []string{`CREATE TABLE icomp_migration (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`}
	for v, f := range migrationFiles(t, "migration")[:14] {
		src, err := os.ReadFile(filepath.Join("migration", f))
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(src), fmt.Sprintf(`INSERT INTO icomp_migration (version) VALUES (%d)`, v+1))
	}
	stmts = append(stmts, storagetest.V14Credits)
	for _, q := range stmts {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	if _, err := pgstore.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storagetest.CheckV14Credits(t, st)
}
