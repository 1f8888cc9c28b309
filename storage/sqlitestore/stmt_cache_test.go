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

// TestBulkInsertsKept: a multi-row INSERT in a transaction is prepared
// once and kept (in the bulk cache, whatever its length); later
// transactions reuse it and every row lands; a short Exec is not kept;
// once bulkCacheMax are kept, a new repeated insert evicts the one
// unused longest.
func TestBulkInsertsKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	c := &conn{db: s.DB, bulk: stmtCache{bulk: true}}
	defer c.bulk.close()
	if _, err := c.Exec(ctx, `CREATE TABLE b (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	insert := func(rows int) {
		t.Helper()
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, rows)
		for i := range args {
			args[i] = i
		}
		q := `INSERT INTO b (n) VALUES ` + strings.TrimSuffix(strings.Repeat("(?),", rows), ",")
		if n, err := tx.Exec(ctx, q, args...); err != nil || n != int64(rows) {
			t.Fatalf("insert of %d rows: %d, %v", rows, n, err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	insert(bulkArgsMin)
	if n := len(c.bulk.m); n != 0 {
		t.Errorf("%d bulk statements kept after one insert, want 0 (only a repeated text is kept)", n)
	}
	for range 3 {
		insert(bulkArgsMin)
	}
	insert(bulkArgsMin - 1)
	insert(bulkArgsMin - 1)
	if n := len(c.bulk.m); n != 1 {
		t.Errorf("%d bulk statements kept, want 1 (the %d-row insert)", n, bulkArgsMin)
	}
	for i := range bulkCacheMax + 3 {
		insert(bulkArgsMin + 1 + i)
		insert(bulkArgsMin + 1 + i)
	}
	if n := len(c.bulk.m); n != bulkCacheMax {
		t.Errorf("%d bulk statements kept, want %d", n, bulkCacheMax)
	}
	// The cache is full of inserts run twice each; the last ones made
	// room by evicting those unused longest, the first among them.
	last := bulkArgsMin + bulkCacheMax + 3
	if _, ok := c.bulk.m[`INSERT INTO b (n) VALUES `+strings.TrimSuffix(strings.Repeat("(?),", last), ",")]; !ok {
		t.Errorf("the last insert repeated (%d rows) is not kept", last)
	}
	if _, ok := c.bulk.m[`INSERT INTO b (n) VALUES `+strings.TrimSuffix(strings.Repeat("(?),", bulkArgsMin), ",")]; ok {
		t.Errorf("the insert unused longest (%d rows) is still kept", bulkArgsMin)
	}
	var got, want int
	for i := range bulkCacheMax + 3 {
		want += 2 * (bulkArgsMin + 1 + i)
	}
	want += 4*bulkArgsMin + 2*(bulkArgsMin-1)
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM b`).Scan(&got); err != nil || got != want {
		t.Errorf("%d rows, %v; want %d", got, err, want)
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
