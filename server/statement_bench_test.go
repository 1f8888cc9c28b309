package server_test

import (
	"context"
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

	"github.com/icomp/icomp/cmd/icomp/cli"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// The workspace of `icomp bench statement --deals 5000`, made once per
// process: bench-ae-01 has 5,000 credited deals in 2027-Q1 under the
// example AE plan; nine teammates have 100 each; bench-mgr manages them.
var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

const (
	bigRep     = "bench-ae-01"
	bigManager = "bench-mgr"
	bigDeals   = 5000
)

func bigDatabase(b testing.TB) string {
	b.Helper()
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "icomp-server-bigstatement-")
		if err != nil {
			bigErr = err
			return
		}
		ws := filepath.Join(dir, "ws")
		var out strings.Builder
		args := []string{"bench", "statement", "--deals", fmt.Sprint(bigDeals), "--requests", "0", "--dir", ws}
		if code := cli.Main(args, strings.NewReader(""), &out, &out); code != 0 {
			bigErr = fmt.Errorf("icomp %s exited %d:\n%s", strings.Join(args, " "), code, out.String())
			return
		}
		bigPath = filepath.Join(ws, "icomp.db")
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigPath
}

// BenchmarkStatementPage5000 times, in process (no network), the rep's
// statement page, JSON statement and PDF and the manager's team page and
// team API for a rep with 5,000 credited deals (the shape `icomp bench
// statement` measures over 127.0.0.1), and reports.BuildStatement alone.
func BenchmarkStatementPage5000(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "icomp.db")
	copyFile(b, bigDatabase(b), path)
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	auth := map[string]http.Header{}
	for _, u := range []struct{ key, role, person string }{{"rep", storage.RoleRep, bigRep}, {"manager", storage.RoleManager, bigManager}} {
		user, err := server.AddUser(ctx, st, server.AddUserParams{Email: u.key + "@example.com", Role: u.role, Person: u.person, Password: password, By: "bench"}, now)
		if err != nil {
			b.Fatal(err)
		}
		id := server.NewSecret()
		if err := st.InTx(ctx, func(tx storage.Tx) error {
			return tx.SessionInsert(ctx, storage.Session{IDHash: server.HashSecret(id), UserID: user.ID, CSRF: server.NewSecret(),
				CreatedAt: now.UTC().Format(time.RFC3339), ExpiresAt: now.Add(24 * time.Hour).UTC().Format(time.RFC3339)})
		}); err != nil {
			b.Fatal(err)
		}
		auth[u.key] = http.Header{"Cookie": {"icomp_session=" + id}}
	}
	srv, err := server.New(server.Config{Store: st, Log: log.New(testLog{b}, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := reports.BuildStatement(ctx, st, bigRep, quarter); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tt := range []struct{ name, who, path string }{
		{"html", "rep", "/statements/" + bigRep + "/" + quarter},
		{"json", "rep", "/api/statements/" + bigRep + "/" + quarter},
		{"pdf", "rep", "/statements/" + bigRep + "/" + quarter + "/pdf"},
		{"team", "manager", "/team?period=" + quarter},
		{"apiteam", "manager", "/api/team/" + quarter},
	} {
		b.Run(tt.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				req := httptest.NewRequest("GET", tt.path, nil)
				req.Header = auth[tt.who].Clone()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d\n%.500s", tt.path, w.Code, w.Body.String())
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}
