package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/cmd/icomp/cli"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// demoDB is the database of one icomp demo, made once for the package's
// tests; each fixture works on its own copy.
var (
	demoOnce sync.Once
	demoPath string
	demoErr  error
)

func demoDatabase(t testing.TB) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "icomp-server-demo-")
		if err != nil {
			demoErr = err
			return
		}
		ws := filepath.Join(dir, "ws")
		var out strings.Builder
		if code := cli.Main([]string{"demo", "--dir", ws}, strings.NewReader(""), &out, &out); code != 0 {
			demoErr = fmt.Errorf("icomp demo exited %d:\n%s", code, out.String())
			return
		}
		demoPath = filepath.Join(ws, "icomp.db")
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoPath
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The demo people the tests sign in as.
const (
	repPerson   = "ae-1" // reports to mgr-1
	otherPerson = "ae-6" // reports to mgr-2
	mgrPerson   = "mgr-1"
	quarter     = "2027-Q1"
	password    = "correct horse battery staple"
)

// fixture is a server on a copy of the demo database, on 127.0.0.1.
type fixture struct {
	st      storage.Store
	srv     *server.Server
	ts      *httptest.Server
	runner  jobs.Service
	users   map[string]storage.User // by role name: admin, payroll, manager, rep, other
	tokens  map[string]string       // API tokens: rep, admin
	payout  string                  // the path of one of repPerson's payout lines in quarter
	explain string                  // the explanation page of that line
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "icomp.db")
	copyFile(t, demoDatabase(t), path)
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	deps := &jobs.Deps[*sql.Tx]{Store: st, Plans: calc.NewPlanCache()}
	runner, err := jobs.NewRunner[*riversqlite.Driver, *sql.Tx](riversqlite.New(st.DB), deps, jobs.RunnerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Work(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, runner: runner, users: map[string]storage.User{}, tokens: map[string]string{}}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = runner.Stop(stopCtx)
		st.Close()
	})
	now := time.Now()
	for _, u := range []struct{ key, email, role, person string }{
		{"admin", "admin@example.com", storage.RoleAdmin, ""},
		{"payroll", "payroll@example.com", storage.RolePayroll, ""},
		{"manager", "mgr1@example.com", storage.RoleManager, mgrPerson},
		{"rep", "ana@example.com", storage.RoleRep, repPerson},
		{"other", "ana6@example.com", storage.RoleRep, otherPerson},
	} {
		user, err := server.AddUser(ctx, st, server.AddUserParams{Email: u.email, Role: u.role, Person: u.person, Password: password, By: "test"}, now)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.key] = user
	}
	for _, k := range []string{"rep", "admin"} {
		if f.tokens[k], err = server.NewAPIToken(ctx, st, f.users[k].Email, "test", now); err != nil {
			t.Fatal(err)
		}
	}
	f.srv, err = server.New(server.Config{Store: st, Runner: runner, Log: log.New(testLog{t}, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	stmt, err := reports.BuildStatement(ctx, st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmt.Plans) == 0 || len(stmt.Plans[0].Payouts) == 0 {
		t.Fatalf("%s earned nothing in %s", repPerson, quarter)
	}
	f.explain = reports.ExplainHref("", repPerson, quarter, stmt.Plans[0].Plan, stmt.Plans[0].Payouts[0].Component)
	f.payout = fmt.Sprintf("/statements/%s/%s/payouts/%s/%s", repPerson, quarter, stmt.Plans[0].Plan, stmt.Plans[0].Payouts[0].Component)
	return f
}

// session signs the user in directly (no password hashing), returning
// the cookie value and the CSRF token.
func (f *fixture) session(t testing.TB, key string) (string, string) {
	t.Helper()
	id, csrf := server.NewSecret(), server.NewSecret()
	now := time.Now().UTC()
	err := f.st.InTx(context.Background(), func(tx storage.Tx) error {
		return tx.SessionInsert(context.Background(), storage.Session{IDHash: server.HashSecret(id), UserID: f.users[key].ID, CSRF: csrf,
			CreatedAt: now.Format(time.RFC3339), ExpiresAt: now.Add(time.Hour).Format(time.RFC3339)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, csrf
}

// waitRuns waits until no run is in progress.
func (f *fixture) waitRuns(t testing.TB) {
	t.Helper()
	runs, err := f.st.RunList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == storage.RunRunning {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_, err := f.runner.Wait(ctx, r.ID, 50*time.Millisecond, nil)
			cancel()
			if err != nil {
				t.Fatalf("run %d: %v", r.ID, err)
			}
		}
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// testLog sends the server's log to the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
