package sqlitestore

import (
	"testing"
)

// TestUpgradeToV12KeepsTokensAndSessions: a schema v11 database with a
// user, a session and two API tokens is upgraded; the tokens keep their
// hashes and get ids in creation order, no label and are not revoked,
// the session was last seen when it was created, the user is enabled.
func TestUpgradeToV12KeepsTokensAndSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openAtVersion(t, 11,
		`INSERT INTO app_user (id, email, role, person, password_hash, created_at) VALUES (7, 'ana@example.com', 'rep', 'ae-1', 'h', '2027-01-01T00:00:00Z')`,
		`INSERT INTO app_session (id_hash, user_id, csrf, created_at, expires_at) VALUES ('s', 7, 'c', '2027-01-02T08:00:00Z', '2027-01-02T20:00:00Z')`,
		`INSERT INTO api_token (token_hash, user_id, created_at) VALUES ('zzz-later', 7, '2027-01-03T00:00:00Z'), ('aaa-first', 7, '2027-01-02T00:00:00Z')`,
	)
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
