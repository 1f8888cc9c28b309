package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

// get sends a GET with the session cookie (id) or bearer token and returns
// the status and body.
func get(t *testing.T, base, path, session, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "icomp_session", Value: session})
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a form with the session cookie and its CSRF token.
func post(t *testing.T, base, path, session, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "icomp_session", Value: session})
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signIn signs in through the form and returns the status, the page's
// message (on failure) and the session cookie (on success).
func signIn(t *testing.T, base, email, pw string) (int, string, string) {
	t.Helper()
	c := newClient(t)
	token := signinForm(t, c, base)
	resp, err := c.PostForm(base+"/signin", url.Values{"csrf": {token}, "email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sess := ""
	for _, ck := range resp.Cookies() {
		if ck.Name == "icomp_session" {
			sess = ck.Value
		}
	}
	msg := ""
	if m := regexp.MustCompile(`<p class="error"[^>]*>([^<]*)<`).FindSubmatch(b); m != nil {
		msg = string(m[1])
	} else if i := strings.Index(string(b), "Wrong email or password."); i >= 0 {
		msg = "Wrong email or password."
	}
	return resp.StatusCode, msg, sess
}

// auditHas reports whether the audit log has an entry of action by actor
// whose detail contains detail.
func auditHas(t *testing.T, st storage.Store, actor, action, detail string) bool {
	t.Helper()
	log, err := st.AuditList(context.Background(), 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range log {
		if a.Actor == actor && a.Action == action && strings.Contains(a.Detail, detail) && a.At != "" {
			return true
		}
	}
	return false
}

// TestDisabledUser: a disabled user's sign-in fails with the message of a
// wrong password (no account enumeration), their session and their API
// token are refused on the very next request, other users are not
// touched; enabled again, they sign in and their token works, but the
// old session stays ended.
func TestDisabledUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	repSession, _ := f.session(t, "rep")
	mgrSession, _ := f.session(t, "manager")
	// Both work before.
	if code, _ := get(t, f.ts.URL, "/statements", repSession, ""); code != http.StatusOK {
		t.Fatalf("rep's session before: %d", code)
	}
	if code, _ := get(t, f.ts.URL, "/api/me", "", f.tokens["rep"]); code != http.StatusOK {
		t.Fatalf("rep's token before: %d", code)
	}
	_, wrongMsg, _ := signIn(t, f.ts.URL, f.users["other"].Email, password+"x")

	if _, err := server.SetUserDisabled(ctx, f.st, server.SetDisabledParams{Email: f.users["rep"].Email, Disable: true, By: "ops"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		path             string
		session, token   string
		wantCode         int
		wantBodyContains string
	}{
		{"disabled rep's session", "/statements", repSession, "", http.StatusSeeOther, ""},
		{"disabled rep's session on the API", "/api/me", repSession, "", http.StatusUnauthorized, "sign in"},
		{"disabled rep's token", "/api/me", "", f.tokens["rep"], http.StatusUnauthorized, "sign in"},
		{"disabled rep's token on a statement", "/api/statements/" + repPerson + "/" + quarter, "", f.tokens["rep"], http.StatusUnauthorized, ""},
		{"manager's session", "/team", mgrSession, "", http.StatusOK, ""},
		{"admin's token", "/api/me", "", f.tokens["admin"], http.StatusOK, "admin@example.com"},
	}
	for _, tt := range tests {
		code, body := get(t, f.ts.URL, tt.path, tt.session, tt.token)
		if code != tt.wantCode || !strings.Contains(body, tt.wantBodyContains) {
			t.Errorf("%s: %d %.200s; want %d with %q", tt.name, code, body, tt.wantCode, tt.wantBodyContains)
		}
	}
	if _, err := f.st.SessionGet(ctx, server.HashSecret(repSession)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the disabled rep's session is still stored: %v", err)
	}

	signins := []struct {
		name     string
		email    string
		pw       string
		wantCode int
	}{
		{"disabled, right password", f.users["rep"].Email, password, http.StatusUnauthorized},
		{"disabled, wrong password", f.users["rep"].Email, password + "x", http.StatusUnauthorized},
		{"enabled, right password", f.users["other"].Email, password, http.StatusSeeOther},
	}
	for _, tt := range signins {
		code, msg, sess := signIn(t, f.ts.URL, tt.email, tt.pw)
		if code != tt.wantCode {
			t.Errorf("%s: sign-in %d, want %d", tt.name, code, tt.wantCode)
		}
		if tt.wantCode == http.StatusUnauthorized && (msg != wrongMsg || sess != "") {
			t.Errorf("%s: message %q (a wrong password says %q), session %q; want the same message and no session", tt.name, msg, wrongMsg, sess)
		}
	}
	if wrongMsg != "Wrong email or password." {
		t.Errorf("a wrong password says %q", wrongMsg)
	}

	if _, err := server.SetUserDisabled(ctx, f.st, server.SetDisabledParams{Email: f.users["rep"].Email, Disable: false, By: "ops"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, f.ts.URL, "/api/me", "", f.tokens["rep"]); code != http.StatusOK {
		t.Errorf("enabled rep's token: %d, want 200", code)
	}
	if code, _ := get(t, f.ts.URL, "/statements", repSession, ""); code != http.StatusSeeOther {
		t.Errorf("enabled rep's old session: %d, want it still ended (303)", code)
	}
	if code, _, sess := signIn(t, f.ts.URL, f.users["rep"].Email, password); code != http.StatusSeeOther || sess == "" {
		t.Errorf("enabled rep's sign-in: %d", code)
	}
	for _, action := range []string{"user.disable", "user.enable"} {
		if !auditHas(t, f.st, "ops", action, f.users["rep"].Email) {
			t.Errorf("no %s of %s by ops in the audit log", action, f.users["rep"].Email)
		}
	}
}

// TestRevokedToken: a labelled token works until it is revoked, then is
// refused on the next request; the user's other tokens still work; a
// revocation is audited and cannot be repeated; the token is stored
// hashed.
func TestRevokedToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, err := server.NewLabeledAPIToken(ctx, f.st, server.NewTokenParams{Email: f.users["rep"].Email, Label: "laptop", By: "ops"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.st.APITokenGetByID(ctx, tok.ID)
	if err != nil || stored.Hash != server.HashSecret(tok.Secret) || stored.Label != "laptop" {
		t.Fatalf("stored token %+v, %v; want its hash and label", stored, err)
	}
	if !auditHas(t, f.st, "ops", "token.add", "laptop") {
		t.Error("no token.add (laptop) in the audit log")
	}
	steps := []struct {
		name        string
		revoke      bool
		token       string
		wantCode    int
		wantRevoked bool
	}{
		{"before", false, tok.Secret, http.StatusOK, false},
		{"revoked, next request", true, tok.Secret, http.StatusUnauthorized, true},
		{"revoked, on a statement", false, tok.Secret, http.StatusUnauthorized, true},
		{"the rep's other token", false, f.tokens["rep"], http.StatusOK, true},
	}
	for _, st := range steps {
		if st.revoke {
			row, err := server.RevokeToken(ctx, f.st, tok.ID, "ops", time.Now())
			if err != nil || row.RevokedAt == "" || row.Email != f.users["rep"].Email {
				t.Fatalf("RevokeToken = %+v, %v", row, err)
			}
		}
		path := "/api/me"
		if strings.Contains(st.name, "statement") {
			path = "/api/statements/" + repPerson + "/" + quarter
		}
		if code, body := get(t, f.ts.URL, path, "", st.token); code != st.wantCode {
			t.Errorf("%s: %d %.200s, want %d", st.name, code, body, st.wantCode)
		}
		if got, _ := f.st.APITokenGetByID(ctx, tok.ID); got.Revoked() != st.wantRevoked {
			t.Errorf("%s: revoked = %v", st.name, got.Revoked())
		}
	}
	if !auditHas(t, f.st, "ops", "token.revoke", "laptop") {
		t.Error("no token.revoke (laptop) in the audit log")
	}
	if _, err := server.RevokeToken(ctx, f.st, tok.ID, "ops", time.Now()); !errors.Is(err, server.ErrUnchanged) {
		t.Errorf("revoking twice: %v, want ErrUnchanged", err)
	}
	if _, err := server.RevokeToken(ctx, f.st, 999999, "ops", time.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoking no token: %v, want ErrNotFound", err)
	}
	rows, err := server.ListTokens(ctx, f.st, f.users["rep"].Email)
	if err != nil || len(rows) != 2 || rows[1].ID != tok.ID || rows[1].RevokedAt == "" || rows[0].RevokedAt != "" {
		t.Errorf("ListTokens = %+v, %v; want the fixture's token and the revoked one", rows, err)
	}
	if _, err := server.NewLabeledAPIToken(ctx, f.st, server.NewTokenParams{Email: f.users["rep"].Email, Label: "two\nlines"}, time.Now()); err == nil {
		t.Error("a label of two lines was accepted")
	}
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestIdleTimeout: with the default 30-minute idle timeout a session used
// every 20 minutes lives on, its last use written at most once a minute;
// one unused for 30 minutes is refused (and deleted), and the absolute
// lifetime still ends one in use. The server's clock is Config.Now.
func TestIdleTimeout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	srv, err := server.New(server.Config{Store: f.st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	newSession := func(created time.Time, ttl time.Duration) string {
		id := server.NewSecret()
		if err := f.st.InTx(ctx, func(tx storage.Tx) error {
			return tx.SessionInsert(ctx, storage.Session{IDHash: server.HashSecret(id), UserID: f.users["rep"].ID, CSRF: "c",
				CreatedAt: created.Format(time.RFC3339), ExpiresAt: created.Add(ttl).Format(time.RFC3339)})
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	lastSeen := func(id string) string {
		s, err := f.st.SessionGet(ctx, server.HashSecret(id))
		if err != nil {
			return "gone"
		}
		return s.LastSeenAt
	}
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }

	busy := newSession(t0, server.SessionTTL)
	idle := newSession(t0, server.SessionTTL)
	short := newSession(t0, 50*time.Minute)
	steps := []struct {
		name     string
		at       time.Duration
		session  string
		wantCode int
		wantSeen string // the session's last use in the database after the request
	}{
		{"busy at 0:20", 20 * time.Minute, busy, http.StatusOK, at(20 * time.Minute)},
		{"busy at 0:20:30, not written again", 20*time.Minute + 30*time.Second, busy, http.StatusOK, at(20 * time.Minute)},
		{"busy at 0:21, written", 21 * time.Minute, busy, http.StatusOK, at(21 * time.Minute)},
		{"busy at 0:50 (29 minutes idle)", 50 * time.Minute, busy, http.StatusOK, at(50 * time.Minute)},
		{"idle at 0:29:59", 29*time.Minute + 59*time.Second, idle, http.StatusOK, at(29*time.Minute + 59*time.Second)},
		{"idle at 1:00 (30 minutes idle)", 60 * time.Minute, idle, http.StatusSeeOther, "gone"},
		{"short-lived at 0:25", 25 * time.Minute, short, http.StatusOK, at(25 * time.Minute)},
		{"short-lived at 0:50 (its absolute end)", 50 * time.Minute, short, http.StatusSeeOther, at(25 * time.Minute)},
		{"busy at 1:15", 75 * time.Minute, busy, http.StatusOK, at(75 * time.Minute)},
		{"busy at 1:45:01 (30:01 idle)", 105*time.Minute + time.Second, busy, http.StatusSeeOther, "gone"},
	}
	for _, st := range steps {
		clk.set(t0.Add(st.at))
		code, _ := get(t, ts.URL, "/statements", st.session, "")
		if code != st.wantCode {
			t.Errorf("%s: %d, want %d", st.name, code, st.wantCode)
		}
		if got := lastSeen(st.session); got != st.wantSeen {
			t.Errorf("%s: last seen %s, want %s", st.name, got, st.wantSeen)
		}
	}
	// An idle-expired session on the API is 401, like no session.
	clk.set(t0)
	s := newSession(t0, server.SessionTTL)
	clk.set(t0.Add(server.DefaultIdleTimeout))
	if code, _ := get(t, ts.URL, "/api/me", s, ""); code != http.StatusUnauthorized {
		t.Errorf("idle session on the API: %d, want 401", code)
	}

	// A shorter idle timeout is honoured; its last use is written at
	// least every half timeout.
	srv2, err := server.New(server.Config{Store: f.st, Now: clk.Now, IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(srv2.Handler())
	t.Cleanup(ts2.Close)
	clk.set(t0)
	s2 := newSession(t0, server.SessionTTL)
	for _, st := range []struct {
		at       time.Duration
		wantCode int
	}{{40 * time.Second, http.StatusOK}, {80 * time.Second, http.StatusOK}, {139 * time.Second, http.StatusOK}, {200 * time.Second, http.StatusSeeOther}} {
		clk.set(t0.Add(st.at))
		if code, _ := get(t, ts2.URL, "/statements", s2, ""); code != st.wantCode {
			t.Errorf("1-minute idle timeout at +%v: %d, want %d", st.at, code, st.wantCode)
		}
	}
}

// TestAdminUsersPage: an admin disables and enables a user and revokes a
// token from /admin/users (POSTs with the CSRF token, each in the audit
// log: who, what, when); the disabled user's session is refused at once;
// an admin cannot disable themself, nor anyone the last enabled admin;
// without the CSRF token nothing changes; the page never shows a token.
func TestAdminUsersPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, csrf := f.session(t, "admin")
	repSession, _ := f.session(t, "rep")
	rep, me := f.users["rep"], f.users["admin"]
	tok, err := server.NewLabeledAPIToken(ctx, f.st, server.NewTokenParams{Email: rep.Email, Label: "ci job", By: "ops"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	steps := []struct {
		name     string
		path     string
		csrf     string
		wantCode int
		wantBody string
	}{
		{"no CSRF token", "/admin/users/" + id(rep.ID) + "/disable", "wrong", http.StatusForbidden, "CSRF"},
		{"disable the rep", "/admin/users/" + id(rep.ID) + "/disable", csrf, http.StatusSeeOther, ""},
		{"disable the rep again", "/admin/users/" + id(rep.ID) + "/disable", csrf, http.StatusConflict, "disabled already"},
		{"disable myself", "/admin/users/" + id(me.ID) + "/disable", csrf, http.StatusConflict, "cannot disable yourself"},
		{"enable the rep", "/admin/users/" + id(rep.ID) + "/enable", csrf, http.StatusSeeOther, ""},
		{"enable the rep again", "/admin/users/" + id(rep.ID) + "/enable", csrf, http.StatusConflict, "is not disabled"},
		{"enable no user", "/admin/users/999999/enable", csrf, http.StatusNotFound, ""},
		{"disable a bad id", "/admin/users/x/disable", csrf, http.StatusNotFound, ""},
		{"revoke the token", "/admin/tokens/" + id(tok.ID) + "/revoke", csrf, http.StatusSeeOther, ""},
		{"revoke it again", "/admin/tokens/" + id(tok.ID) + "/revoke", csrf, http.StatusConflict, "revoked already"},
	}
	for _, st := range steps {
		code, body := post(t, f.ts.URL, st.path, admin, st.csrf)
		if code != st.wantCode || !strings.Contains(body, st.wantBody) {
			t.Errorf("%s: %d %.300s; want %d with %q", st.name, code, body, st.wantCode, st.wantBody)
		}
		if st.name == "no CSRF token" {
			if u, _ := f.st.UserGetByID(ctx, rep.ID); u.Disabled() {
				t.Fatal("a POST without the CSRF token disabled the rep")
			}
		}
		if st.name == "disable the rep" {
			if code, _ := get(t, f.ts.URL, "/statements", repSession, ""); code != http.StatusSeeOther {
				t.Errorf("the disabled rep's session on the next request: %d, want 303", code)
			}
		}
	}
	for _, want := range []struct{ action, detail string }{
		{"user.disable", rep.Email}, {"user.enable", rep.Email}, {"token.revoke", "ci job"},
	} {
		if !auditHas(t, f.st, me.Email, want.action, want.detail) {
			t.Errorf("no %s (%s) by %s in the audit log", want.action, want.detail, me.Email)
		}
	}
	if code, _ := get(t, f.ts.URL, "/api/me", "", tok.Secret); code != http.StatusUnauthorized {
		t.Errorf("the token revoked on the page: %d, want 401", code)
	}
	if u, _ := f.st.UserGetByID(ctx, me.ID); u.Disabled() {
		t.Error("the admin disabled themself")
	}

	// The last enabled admin: a second admin may be disabled by the
	// first, but then the first by nobody (here: the CLI's path).
	second, err := server.AddUser(ctx, f.st, server.AddUserParams{Email: "admin2@example.com", Role: storage.RoleAdmin, Password: password, By: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, f.ts.URL, "/admin/users/"+id(second.ID)+"/disable", admin, csrf); code != http.StatusSeeOther {
		t.Fatalf("disable the second admin: %d %.200s", code, body)
	}
	if _, err := server.SetUserDisabled(ctx, f.st, server.SetDisabledParams{Email: me.Email, Disable: true, By: "ops"}, time.Now()); !errors.Is(err, server.ErrLastAdmin) ||
		!strings.Contains(err.Error(), me.Email+" is the last enabled admin") {
		t.Errorf("disabling the last enabled admin: %v, want ErrLastAdmin naming them", err)
	}

	code, page := get(t, f.ts.URL, "/admin/users", admin, "")
	if code != http.StatusOK {
		t.Fatalf("/admin/users: %d", code)
	}
	for _, want := range []string{rep.Email, "admin2@example.com", "disabled", "ci job", "revoked", `action="/admin/users/` + id(second.ID) + `/enable"`, `action="/admin/users/` + id(rep.ID) + `/disable"`} {
		if !strings.Contains(page, want) {
			t.Errorf("/admin/users lacks %q", want)
		}
	}
	if strings.Contains(page, `/admin/users/`+id(me.ID)+`/disable`) {
		t.Error("/admin/users offers the admin to disable themself")
	}
	if strings.Contains(page, tok.Secret) || strings.Contains(page, server.HashSecret(tok.Secret)) || strings.Contains(page, f.tokens["rep"]) {
		t.Error("/admin/users shows a token or its hash")
	}
}
