package sqlstore

import (
	"context"

	"github.com/icomp/icomp/storage"
)

// ---- web users, sessions, API tokens, admin audit ----

const userCols = `id, email, role, person, password_hash, created_at, disabled_at`

func (x queries) oneUser(ctx context.Context, where string, arg any) (storage.User, error) {
	var u storage.User
	err := x.queryRow(ctx, `SELECT `+userCols+` FROM app_user WHERE `+where, []any{arg},
		&u.ID, &u.Email, &u.Role, &u.Person, &u.PasswordHash, &u.CreatedAt, &u.DisabledAt)
	return u, err
}

func (x queries) UserGet(ctx context.Context, email string) (storage.User, error) {
	return x.oneUser(ctx, `email = ?`, email)
}

func (x queries) UserGetByID(ctx context.Context, id int64) (storage.User, error) {
	return x.oneUser(ctx, `id = ?`, id)
}

func (x queries) UserList(ctx context.Context) ([]storage.User, error) {
	rows, err := x.query(ctx, `SELECT `+userCols+` FROM app_user ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.User
	for rows.Next() {
		var u storage.User
		if err := rows.Scan(&u.ID, &u.Email, &u.Role, &u.Person, &u.PasswordHash, &u.CreatedAt, &u.DisabledAt); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, u)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) SessionGet(ctx context.Context, idHash string) (storage.Session, error) {
	var s storage.Session
	err := x.queryRow(ctx, `SELECT id_hash, user_id, csrf, created_at, expires_at, last_seen_at FROM app_session WHERE id_hash = ?`, []any{idHash},
		&s.IDHash, &s.UserID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt, &s.LastSeenAt)
	return s, err
}

const tokenCols = `id, token_hash, user_id, label, created_at, revoked_at`

func (x queries) oneToken(ctx context.Context, where string, arg any) (storage.APIToken, error) {
	var t storage.APIToken
	err := x.queryRow(ctx, `SELECT `+tokenCols+` FROM api_token WHERE `+where, []any{arg},
		&t.ID, &t.Hash, &t.UserID, &t.Label, &t.CreatedAt, &t.RevokedAt)
	return t, err
}

func (x queries) APITokenGet(ctx context.Context, hash string) (storage.APIToken, error) {
	return x.oneToken(ctx, `token_hash = ?`, hash)
}

func (x queries) APITokenGetByID(ctx context.Context, id int64) (storage.APIToken, error) {
	return x.oneToken(ctx, `id = ?`, id)
}

func (x queries) APITokenList(ctx context.Context, userID int64) ([]storage.APIToken, error) {
	q, args := `SELECT `+tokenCols+` FROM api_token ORDER BY id`, []any(nil)
	if userID != 0 {
		q, args = `SELECT `+tokenCols+` FROM api_token WHERE user_id = ? ORDER BY id`, []any{userID}
	}
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.APIToken
	for rows.Next() {
		var t storage.APIToken
		if err := rows.Scan(&t.ID, &t.Hash, &t.UserID, &t.Label, &t.CreatedAt, &t.RevokedAt); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, t)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) AuditList(ctx context.Context, limit int) ([]storage.AuditEntry, error) {
	rows, err := x.query(ctx, `SELECT id, at, actor, action, detail FROM admin_audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.AuditEntry
	for rows.Next() {
		var a storage.AuditEntry
		if err := rows.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Detail); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, a)
	}
	return out, x.d.err(rows.Err())
}

func (t *tx) UserInsert(ctx context.Context, u storage.User) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO app_user (email, role, person, password_hash, created_at) VALUES (?,?,?,?,?) RETURNING id`,
		[]any{u.Email, u.Role, u.Person, u.PasswordHash, u.CreatedAt}, &id)
	return id, err
}

func (t *tx) SessionInsert(ctx context.Context, s storage.Session) error {
	seen := s.LastSeenAt
	if seen == "" {
		seen = s.CreatedAt
	}
	_, err := t.exec(ctx, `INSERT INTO app_session (id_hash, user_id, csrf, created_at, expires_at, last_seen_at) VALUES (?,?,?,?,?,?)`,
		s.IDHash, s.UserID, s.CSRF, s.CreatedAt, s.ExpiresAt, seen)
	return err
}

func (t *tx) SessionDeleteForUser(ctx context.Context, userID int64) error {
	_, err := t.exec(ctx, `DELETE FROM app_session WHERE user_id = ?`, userID)
	return err
}

func (t *tx) SessionTouch(ctx context.Context, idHash, at string) error {
	_, err := t.exec(ctx, `UPDATE app_session SET last_seen_at = ? WHERE id_hash = ?`, at, idHash)
	return err
}

func (t *tx) UserSetDisabled(ctx context.Context, id int64, disabledAt string) error {
	n, err := t.exec(ctx, `UPDATE app_user SET disabled_at = ? WHERE id = ?`, disabledAt, id)
	if err == nil && n == 0 {
		return storage.ErrNotFound
	}
	return err
}

func (t *tx) SessionDelete(ctx context.Context, idHash string) error {
	_, err := t.exec(ctx, `DELETE FROM app_session WHERE id_hash = ?`, idHash)
	return err
}

func (t *tx) SessionDeleteExpired(ctx context.Context, now string) error {
	_, err := t.exec(ctx, `DELETE FROM app_session WHERE expires_at < ?`, now)
	return err
}

func (t *tx) APITokenInsert(ctx context.Context, a storage.APIToken) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO api_token (token_hash, user_id, label, created_at) VALUES (?,?,?,?) RETURNING id`,
		[]any{a.Hash, a.UserID, a.Label, a.CreatedAt}, &id)
	return id, err
}

func (t *tx) APITokenRevoke(ctx context.Context, id int64, at string) error {
	n, err := t.exec(ctx, `UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at = ''`, at, id)
	if err == nil && n == 0 {
		return storage.ErrNotFound
	}
	return err
}

func (t *tx) AuditInsert(ctx context.Context, a storage.AuditEntry) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO admin_audit (at, actor, action, detail) VALUES (?,?,?,?) RETURNING id`,
		[]any{a.At, a.Actor, a.Action, a.Detail}, &id)
	return id, err
}
