package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/icomp/icomp/storage"
)

// DefaultIdleTimeout is how long a session may go unused before it must
// sign in again (Config.IdleTimeout), on top of SessionTTL.
const DefaultIdleTimeout = 30 * time.Minute

// maxLastSeenLag is how stale a session's last use may be in the database:
// it is written at most once a minute (or once per half the idle timeout,
// when that is shorter), not on every request.
const maxLastSeenLag = time.Minute

// Errors of disabling and enabling users and revoking tokens; the web app
// answers them 409, the CLI exits 2.
var (
	// ErrSelfDisable refuses an admin disabling themself in the web app.
	ErrSelfDisable = errors.New("you cannot disable yourself: another admin must (or icomp users disable)")
	// ErrLastAdmin refuses disabling the last enabled admin.
	ErrLastAdmin = errors.New("is the last enabled admin: enable or add another admin first, or nobody can run the app")
	// ErrUnchanged is a user disabled (enabled) again, or a token revoked
	// again: nothing is changed or recorded.
	ErrUnchanged = errors.New("nothing to change")
	// ErrNoUser is an email of no user.
	ErrNoUser = errors.New("no user")
)

// IsRefusal reports whether err is one of the refusals above (a mistake
// of the asker), rather than a failure of the database.
func IsRefusal(err error) bool {
	return errors.Is(err, ErrSelfDisable) || errors.Is(err, ErrLastAdmin) || errors.Is(err, ErrUnchanged) || errors.Is(err, ErrNoUser)
}

// lastSeenLag is how often a session's last use is written.
func (s *Server) lastSeenLag() time.Duration {
	if s.cfg.IdleTimeout <= 0 {
		return maxLastSeenLag
	}
	return min(maxLastSeenLag, s.cfg.IdleTimeout/2)
}

// sessionUsable reports whether the session may make the request now: not
// past its absolute expiry nor idle for the idle timeout. A session in use
// has its last use written when that is older than lastSeenLag; an idle
// one is deleted.
func (s *Server) sessionUsable(ctx context.Context, sess *storage.Session) (bool, error) {
	now := s.cfg.Now()
	exp, err := time.Parse(time.RFC3339, sess.ExpiresAt)
	if err != nil || !now.Before(exp) {
		return false, nil
	}
	seenText := sess.LastSeenAt
	if seenText == "" {
		seenText = sess.CreatedAt
	}
	seen, err := time.Parse(time.RFC3339, seenText)
	if err != nil {
		return false, nil
	}
	idle := now.Sub(seen)
	if s.cfg.IdleTimeout > 0 && idle >= s.cfg.IdleTimeout {
		err := s.cfg.Store.InTx(ctx, func(tx storage.Tx) error { return tx.SessionDelete(ctx, sess.IDHash) })
		return false, err
	}
	if idle >= s.lastSeenLag() {
		at := now.UTC().Format(time.RFC3339)
		if err := s.cfg.Store.InTx(ctx, func(tx storage.Tx) error { return tx.SessionTouch(ctx, sess.IDHash, at) }); err != nil {
			return false, err
		}
		sess.LastSeenAt = at
	}
	return true, nil
}

// findUser returns the user with the email, or an error naming it.
func findUser(ctx context.Context, st storage.Reader, email string) (storage.User, error) {
	u, err := st.UserGet(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, storage.ErrNotFound) {
		return u, fmt.Errorf("%w %s (icomp users list shows them)", ErrNoUser, email)
	}
	return u, err
}

// SetDisabledParams says who is disabled or enabled, and by whom.
type SetDisabledParams struct {
	// Email names the user (or UserID, when Email is empty).
	Email  string
	UserID int64
	// Disable disables the user; false enables them.
	Disable bool
	// By is who does it, for the audit log; ByUserID their user id when
	// they are a web user (an admin may not disable themself).
	By       string
	ByUserID int64
}

// SetUserDisabled disables or enables a user and records it in the audit
// log. A disabled user cannot sign in, and their sessions end and their
// API tokens are refused from the next request; enabling them lets them
// sign in again and their unrevoked tokens work again (their sessions
// stay ended). The last enabled admin cannot be disabled, nor can an
// admin disable themself. storage.ErrNotFound when there is no such user.
func SetUserDisabled(ctx context.Context, st storage.Store, p SetDisabledParams, now time.Time) (storage.User, error) {
	at := now.UTC().Format(time.RFC3339)
	var u storage.User
	err := st.InTx(ctx, func(tx storage.Tx) error {
		// Two admins disabled at once must not both count the other as
		// the one left enabled.
		if err := tx.LockUsers(ctx); err != nil {
			return err
		}
		var err error
		if p.Email != "" {
			u, err = findUser(ctx, tx, p.Email)
		} else {
			u, err = tx.UserGetByID(ctx, p.UserID)
		}
		if err != nil {
			return err
		}
		switch {
		case p.Disable && u.Disabled():
			return fmt.Errorf("%s is disabled already (since %s): %w", u.Email, u.DisabledAt, ErrUnchanged)
		case !p.Disable && !u.Disabled():
			return fmt.Errorf("%s is not disabled: %w", u.Email, ErrUnchanged)
		case p.Disable && p.ByUserID != 0 && p.ByUserID == u.ID:
			return ErrSelfDisable
		}
		if p.Disable && u.Role == storage.RoleAdmin {
			us, err := tx.UserList(ctx)
			if err != nil {
				return err
			}
			others := 0
			for _, x := range us {
				if x.Role == storage.RoleAdmin && !x.Disabled() && x.ID != u.ID {
					others++
				}
			}
			if others == 0 {
				return fmt.Errorf("%s %w", u.Email, ErrLastAdmin)
			}
		}
		action, disabledAt := "user.enable", ""
		if p.Disable {
			action, disabledAt = "user.disable", at
			if err := tx.SessionDeleteForUser(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := tx.UserSetDisabled(ctx, u.ID, disabledAt); err != nil {
			return err
		}
		u.DisabledAt = disabledAt
		_, err = tx.AuditInsert(ctx, storage.AuditEntry{At: at, Actor: p.By, Action: action, Detail: u.Email + " (" + u.Role + ")"})
		return err
	})
	return u, err
}

// NewTokenParams is a new API token.
type NewTokenParams struct {
	Email string
	// Label says what the token is for ("laptop", "payroll export job").
	Label string
	// By is who makes it, for the audit log.
	By string
}

// Token is a new API token: the secret is shown once, the id names it in
// lists and revocations.
type Token struct {
	ID     int64
	Secret string
}

// maxLabelLen bounds a token's label.
const maxLabelLen = 100

// NewLabeledAPIToken makes a bearer token for the user, with a label, and
// records it in the audit log: only the token's hash is stored.
func NewLabeledAPIToken(ctx context.Context, st storage.Store, p NewTokenParams, now time.Time) (Token, error) {
	label := strings.TrimSpace(p.Label)
	if len(label) > maxLabelLen || strings.ContainsAny(label, "\r\n\t") {
		return Token{}, fmt.Errorf("--label: at most %d characters on one line", maxLabelLen)
	}
	u, err := st.UserGet(ctx, strings.ToLower(strings.TrimSpace(p.Email)))
	if errors.Is(err, storage.ErrNotFound) {
		return Token{}, fmt.Errorf("no user %s (icomp users add first)", p.Email)
	}
	if err != nil {
		return Token{}, err
	}
	tok := Token{Secret: NewSecret()}
	at := now.UTC().Format(time.RFC3339)
	err = st.InTx(ctx, func(tx storage.Tx) error {
		tok.ID, err = tx.APITokenInsert(ctx, storage.APIToken{Hash: HashSecret(tok.Secret), UserID: u.ID, Label: label, CreatedAt: at})
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("API token %d for %s", tok.ID, u.Email)
		if label != "" {
			detail += fmt.Sprintf(" (%s)", label)
		}
		_, err := tx.AuditInsert(ctx, storage.AuditEntry{At: at, Actor: p.By, Action: "token.add", Detail: detail})
		return err
	})
	if err != nil {
		return Token{}, err
	}
	return tok, nil
}

// TokenRow is an API token in a list: never the token nor its hash.
type TokenRow struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	Label     string `json:"label"`
	CreatedAt string `json:"created_at"`
	RevokedAt string `json:"revoked_at,omitempty"`
}

// ListTokens lists the API tokens of the user with the email (everyone's
// when email is empty), revoked ones too, by id.
func ListTokens(ctx context.Context, st storage.Reader, email string) ([]TokenRow, error) {
	var uid int64
	if email != "" {
		u, err := findUser(ctx, st, email)
		if err != nil {
			return nil, err
		}
		uid = u.ID
	}
	ts, err := st.APITokenList(ctx, uid)
	if err != nil {
		return nil, err
	}
	us, err := st.UserList(ctx)
	if err != nil {
		return nil, err
	}
	emails := map[int64]string{}
	for _, u := range us {
		emails[u.ID] = u.Email
	}
	rows := make([]TokenRow, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, TokenRow{ID: t.ID, Email: emails[t.UserID], Label: t.Label, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt})
	}
	return rows, nil
}

// RevokeToken revokes the API token with the id and records it in the
// audit log: it is refused from the next request. storage.ErrNotFound
// when there is no such token; ErrUnchanged when it is revoked already.
func RevokeToken(ctx context.Context, st storage.Store, id int64, by string, now time.Time) (TokenRow, error) {
	at := now.UTC().Format(time.RFC3339)
	var row TokenRow
	err := st.InTx(ctx, func(tx storage.Tx) error {
		t, err := tx.APITokenGetByID(ctx, id)
		if err != nil {
			return err
		}
		u, err := tx.UserGetByID(ctx, t.UserID)
		if err != nil {
			return err
		}
		row = TokenRow{ID: t.ID, Email: u.Email, Label: t.Label, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt}
		if t.Revoked() {
			return fmt.Errorf("API token %d is revoked already (since %s): %w", id, t.RevokedAt, ErrUnchanged)
		}
		if err := tx.APITokenRevoke(ctx, id, at); err != nil {
			return err
		}
		row.RevokedAt = at
		detail := fmt.Sprintf("API token %d of %s", id, u.Email)
		if t.Label != "" {
			detail += fmt.Sprintf(" (%s)", t.Label)
		}
		_, err = tx.AuditInsert(ctx, storage.AuditEntry{At: at, Actor: by, Action: "token.revoke", Detail: detail})
		return err
	})
	return row, err
}

// ---- the admin users page ----

// userRow is a user on the admin users page.
type userRow struct {
	storage.User
	Tokens int
	Self   bool
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	us, err := s.cfg.Store.UserList(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	tokens, err := ListTokens(ctx, s.cfg.Store, "")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	live := map[string]int{}
	for _, t := range tokens {
		if t.RevokedAt == "" {
			live[t.Email]++
		}
	}
	rows := make([]userRow, 0, len(us))
	for _, u := range us {
		rows = append(rows, userRow{User: u, Tokens: live[u.Email], Self: u.ID == p.User.ID})
	}
	s.render(w, r, p, "users", map[string]any{"Title": "Users", "Users": rows, "Tokens": tokens})
}

// pathID parses the {id} of the request's path; false (after a 404) when
// it is not a positive number.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return 0, false
	}
	return id, true
}

func (s *Server) adminUserDisable(w http.ResponseWriter, r *http.Request, p *principal) {
	s.adminSetDisabled(w, r, p, true)
}

func (s *Server) adminUserEnable(w http.ResponseWriter, r *http.Request, p *principal) {
	s.adminSetDisabled(w, r, p, false)
}

func (s *Server) adminSetDisabled(w http.ResponseWriter, r *http.Request, p *principal, disable bool) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	_, err := SetUserDisabled(r.Context(), s.cfg.Store, SetDisabledParams{UserID: id, Disable: disable, By: p.User.Email, ByUserID: p.User.ID}, s.cfg.Now())
	s.adminUsersDone(w, r, err)
}

func (s *Server) adminTokenRevoke(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	_, err := RevokeToken(r.Context(), s.cfg.Store, id, p.User.Email, s.cfg.Now())
	s.adminUsersDone(w, r, err)
}

// adminUsersDone answers a change on the users page: back to it, or why
// not.
func (s *Server) adminUsersDone(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	case errors.Is(err, storage.ErrNotFound):
		s.notFound(w, r)
	case IsRefusal(err):
		s.fail(w, r, false, http.StatusConflict, err.Error())
	default:
		s.serverError(w, r, err)
	}
}
