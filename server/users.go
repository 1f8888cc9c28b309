package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/icomp/icomp/storage"
)

// AddUserParams is a new web user.
type AddUserParams struct {
	Email, Role, Person, Password string
	// By is who adds the user, for the audit log.
	By string
}

// AddUser validates and stores a new user, with the password hashed, and
// records it in the audit log.
func AddUser(ctx context.Context, st storage.Store, p AddUserParams, now time.Time) (storage.User, error) {
	email := strings.ToLower(strings.TrimSpace(p.Email))
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n") {
		return storage.User{}, fmt.Errorf("--email %q is not an email address", p.Email)
	}
	if !slices.Contains(storage.Roles, p.Role) {
		return storage.User{}, fmt.Errorf("--role %q: want one of %s", p.Role, strings.Join(storage.Roles, ", "))
	}
	if (p.Role == storage.RoleRep || p.Role == storage.RoleManager) && p.Person == "" {
		return storage.User{}, fmt.Errorf("a %s sees their own statements: --person is needed", p.Role)
	}
	if p.Person != "" {
		ids, err := st.PersonIDs(ctx)
		if err != nil {
			return storage.User{}, err
		}
		if !ids[p.Person] {
			return storage.User{}, fmt.Errorf("--person %s: no such person (import people first)", p.Person)
		}
	}
	hash, err := HashPassword(p.Password)
	if err != nil {
		return storage.User{}, err
	}
	at := now.UTC().Format(time.RFC3339)
	u := storage.User{Email: email, Role: p.Role, Person: p.Person, PasswordHash: hash, CreatedAt: at}
	if _, err := st.UserGet(ctx, email); err == nil {
		return storage.User{}, fmt.Errorf("a user %s exists already", email)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, err
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if u.ID, err = tx.UserInsert(ctx, u); err != nil {
			return err
		}
		_, err := tx.AuditInsert(ctx, storage.AuditEntry{At: at, Actor: p.By, Action: "user.add",
			Detail: fmt.Sprintf("%s as %s%s", email, p.Role, map[bool]string{true: " of " + p.Person, false: ""}[p.Person != ""])})
		return err
	})
	return u, err
}

// NewAPIToken makes a bearer token for the user with the email: the
// token is returned once, only its hash is stored. NewLabeledAPIToken
// also labels it and returns its id.
func NewAPIToken(ctx context.Context, st storage.Store, email, by string, now time.Time) (string, error) {
	tok, err := NewLabeledAPIToken(ctx, st, NewTokenParams{Email: email, By: by}, now)
	return tok.Secret, err
}
