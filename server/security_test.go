package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

// signinForm fetches the sign-in form into the client's jar and returns
// its CSRF token.
func signinForm(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no csrf field in the sign-in form:\n%s", b)
	}
	return string(m[1])
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestSignIn: a right password signs in with a hardened cookie (admins'
// SameSite=Strict), a wrong one is 401, the session works until sign-out,
// and the session id is stored hashed.
func TestSignIn(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		user     string
		password string
		status   int
		sameSite http.SameSite
	}{
		{"rep", password, http.StatusSeeOther, http.SameSiteLaxMode},
		{"admin", password, http.StatusSeeOther, http.SameSiteStrictMode},
		{"rep", password + "x", http.StatusUnauthorized, 0},
		{"nobody", password, http.StatusUnauthorized, 0},
	}
	for _, tt := range tests {
		c := newClient(t)
		token := signinForm(t, c, f.ts.URL)
		email := "nobody@example.com"
		if u, ok := f.users[tt.user]; ok {
			email = u.Email
		}
		resp := postForm(t, c, f.ts.URL+"/signin", url.Values{"csrf": {token}, "email": {email}, "password": {tt.password}})
		if resp.StatusCode != tt.status {
			t.Errorf("%s/%q: status %d, want %d", tt.user, tt.password, resp.StatusCode, tt.status)
			continue
		}
		var sess *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "icomp_session" && ck.Value != "" {
				sess = ck
			}
		}
		if tt.status != http.StatusSeeOther {
			if sess != nil {
				t.Errorf("%s: a failed sign-in set a session cookie", tt.user)
			}
			continue
		}
		if sess == nil || !sess.HttpOnly || sess.SameSite != tt.sameSite || sess.Secure || sess.Path != "/" {
			t.Fatalf("%s: session cookie %+v; want HttpOnly, SameSite %v, not Secure without TLS", tt.user, sess, tt.sameSite)
		}
		if _, err := f.st.SessionGet(context.Background(), sess.Value); err == nil {
			t.Errorf("%s: the session id is stored in clear", tt.user)
		}
		if _, err := f.st.SessionGet(context.Background(), server.HashSecret(sess.Value)); err != nil {
			t.Errorf("%s: session not stored by its hash: %v", tt.user, err)
		}
		me, err := c.Get(f.ts.URL + "/api/me")
		if err != nil || me.StatusCode != http.StatusOK {
			t.Fatalf("%s: /api/me with the session: %v %v", tt.user, me.StatusCode, err)
		}
		me.Body.Close()
		// Sign out, with the session's CSRF token (from a page).
		page, _ := c.Get(f.ts.URL + "/statements")
		b, _ := io.ReadAll(page.Body)
		page.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no CSRF token on the page", tt.user)
		}
		if resp := postForm(t, c, f.ts.URL+"/signout", url.Values{"csrf": {string(m[1])}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: sign-out %d", tt.user, resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", f.ts.URL+"/api/me", nil)
		req.AddCookie(&http.Cookie{Name: "icomp_session", Value: sess.Value})
		after, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		after.Body.Close()
		if after.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: the signed-out session still works: %d", tt.user, after.StatusCode)
		}
	}
}

// TestSignInRateLimit: after 5 failures an account is refused (429) even
// with the right password, from any address; another account is not.
func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t)
	c := newClient(t)
	try := func(email, pw string) int {
		token := signinForm(t, c, f.ts.URL)
		return postForm(t, c, f.ts.URL+"/signin", url.Values{"csrf": {token}, "email": {email}, "password": {pw}}).StatusCode
	}
	for i := 0; i < server.MaxFailures; i++ {
		if got := try(f.users["rep"].Email, "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, got)
		}
	}
	if got := try(f.users["rep"].Email, password); got != http.StatusTooManyRequests {
		t.Errorf("right password after %d failures: %d, want 429", server.MaxFailures, got)
	}
	// Another account from the same address still signs in: many people
	// can share one address (a proxy, an office).
	if got := try(f.users["admin"].Email, password); got != http.StatusSeeOther {
		t.Errorf("another account from the same IP after %d failures: %d, want 303", server.MaxFailures, got)
	}
	// The address is limited too, at MaxFailuresPerIP (every test request
	// comes from 127.0.0.1).
	for i := server.MaxFailures; i < server.MaxFailuresPerIP; i++ {
		if got := try(fmt.Sprintf("nobody-%d@example.com", i), "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("address failure %d: %d, want 401", i+1, got)
		}
	}
	if got := try(f.users["payroll"].Email, password); got != http.StatusTooManyRequests {
		t.Errorf("right password after %d failures from the address: %d, want 429", server.MaxFailuresPerIP, got)
	}
}

// TestCSRF: a POST with a session but without (or with another session's)
// CSRF token is refused and changes nothing; with it, it goes through.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	id, csrf := f.session(t, "admin")
	_, otherCSRF := f.session(t, "admin")
	post := func(token string, header bool) int {
		body := url.Values{}
		if token != "" && !header {
			body.Set("csrf", token)
		}
		req, _ := http.NewRequest("POST", f.ts.URL+"/admin/periods/2027-M06/run", strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header {
			req.Header.Set("X-CSRF-Token", token)
		}
		req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		f.waitRuns(t)
		return resp.StatusCode
	}
	runs := func() int {
		rs, err := f.st.RunList(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	before := runs()
	for _, tok := range []string{"", otherCSRF, csrf + "x"} {
		if got := post(tok, false); got != http.StatusForbidden {
			t.Errorf("POST with csrf %q: %d, want 403", tok, got)
		}
	}
	if runs() != before {
		t.Fatal("a refused POST started a run")
	}
	if got := post(csrf, false); got != http.StatusSeeOther {
		t.Errorf("POST with the form token: %d, want 303", got)
	}
	if got := post(csrf, true); got != http.StatusSeeOther {
		t.Errorf("POST with the header token: %d, want 303", got)
	}
	if runs() != before+2 {
		t.Errorf("runs %d, want %d", runs(), before+2)
	}
}

// TestSessionExpiry: an expired session is anonymous.
func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	id := server.NewSecret()
	past := time.Now().Add(-time.Hour).UTC()
	if err := f.st.InTx(context.Background(), func(tx storage.Tx) error {
		return tx.SessionInsert(context.Background(), storage.Session{IDHash: server.HashSecret(id), UserID: f.users["admin"].ID, CSRF: "x",
			CreatedAt: past.Add(-time.Hour).Format(time.RFC3339), ExpiresAt: past.Format(time.RFC3339)})
	}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.ts.URL+"/admin", nil)
	req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
		t.Errorf("expired session: %d %s, want a redirect to /signin", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestPayrollDownload: the batch comes as an attachment, byte for byte.
func TestPayrollDownload(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/payroll/1/csv", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, err := f.st.ExportGet(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want.CSV || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="payroll-`+want.Period+`-1.csv"` {
		t.Errorf("download: %s %q %q", resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), b[:min(len(b), 80)])
	}
}

// TestSecureCookieOverTLS: over HTTPS the session cookie is Secure.
func TestSecureCookieOverTLS(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewTLSServer(f.srv.Handler())
	defer ts.Close()
	c := ts.Client()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	token := signinForm(t, c, ts.URL)
	resp := postForm(t, c, ts.URL+"/signin", url.Values{"csrf": {token}, "email": {f.users["rep"].Email}, "password": {password}})
	var secure bool
	for _, ck := range resp.Cookies() {
		if ck.Name == "icomp_session" {
			secure = ck.Secure && ck.HttpOnly
		}
	}
	if resp.StatusCode != http.StatusSeeOther || !secure {
		t.Errorf("sign-in over TLS: %d, Secure HttpOnly session cookie %v", resp.StatusCode, secure)
	}
}

// TestFormBodyLimit: a POST body over the limit is refused, not read.
func TestFormBodyLimit(t *testing.T) {
	f := newFixture(t)
	c := newClient(t)
	token := signinForm(t, c, f.ts.URL)
	big := strings.Repeat("x", 1<<20)
	resp := postForm(t, c, f.ts.URL+"/signin", url.Values{"csrf": {token}, "email": {f.users["rep"].Email}, "password": {password}, "pad": {big}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 1 MiB sign-in form: status %d, want 413 (not a CSRF refusal or a sign-in)", resp.StatusCode)
	}
}
