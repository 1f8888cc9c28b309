package sqlitestore

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
)

// TestUpgradeToV12KeepsTokensAndSessions: a schema v11 database with a
// user, a session and two API tokens is upgraded; the tokens keep their
// hashes and get ids in creation order, no label and are not revoked,
// the session was last seen when it was created, the user is enabled.
func TestUpgradeToV12KeepsTokensAndSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v11.db")
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
	for v, f := range files[:11] {
		src, err := migrations.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(src), fmt.Sprintf(`INSERT INTO icomp_migration (version) VALUES (%d)`, v+1))
	}
	stmts = append(stmts,
		`INSERT INTO app_user (id, email, role, person, password_hash, created_at) VALUES (7, 'ana@example.com', 'rep', 'ae-1', 'h', '2027-01-01T00:00:00Z')`,
		`INSERT INTO app_session (id_hash, user_id, csrf, created_at, expires_at) VALUES ('s', 7, 'c', '2027-01-02T08:00:00Z', '2027-01-02T20:00:00Z')`,
		`INSERT INTO api_token (token_hash, user_id, created_at) VALUES ('zzz-later', 7, '2027-01-03T00:00:00Z'), ('aaa-first', 7, '2027-01-02T00:00:00Z')`,
	)
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
	if v, err := SchemaVersionOf(ctx, st.DB); err != nil || v != SchemaVersion {
		t.Fatalf("version %d, %v; want %d", v, err, SchemaVersion)
	}
	u, err := st.UserGetByID(ctx, 7)
	if err != nil || u.Disabled() {
		t.Fatalf("user after the upgrade = %+v, %v; want enabled", u, err)
	}
	s, err := st.SessionGet(ctx, "s")
	if err != nil || s.LastSeenAt != "2027-01-02T08:00:00Z" {
		t.Fatalf("session after the upgrade = %+v, %v; want last seen at its creation", s, err)
	}
	ts, err := st.APITokenList(ctx, 7)
	if err != nil || len(ts) != 2 {
		t.Fatalf("tokens after the upgrade = %+v, %v", ts, err)
	}
	for i, want := range []string{"aaa-first", "zzz-later"} {
		if ts[i].Hash != want || ts[i].ID == 0 || ts[i].Label != "" || ts[i].Revoked() {
			t.Errorf("token %d = %+v; want %s, with an id, no label, not revoked", i, ts[i], want)
		}
	}
	if tk, err := st.APITokenGet(ctx, "zzz-later"); err != nil || tk.ID != ts[1].ID {
		t.Errorf("APITokenGet after the upgrade = %+v, %v", tk, err)
	}
}
