package storagetest

import (
	"errors"
	"testing"

	"github.com/icomp/icomp/storage"
)

// testUsers: users, sessions and API tokens round-trip, an email is
// unique, a role outside the four is refused, sessions end and expire,
// and the admin audit log lists newest first and refuses edits.
func testUsers(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	var rep, admin int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		if rep, err = tx.UserInsert(ctx, storage.User{Email: "ana@example.com", Role: storage.RoleRep, Person: "P001", PasswordHash: "$argon2id$x", CreatedAt: "2027-01-01T00:00:00Z"}); err != nil {
			return err
		}
		admin, err = tx.UserInsert(ctx, storage.User{Email: "admin@example.com", Role: storage.RoleAdmin, PasswordHash: "$argon2id$y", CreatedAt: "2027-01-01T00:00:00Z"})
		return err
	})
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.UserInsert(ctx, storage.User{Email: "ana@example.com", Role: storage.RoleRep, PasswordHash: "h", CreatedAt: "x"})
		return err
	}); err == nil {
		t.Error("a second user with the same email was stored")
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.UserInsert(ctx, storage.User{Email: "bob@example.com", Role: "root", PasswordHash: "h", CreatedAt: "x"})
		return err
	}); err == nil {
		t.Error("a user with role root was stored")
	}
	u, err := st.UserGet(ctx, "ana@example.com")
	if err != nil || u.ID != rep || u.Person != "P001" || u.Role != storage.RoleRep || u.PasswordHash != "$argon2id$x" {
		t.Fatalf("UserGet = %+v, %v", u, err)
	}
	if u2, err := st.UserGetByID(ctx, admin); err != nil || u2.Email != "admin@example.com" {
		t.Fatalf("UserGetByID = %+v, %v", u2, err)
	}
	if _, err := st.UserGet(ctx, "nobody@example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("UserGet of nobody: %v, want ErrNotFound", err)
	}
	if us, err := st.UserList(ctx); err != nil || len(us) != 2 || us[0].Email != "admin@example.com" {
		t.Fatalf("UserList = %+v, %v", us, err)
	}

	inTx(t, ctx, st, func(tx storage.Tx) error {
		if err := tx.SessionInsert(ctx, storage.Session{IDHash: "old", UserID: rep, CSRF: "c1", CreatedAt: "2027-01-01T00:00:00Z", ExpiresAt: "2027-01-01T12:00:00Z"}); err != nil {
			return err
		}
		if err := tx.SessionInsert(ctx, storage.Session{IDHash: "new", UserID: admin, CSRF: "c2", CreatedAt: "2027-01-02T00:00:00Z", ExpiresAt: "2027-01-02T12:00:00Z"}); err != nil {
			return err
		}
		_, err := tx.APITokenInsert(ctx, storage.APIToken{Hash: "tok", UserID: rep, CreatedAt: "2027-01-01T00:00:00Z"})
		return err
	})
	if s, err := st.SessionGet(ctx, "new"); err != nil || s.UserID != admin || s.CSRF != "c2" || s.ExpiresAt != "2027-01-02T12:00:00Z" {
		t.Fatalf("SessionGet = %+v, %v", s, err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.SessionDeleteExpired(ctx, "2027-01-02T00:00:00Z") })
	if _, err := st.SessionGet(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired session still there: %v", err)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.SessionDelete(ctx, "new") })
	if _, err := st.SessionGet(ctx, "new"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted session still there: %v", err)
	}
	if tk, err := st.APITokenGet(ctx, "tok"); err != nil || tk.UserID != rep {
		t.Fatalf("APITokenGet = %+v, %v", tk, err)
	}

	inTx(t, ctx, st, func(tx storage.Tx) error {
		for _, a := range []string{"period.approve", "period.close"} {
			if _, err := tx.AuditInsert(ctx, storage.AuditEntry{At: "2027-02-01T00:00:00Z", Actor: "admin@example.com", Action: a, Detail: "2027-Q1"}); err != nil {
				return err
			}
		}
		return nil
	})
	log, err := st.AuditList(ctx, 10)
	if err != nil || len(log) != 2 || log[0].Action != "period.close" || log[1].Actor != "admin@example.com" {
		t.Fatalf("AuditList = %+v, %v", log, err)
	}
	if b.opts.RawExec != nil {
		for _, q := range []string{`UPDATE admin_audit SET actor = 'someone else'`, `DELETE FROM admin_audit`} {
			if err := b.opts.RawExec(ctx, st, q); err == nil {
				t.Errorf("%s: the database allowed it", q)
			}
		}
	}
}
