package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared read statements are kept by their text: SQLite parses and
// plans a query on every prepare, and the web app asks the same dozen
// queries for every statement it shows (a tenth of its CPU under load
// went to sqlite3_prepare). pgx keeps its own per connection.
const (
	// stmtCacheMax bounds the statements kept; once full, other
	// queries are prepared each time as before.
	stmtCacheMax = 256
	// stmtCacheQueryMaxBytes leaves out long queries (an IN list of a
	// thousand keys), which rarely repeat.
	stmtCacheQueryMaxBytes = 2048
)

// stmtCache is the prepared statements of a conn, by query text.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// get returns the prepared statement of q, preparing it on first use; nil
// when q is not kept (too long, or the cache is full).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	if len(q) > stmtCacheQueryMaxBytes {
		return nil, nil
	}
	c.mu.Lock()
	st, ok := c.m[q]
	full := len(c.m) >= stmtCacheMax
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[q]; ok { // prepared meanwhile by another query
		_ = st.Close()
		return prev, nil
	}
	if len(c.m) >= stmtCacheMax {
		_ = st.Close()
		return nil, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
	return st, nil
}

// close closes every kept statement. A statement whose rows are still
// being read closes when they are (database/sql tracks them).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}
