package storage

import "context"

// Web user roles (docs/api.md).
const (
	RoleAdmin   = "admin"
	RolePayroll = "payroll"
	RoleManager = "manager"
	RoleRep     = "rep"
)

// Roles lists every role, most powerful first.
var Roles = []string{RoleAdmin, RolePayroll, RoleManager, RoleRep}

// User is someone who signs in to icomp serve.
type User struct {
	ID    int64
	Email string
	Role  string
	// Person is the person id the user is (a rep's statements, a
	// manager's team); empty for admins and payroll without one.
	Person string
	// PasswordHash is an argon2id PHC string; never the password.
	PasswordHash string
	CreatedAt    string
	// DisabledAt is when the user was disabled, "" while they may sign
	// in: a disabled user's sessions and API tokens are refused.
	DisabledAt string
}

// Disabled reports whether the user is disabled.
func (u User) Disabled() bool { return u.DisabledAt != "" }

// Session is a signed-in browser: IDHash is the hex SHA-256 of the random
// id in the cookie, so a copy of the database signs nobody in.
type Session struct {
	IDHash    string
	UserID    int64
	CSRF      string
	CreatedAt string
	ExpiresAt string
	// LastSeenAt is when the session was last used, to within a minute
	// (the idle timeout).
	LastSeenAt string
}

// APIToken is a bearer token of the JSON API, stored as the hex SHA-256
// of the token.
type APIToken struct {
	// ID names the token in lists and revocations (never the token).
	ID        int64
	Hash      string
	UserID    int64
	Label     string
	CreatedAt string
	// RevokedAt is when the token was revoked, "" while it works.
	RevokedAt string
}

// Revoked reports whether the token is revoked.
func (t APIToken) Revoked() bool { return t.RevokedAt != "" }

// AuditEntry is one admin action: who did what, when. The log is
// append-only (the database refuses updates and deletes).
type AuditEntry struct {
	ID     int64
	At     string
	Actor  string
	Action string
	Detail string
}

// UserReader reads web users, sessions, API tokens and the admin audit log.
type UserReader interface {
	// UserGet returns the user with the email; ErrNotFound when none.
	UserGet(ctx context.Context, email string) (User, error)
	// UserGetByID returns the user with the id; ErrNotFound when none.
	UserGetByID(ctx context.Context, id int64) (User, error)
	// UserList lists every user by email.
	UserList(ctx context.Context) ([]User, error)
	// SessionGet returns the session with the id hash; ErrNotFound when none.
	SessionGet(ctx context.Context, idHash string) (Session, error)
	// APITokenGet returns the token with the hash; ErrNotFound when none.
	APITokenGet(ctx context.Context, hash string) (APIToken, error)
	// APITokenGetByID returns the token with the id; ErrNotFound when none.
	APITokenGetByID(ctx context.Context, id int64) (APIToken, error)
	// APITokenList lists the tokens of the user (every user's when userID
	// is 0), revoked ones too, by id.
	APITokenList(ctx context.Context, userID int64) ([]APIToken, error)
	// AuditList lists the newest limit admin actions, newest first.
	AuditList(ctx context.Context, limit int) ([]AuditEntry, error)
}

// UserWriter writes web users, sessions, tokens and audit entries (inside
// a Tx).
type UserWriter interface {
	// UserInsert adds a user and returns its id.
	UserInsert(ctx context.Context, u User) (int64, error)
	// SessionInsert stores a new session.
	SessionInsert(ctx context.Context, s Session) error
	// SessionDelete ends a session (sign-out); a missing one is no error.
	SessionDelete(ctx context.Context, idHash string) error
	// SessionDeleteExpired deletes the sessions that expired before now.
	SessionDeleteExpired(ctx context.Context, now string) error
	// SessionDeleteForUser ends every session of the user.
	SessionDeleteForUser(ctx context.Context, userID int64) error
	// SessionTouch sets the session's last use to at.
	SessionTouch(ctx context.Context, idHash, at string) error
	// UserSetDisabled disables the user at disabledAt, or enables them
	// when disabledAt is ""; ErrNotFound when there is no such user.
	UserSetDisabled(ctx context.Context, id int64, disabledAt string) error
	// APITokenInsert stores a new API token and returns its id.
	APITokenInsert(ctx context.Context, t APIToken) (int64, error)
	// APITokenRevoke marks the token revoked at at; ErrNotFound when there
	// is no such token or it is revoked already.
	APITokenRevoke(ctx context.Context, id int64, at string) error
	// AuditInsert appends an admin action and returns its id.
	AuditInsert(ctx context.Context, a AuditEntry) (int64, error)
}
