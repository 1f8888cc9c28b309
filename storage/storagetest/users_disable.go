package storagetest

import (
	"errors"
	"testing"

	"github.com/icomp/icomp/storage"
)

// testUserDisable (schema v12): a user is disabled and enabled again, a
// user's sessions end together, a session's last use moves, API tokens
// get increasing ids and labels, list by user, and are revoked once; the
// token hash stays unique.
func testUserDisable(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	var rep, admin int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		if rep, err = tx.UserInsert(ctx, storage.User{Email: "ana@example.com", Role: storage.RoleRep, Person: "P001", PasswordHash: "h", CreatedAt: "2027-01-01T00:00:00Z"}); err != nil {
			return err
		}
		admin, err = tx.UserInsert(ctx, storage.User{Email: "admin@example.com", Role: storage.RoleAdmin, PasswordHash: "h", CreatedAt: "2027-01-01T00:00:00Z"})
		return err
	})
	if u, err := st.UserGetByID(ctx, rep); err != nil || u.Disabled() || u.DisabledAt != "" {
		t.Fatalf("new user = %+v, %v; want enabled", u, err)
	}

	// Disable, read back by id, email and in the list; enable again.
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.UserSetDisabled(ctx, rep, "2027-02-01T10:00:00Z") })
	if u, err := st.UserGet(ctx, "ana@example.com"); err != nil || !u.Disabled() || u.DisabledAt != "2027-02-01T10:00:00Z" {
		t.Fatalf("disabled user = %+v, %v", u, err)
	}
	if us, err := st.UserList(ctx); err != nil || len(us) != 2 || us[1].Email != "ana@example.com" || !us[1].Disabled() || us[0].Disabled() {
		t.Fatalf("UserList = %+v, %v", us, err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.UserSetDisabled(ctx, rep, "") })
	if u, err := st.UserGetByID(ctx, rep); err != nil || u.Disabled() {
		t.Fatalf("enabled user = %+v, %v", u, err)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error { return tx.UserSetDisabled(ctx, 999999, "2027-02-01T10:00:00Z") }); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("disabling no user: %v, want ErrNotFound", err)
	}

	// Sessions: last use defaults to the creation, moves on touch, and
	// one user's sessions end together, not another's.
	inTx(t, ctx, st, func(tx storage.Tx) error {
		for _, s := range []storage.Session{
			{IDHash: "r1", UserID: rep, CSRF: "c", CreatedAt: "2027-01-01T00:00:00Z", ExpiresAt: "2027-01-01T12:00:00Z"},
			{IDHash: "r2", UserID: rep, CSRF: "c", CreatedAt: "2027-01-01T01:00:00Z", ExpiresAt: "2027-01-01T13:00:00Z", LastSeenAt: "2027-01-01T01:05:00Z"},
			{IDHash: "a1", UserID: admin, CSRF: "c", CreatedAt: "2027-01-01T00:00:00Z", ExpiresAt: "2027-01-01T12:00:00Z"},
		} {
			if err := tx.SessionInsert(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if s, err := st.SessionGet(ctx, "r1"); err != nil || s.LastSeenAt != "2027-01-01T00:00:00Z" {
		t.Errorf("session without a last use = %+v, %v; want it seen at its creation", s, err)
	}
	if s, err := st.SessionGet(ctx, "r2"); err != nil || s.LastSeenAt != "2027-01-01T01:05:00Z" {
		t.Errorf("session r2 = %+v, %v", s, err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.SessionTouch(ctx, "r1", "2027-01-01T00:20:00Z") })
	if s, err := st.SessionGet(ctx, "r1"); err != nil || s.LastSeenAt != "2027-01-01T00:20:00Z" || s.CreatedAt != "2027-01-01T00:00:00Z" {
		t.Errorf("touched session = %+v, %v", s, err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.SessionDeleteForUser(ctx, rep) })
	for _, id := range []string{"r1", "r2"} {
		if _, err := st.SessionGet(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("session %s of the user whose sessions ended: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := st.SessionGet(ctx, "a1"); err != nil {
		t.Errorf("another user's session ended too: %v", err)
	}

	// Tokens: ids, labels, list by user and all, revocation once.
	var t1, t2, t3 int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		if t1, err = tx.APITokenInsert(ctx, storage.APIToken{Hash: "h1", UserID: rep, Label: "laptop", CreatedAt: "2027-01-01T00:00:00Z"}); err != nil {
			return err
		}
		if t2, err = tx.APITokenInsert(ctx, storage.APIToken{Hash: "h2", UserID: admin, CreatedAt: "2027-01-01T00:00:00Z"}); err != nil {
			return err
		}
		t3, err = tx.APITokenInsert(ctx, storage.APIToken{Hash: "h3", UserID: rep, Label: "ci", CreatedAt: "2027-01-02T00:00:00Z"})
		return err
	})
	if !(t1 > 0 && t2 > t1 && t3 > t2) {
		t.Fatalf("token ids %d, %d, %d; want increasing", t1, t2, t3)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.APITokenInsert(ctx, storage.APIToken{Hash: "h1", UserID: admin, CreatedAt: "x"})
		return err
	}); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	if tk, err := st.APITokenGet(ctx, "h1"); err != nil || tk.ID != t1 || tk.Label != "laptop" || tk.UserID != rep || tk.Revoked() {
		t.Fatalf("APITokenGet = %+v, %v", tk, err)
	}
	if tk, err := st.APITokenGetByID(ctx, t3); err != nil || tk.Hash != "h3" || tk.Label != "ci" {
		t.Fatalf("APITokenGetByID = %+v, %v", tk, err)
	}
	if _, err := st.APITokenGetByID(ctx, 999999); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("APITokenGetByID of no token: %v, want ErrNotFound", err)
	}
	if ts, err := st.APITokenList(ctx, rep); err != nil || len(ts) != 2 || ts[0].ID != t1 || ts[1].ID != t3 {
		t.Fatalf("APITokenList(rep) = %+v, %v", ts, err)
	}
	if ts, err := st.APITokenList(ctx, 0); err != nil || len(ts) != 3 || ts[1].ID != t2 {
		t.Fatalf("APITokenList(all) = %+v, %v", ts, err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.APITokenRevoke(ctx, t1, "2027-03-01T00:00:00Z") })
	if tk, err := st.APITokenGet(ctx, "h1"); err != nil || !tk.Revoked() || tk.RevokedAt != "2027-03-01T00:00:00Z" {
		t.Fatalf("revoked token = %+v, %v", tk, err)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error { return tx.APITokenRevoke(ctx, t1, "2027-04-01T00:00:00Z") }); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoking a revoked token: %v, want ErrNotFound", err)
	}
	if tk, err := st.APITokenGetByID(ctx, t1); err != nil || tk.RevokedAt != "2027-03-01T00:00:00Z" {
		t.Errorf("a second revocation moved the time: %+v, %v", tk, err)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error { return tx.APITokenRevoke(ctx, 999999, "2027-04-01T00:00:00Z") }); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoking no token: %v, want ErrNotFound", err)
	}
	if tk, err := st.APITokenGetByID(ctx, t3); err != nil || tk.Revoked() {
		t.Errorf("another token was revoked too: %+v, %v", tk, err)
	}
}
