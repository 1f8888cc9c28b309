package sqlitestore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestStmtCache: a read query run outside a transaction is prepared once
// and kept, and answers as before each time; a long query is not kept;
// once stmtCacheMax statements are kept, further queries still answer,
// prepared each time.
func TestStmtCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	c := &conn{db: s.DB}
	defer c.stmts.close()
	ask := func(q string, args ...any) string {
		t.Helper()
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, ",")
	}
	const q = `SELECT ? || '-' || ? UNION ALL SELECT 'x'`
	for i := range 3 {
		if got, want := ask(q, "a", i), fmt.Sprintf("a-%d,x", i); got != want {
			t.Errorf("run %d: %q, want %q", i, got, want)
		}
	}
	if n := len(c.stmts.m); n != 1 {
		t.Errorf("%d statements kept after one query three times, want 1", n)
	}
	long := `SELECT 'long' WHERE 1 IN (` + strings.Repeat("1,", stmtCacheQueryMaxBytes) + `1)`
	if got := ask(long); got != "long" {
		t.Errorf("long query: %q", got)
	}
	if _, kept := c.stmts.m[long]; kept {
		t.Errorf("a query of %d bytes was kept", len(long))
	}
	for i := range stmtCacheMax + 10 {
		if got, want := ask(fmt.Sprintf("SELECT '%d'", i)), fmt.Sprint(i); got != want {
			t.Fatalf("query %d: %q, want %q", i, got, want)
		}
	}
	if n := len(c.stmts.m); n != stmtCacheMax {
		t.Errorf("%d statements kept, want at most %d", n, stmtCacheMax)
	}
	if got := ask(q, "b", 9); got != "b-9,x" {
		t.Errorf("the first query again: %q", got)
	}
}

// TestStmtCacheConcurrent: queries asked at once from many goroutines (the
// web app's requests) share the kept statements and each gets its own
// answer (run with -race).
func TestStmtCacheConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	c := &conn{db: s.DB}
	defer c.stmts.close()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 40 {
				q := fmt.Sprintf("SELECT ? || '/%d'", i%5)
				rows, err := c.Query(ctx, q, g)
				if err != nil {
					errs <- err
					return
				}
				var got string
				for rows.Next() {
					if err := rows.Scan(&got); err != nil {
						rows.Close()
						errs <- err
						return
					}
				}
				rows.Close()
				if want := fmt.Sprintf("%d/%d", g, i%5); got != want {
					errs <- fmt.Errorf("goroutine %d query %d: %q, want %q", g, i, got, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(c.stmts.m); n != 5 {
		t.Errorf("%d statements kept, want 5", n)
	}
}

// openTemp opens a new database in a temporary directory, closed when
// the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestExecPrepared: a long INSERT run many times in one transaction is
// prepared once and every row lands; the statements go with the
// transaction.
func TestExecPrepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	c := &conn{db: s.DB}
	if _, err := c.Exec(ctx, `CREATE TABLE b (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const rows = 500
	q := `INSERT INTO b (n) VALUES ` + strings.TrimSuffix(strings.Repeat("(?),", rows), ",")
	args := make([]any, rows)
	for i := range args {
		args[i] = i
	}
	for range 2 {
		tc, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx := tc.(*txConn)
		for range 3 {
			if n, err := tx.ExecPrepared(ctx, q, args...); err != nil || n != rows {
				t.Fatalf("ExecPrepared: %d rows, %v; want %d", n, err, rows)
			}
		}
		if n := len(tx.prepared); n != 1 {
			t.Errorf("%d statements prepared for one text, want 1", n)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM b`).Scan(&got); err != nil || got != 6*rows {
		t.Errorf("%d rows, %v; want %d", got, err, 6*rows)
	}
}
