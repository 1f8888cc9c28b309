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

// Multi-row INSERTs in transactions (credits, ledger lines, traces) are
// kept too, in a cache of their own: sqlstore writes them in a handful of
// row counts (bulkChunk), so a few texts per table repeat for every batch.
// The store has one connection, which a transaction holds: a bulk insert
// first seen in a transaction runs unprepared there and is noted, and is
// prepared when the transaction ends (see txConn).
const (
	// bulkArgsMin is the fewest arguments of an Exec kept as a bulk
	// insert; shorter statements are prepared each time.
	bulkArgsMin = 200
	// bulkCacheMax bounds the bulk statements kept (each holds a
	// program of a few hundred kilobytes).
	bulkCacheMax = 32
)

// stmtCache is the prepared statements of a conn, by query text.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
	// bulk marks the cache of bulk inserts: any length, bulkCacheMax of
	// them.
	bulk bool
	// noted are the bulk inserts run unprepared since the last prepare,
	// seen twice.
	noted map[string]bool
	// seen are bulk inserts run once: only a text that repeats is worth
	// keeping (an insert of whatever rows were left is not).
	seen map[string]bool
	// used is when each kept bulk insert last ran (in ticks): when the
	// cache is full, the one unused longest makes room for a new one.
	used map[string]uint64
	tick uint64
}

// bulkSeenMax bounds the bulk insert texts remembered as seen once.
const bulkSeenMax = 1024

// kept returns the kept statement of q, or nil after noting q, when it
// has run before, to be prepared by prepareNoted.
func (c *stmtCache) kept(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		c.tick++
		c.used[q] = c.tick
		return st
	}
	if !c.seen[q] {
		if c.seen == nil || len(c.seen) >= bulkSeenMax {
			c.seen = map[string]bool{}
		}
		c.seen[q] = true
		return nil
	}
	if len(c.noted) < bulkCacheMax {
		if c.noted == nil {
			c.noted = map[string]bool{}
		}
		c.noted[q] = true
	}
	return nil
}

// prepareNoted prepares and keeps the noted statements. It is called
// outside any transaction, when the connection is free; a statement that
// fails to prepare is left unkept (it ran, and will run, unprepared).
func (c *stmtCache) prepareNoted(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	noted := c.noted
	c.noted = nil
	c.mu.Unlock()
	for q := range noted {
		c.evictLeastUsed()
		if _, err := c.get(ctx, db, q); err != nil {
			return
		}
		c.mu.Lock()
		c.tick++
		if c.used == nil {
			c.used = map[string]uint64{}
		}
		c.used[q] = c.tick
		c.mu.Unlock()
	}
}

// evictLeastUsed closes and forgets the kept bulk insert unused longest
// when the cache is full. A statement still running closes when it ends
// (database/sql tracks it).
func (c *stmtCache) evictLeastUsed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) < bulkCacheMax {
		return
	}
	var oldest string
	first := true
	for q := range c.m {
		if first || c.used[q] < c.used[oldest] {
			oldest, first = q, false
		}
	}
	_ = c.m[oldest].Close()
	delete(c.m, oldest)
	delete(c.used, oldest)
}

// get returns the prepared statement of q, preparing it on first use; nil
// when q is not kept (too long, or the cache is full).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	max := stmtCacheMax
	if c.bulk {
		max = bulkCacheMax
	} else if len(q) > stmtCacheQueryMaxBytes {
		return nil, nil
	}
	c.mu.Lock()
	st, ok := c.m[q]
	full := len(c.m) >= max
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
	if len(c.m) >= max {
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
