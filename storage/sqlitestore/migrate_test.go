package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/storage"
)

// TestMigrateV1PlanVersions upgrades a schema v1 database, whose
// plan_version had a unique hash (so an older version could not be
// re-published), and checks its plans survive and can be rolled back.
func TestMigrateV1PlanVersions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := migrations.ReadFile("migration/001_init.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE icomp_migration (version INTEGER PRIMARY KEY)`,
		string(src),
		`INSERT INTO icomp_migration (version) VALUES (1)`,
		`INSERT INTO plan_version (hash, kind, name, version, file, source) VALUES ('h1', 'comp_plan', 'ae', '1', 'ae.yaml', 'v1')`,
		`INSERT INTO plan_version (hash, kind, name, version, file, source) VALUES ('h2', 'comp_plan', 'ae', '2', 'ae.yaml', 'v2')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := SchemaVersionOf(ctx, st.DB); err != nil || v != SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion)
	}
	latest := func() storage.PlanVersion {
		t.Helper()
		v, err := st.PlanVersionLatest(ctx, "comp_plan", "ae")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := latest(); v.Hash != "h2" || v.Seq != 2 || v.Source != "v2" {
		t.Fatalf("latest after the upgrade = %+v, want h2 at seq 2", v)
	}
	publish := func(hash string) {
		t.Helper()
		err := st.InTx(ctx, func(tx storage.Tx) error {
			_, err := tx.PlanVersionInsert(context.Background(), storage.PlanVersion{Hash: hash, Kind: "comp_plan", Name: "ae", Version: "x", File: "ae.yaml", Source: "s"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	publish("h1")
	if v := latest(); v.Hash != "h1" || v.Seq != 3 {
		t.Fatalf("latest after re-publishing h1 = %+v, want h1 at seq 3", v)
	}
	publish("h3")
	if v := latest(); v.Hash != "h3" || v.Seq != 4 {
		t.Fatalf("latest after publishing h3 = %+v, want h3 at seq 4 (AUTOINCREMENT kept across the table rebuild)", v)
	}
	if v, err := st.PlanVersionGet(ctx, "h1"); err != nil || v.Seq != 1 || v.Source != "v1" {
		t.Fatalf("PlanVersionGet(h1) = %+v, %v; want its first publication", v, err)
	}
}
