package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func icompIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// TestUsers: users add reads the password from stdin or a file (there is
// no password flag), checks the role and person, users list shows them,
// users token prints a token that works on the API of icomp serve.
func TestUsers(t *testing.T) {
	db := fixture(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"admin from stdin", "a long enough password\n", []string{"--email", "Admin@Example.com", "--role", "admin"}, ExitOK, "added admin@example.com (admin)"},
		{"rep from file", "", []string{"--email", "rep@example.com", "--role", "rep", "--person", "ae-1", "--password-file", pwFile}, ExitOK, "added rep@example.com (rep of ae-1)"},
		{"same email", "a long enough password\n", []string{"--email", "admin@example.com", "--role", "admin"}, ExitUsage, "exists already"},
		{"bad role", "a long enough password\n", []string{"--email", "x@example.com", "--role", "root"}, ExitUsage, "want one of admin, payroll, manager, rep"},
		{"rep without person", "a long enough password\n", []string{"--email", "x@example.com", "--role", "rep"}, ExitUsage, "--person is needed"},
		{"unknown person", "a long enough password\n", []string{"--email", "x@example.com", "--role", "rep", "--person", "nobody"}, ExitUsage, "no such person"},
		{"short password", "short\n", []string{"--email", "x@example.com", "--role", "payroll"}, ExitUsage, "at least 12"},
		{"no password", "", []string{"--email", "x@example.com", "--role", "payroll"}, ExitUsage, "no password"},
		{"password flag", "", []string{"--email", "x@example.com", "--role", "payroll", "--password", "a long enough password"}, ExitUsage, "unknown flag: --password"},
	}
	for _, tt := range tests {
		r := icompIn(t, tt.stdin, append([]string{"--db", db, "users", "add"}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.out+r.errOut, tt.want) {
			t.Errorf("%s: %s\nwant exit %d and %q", tt.name, r, tt.code, tt.want)
		}
	}
	list := mustIcomp(t, "--db", db, "users", "list").out
	if !strings.Contains(list, "admin@example.com") || !strings.Contains(list, "rep@example.com") || strings.Contains(list, "x@example.com") || strings.Contains(list, "argon2") {
		t.Errorf("users list:\n%s", list)
	}
	token := strings.TrimSpace(mustIcomp(t, "--db", db, "users", "token", "--email", "rep@example.com").out)
	if len(token) != 43 {
		t.Fatalf("token %q", token)
	}
	if r := icomp(t, "--db", db, "users", "token", "--email", "nobody@example.com"); r.code != ExitUsage {
		t.Errorf("token for nobody: %s", r)
	}

	// The token works against icomp serve.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	e := &env{stdin: strings.NewReader(""), out: io.Discard, errOut: io.Discard}
	go func() { done <- serve(ctx, e, db, "127.0.0.1:0", false, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	req, _ := http.NewRequest("GET", base+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"person": "ae-1"`) {
		t.Errorf("/api/me with the token: %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
