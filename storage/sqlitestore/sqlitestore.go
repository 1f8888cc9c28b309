// Package sqlitestore is icomp's embedded storage backend: one SQLite file
// (modernc.org/sqlite, pure Go) holding the app's tables and River's. It
// migrates itself on Open.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlstore"
)

//go:embed migration/*.up.sql
var migrations embed.FS

// SchemaVersion is the app schema version this build expects.
const SchemaVersion = 15

// Store is the SQLite backend.
type Store struct {
	*sqlstore.Store
	DB *sql.DB
}

// FileMode is the permission of a database file Open creates: pay data is
// for its owner only. SQLite gives the database's -wal and -shm files the
// database file's permission.
const FileMode = 0o600

// Open opens (creating if needed, with FileMode) the SQLite database at
// path and applies the app's and River's migrations. River on SQLite wants
// a single connection: more hit SQLITE_BUSY.
func Open(ctx context.Context, path string) (*Store, error) {
	// SQLite would create the file 0644; an empty file is an empty
	// database.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode); err == nil {
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The WAL is checkpointed into the database once it holds 10,000
	// pages (40 MB) rather than SQLite's 1,000: a run's batch writes a
	// few hundred pages, and each checkpoint syncs the file, so a 1M
	// run's 123 batches checkpoint a tenth as often (run 15.7 → 14.3 s,
	// medians of 3).
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(on)&_pragma=cache_size(-65536)&_pragma=temp_store(file)&_pragma=wal_autocheckpoint(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	s := &Store{Store: sqlstore.New(&conn{db: db}, Dialect), DB: db}
	return s, nil
}

// Dialect is SQLite's SQL dialect.
var Dialect = &sqlstore.Dialect{
	Name:          "sqlite",
	NulJoinedRows: true,
	CreateStage: `CREATE TEMP TABLE IF NOT EXISTS txn_stage (
		id TEXT NOT NULL PRIMARY KEY, line INTEGER NOT NULL, hash TEXT NOT NULL, date TEXT NOT NULL, type TEXT NOT NULL,
		owner TEXT NOT NULL, territory TEXT NOT NULL, product TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
		splits TEXT NOT NULL, attrs TEXT NOT NULL);
		CREATE TEMP TABLE IF NOT EXISTS txn_split_stage (txn_id TEXT NOT NULL, person TEXT NOT NULL, PRIMARY KEY (txn_id, person));
		DELETE FROM txn_stage; DELETE FROM txn_split_stage;`,
	// The staging tables live as long as the connection: a first load's
	// million rows are not left for the next import to delete.
	AfterMerge: `DELETE FROM txn_stage; DELETE FROM txn_split_stage`,
	// Every index but the primary key's (which SQLite cannot drop).
	TxnIndexes: `SELECT 'DROP INDEX "' || replace(name, '"', '""') || '"', sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = 'txn' AND sql IS NOT NULL ORDER BY name`,
}

// SchemaVersionOf returns the app schema version of an open database.
func SchemaVersionOf(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM icomp_migration`).Scan(&v)
	return v, err
}

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS icomp_migration (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	current, err := SchemaVersionOf(ctx, db)
	if err != nil {
		return err
	}
	if current > SchemaVersion {
		return fmt.Errorf("database schema is version %d, newer than this icomp (%d); upgrade icomp", current, SchemaVersion)
	}
	files, err := fs.Glob(migrations, "migration/*.up.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		base := strings.TrimPrefix(f, "migration/")
		v, err := strconv.Atoi(base[:strings.IndexByte(base, '_')])
		if err != nil || v <= current {
			continue
		}
		src, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(src)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", f, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO icomp_migration (version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return err
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

type conn struct {
	db *sql.DB
	// stmts keeps prepared statements of the queries run outside
	// transactions.
	stmts stmtCache
}

func (c *conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c *conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	st, err := c.stmts.get(ctx, c.db, q)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = c.db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c *conn) Begin(ctx context.Context) (sqlstore.TxConn, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &txConn{tx: tx}, nil
}

func (c *conn) Close() error {
	c.stmts.close()
	return c.db.Close()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type txConn struct {
	tx *sql.Tx
	// prepared keeps the statements ExecPrepared prepared, for the
	// transaction (closed with it).
	prepared map[string]*sql.Stmt
}

// ExecPrepared runs q as Exec does, through a statement prepared once per
// transaction: an import stages its rows, and a batch posts its credits,
// by many of the same long INSERT, which SQLite would otherwise parse each
// time.
func (t *txConn) ExecPrepared(ctx context.Context, q string, args ...any) (int64, error) {
	st, ok := t.prepared[q]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(ctx, q); err != nil {
			return 0, err
		}
		if t.prepared == nil {
			t.prepared = map[string]*sql.Stmt{}
		}
		t.prepared[q] = st
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *txConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *txConn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *txConn) Commit(context.Context) error { return t.tx.Commit() }

func (t *txConn) Rollback(context.Context) error {
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// InDriverTx runs fn in one transaction, with its *sql.Tx for River.
func (s *Store) InDriverTx(ctx context.Context, fn func(storage.Tx, *sql.Tx) error) error {
	return s.InTxConn(ctx, func(tx storage.Tx, tc sqlstore.TxConn) error { return fn(tx, tc.(*txConn).tx) })
}

var _ storage.DriverStore[*sql.Tx] = (*Store)(nil)
