package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestUsersDisableAndTokens: users disable|enable switch a user (users
// list shows it, a second time and the last admin are refused, exit 2),
// users token --label prints the token's id, users tokens lists tokens
// without the tokens, users revoke-token revokes one (the next request
// with it is refused by icomp serve) and refuses a second time and
// unknown ids. Every change is in the audit log.
func TestUsersDisableAndTokens(t *testing.T) {
	db := fixture(t)
	for _, u := range [][]string{
		{"--email", "admin@example.com", "--role", "admin"},
		{"--email", "rep@example.com", "--role", "rep", "--person", "ae-1"},
	} {
		if r := icompIn(t, "a long enough password\n", append([]string{"--db", db, "users", "add"}, u...)...); r.code != ExitOK {
			t.Fatalf("users add: %s", r)
		}
	}
	mk := mustIcomp(t, "--db", db, "users", "token", "--email", "rep@example.com", "--label", "laptop")
	secret := strings.TrimSpace(mk.out)
	m := regexp.MustCompile(`API token (\d+) \(laptop\)\. Keep this token`).FindStringSubmatch(mk.errOut)
	if len(secret) != 43 || m == nil {
		t.Fatalf("users token --label: %s", mk)
	}
	id := m[1]
	other := strings.TrimSpace(mustIcomp(t, "--db", db, "users", "token", "--email", "rep@example.com").out)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"tokens of the rep", []string{"users", "tokens", "--email", "rep@example.com"}, ExitOK, "laptop"},
		{"tokens of nobody", []string{"users", "tokens", "--email", "nobody@example.com"}, ExitUsage, "no user nobody@example.com"},
		{"disable the rep", []string{"users", "disable", "--email", "Rep@Example.com"}, ExitOK, "disabled rep@example.com (rep)"},
		{"list shows it", []string{"users", "list"}, ExitOK, "disabled 20"},
		{"disable the rep again", []string{"users", "disable", "--email", "rep@example.com"}, ExitUsage, "disabled already"},
		{"disable nobody", []string{"users", "disable", "--email", "nobody@example.com"}, ExitUsage, "no user nobody@example.com"},
		{"disable the last admin", []string{"users", "disable", "--email", "admin@example.com"}, ExitUsage, "admin@example.com is the last enabled admin"},
		{"enable the rep", []string{"users", "enable", "--email", "rep@example.com"}, ExitOK, "enabled rep@example.com (rep)"},
		{"enable the rep again", []string{"users", "enable", "--email", "rep@example.com"}, ExitUsage, "is not disabled"},
		{"revoke the laptop token", []string{"users", "revoke-token", id}, ExitOK, "revoked API token " + id + " of rep@example.com (laptop)"},
		{"revoke it again", []string{"users", "revoke-token", id}, ExitUsage, "revoked already"},
		{"revoke no token", []string{"users", "revoke-token", "999999"}, ExitUsage, "no API token 999999"},
		{"revoke a bad id", []string{"users", "revoke-token", "abc"}, ExitUsage, "want the number"},
		{"tokens shows it revoked", []string{"users", "tokens"}, ExitOK, "revoked 20"},
		{"idle timeout too short", []string{"serve", "--idle-timeout", "10s"}, ExitUsage, "--idle-timeout 10s: want between 1m"},
		{"idle timeout too long", []string{"serve", "--idle-timeout", "13h"}, ExitUsage, "want between 1m"},
	}
	for _, tt := range tests {
		r := icomp(t, append([]string{"--db", db}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.out+r.errOut, tt.want) {
			t.Errorf("%s: %s\nwant exit %d and %q", tt.name, r, tt.code, tt.want)
		}
		if strings.Contains(r.out+r.errOut, secret) || strings.Contains(r.out+r.errOut, other) {
			t.Errorf("%s printed a token", tt.name)
		}
	}
	list := mustIcomp(t, "--db", db, "users", "list").out
	if !regexp.MustCompile(`rep@example\.com .* active\n`).MatchString(list) {
		t.Errorf("users list after enable:\n%s", list)
	}
	if toks := mustIcomp(t, "--db", db, "users", "tokens", "--email", "rep@example.com").out; strings.Count(toks, "\n") != 3 {
		t.Errorf("users tokens --email: want a header and two tokens:\n%s", toks)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditList(t.Context(), 100)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		if a.Actor == "" || a.At == "" {
			t.Errorf("audit entry without who or when: %+v", a)
		}
		actions = append(actions, a.Action+" "+a.Detail)
	}
	got := strings.Join(actions, "\n")
	for _, want := range []string{"user.disable rep@example.com (rep)", "user.enable rep@example.com (rep)", "token.revoke API token " + id + " of rep@example.com (laptop)", "token.add API token " + id + " for rep@example.com (laptop)"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "user.disable") != 1 || strings.Count(got, "token.revoke") != 1 {
		t.Errorf("a refused change was recorded:\n%s", got)
	}

	// icomp serve refuses the revoked token and takes the other.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	e := &env{stdin: strings.NewReader(""), out: io.Discard, errOut: io.Discard}
	go func() {
		done <- serveWith(ctx, e, db, "127.0.0.1:0", serveOptions{idleTimeout: 5 * time.Minute}, func(a string) { addr <- a })
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	for _, c := range []struct {
		token string
		want  int
	}{{secret, http.StatusUnauthorized}, {other, http.StatusOK}} {
		req, _ := http.NewRequest("GET", base+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("/api/me with a token: %d, want %d", resp.StatusCode, c.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
