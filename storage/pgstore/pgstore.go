// Package pgstore is icomp's Postgres storage backend (pgx v5), for
// deployments that outgrow one machine: any number of `icomp worker`
// processes share one database through River (riverpgxv5). Bulk paths use
// COPY: imports copy into a staging table and ledger writes copy into a
// staging table and then INSERT … SELECT … ON CONFLICT DO NOTHING, which
// keeps the idempotency keys' guarantee. Money is NUMERIC. Triggers reject
// UPDATE, DELETE and TRUNCATE on the ledger.
//
// Unlike the embedded backend, Postgres is migrated explicitly (`icomp
// migrate`); Open refuses a database whose schema is missing or newer
// than this build.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlstore"
)

//go:embed migration/*.up.sql
var migrations embed.FS

// SchemaVersion is the app schema version this build expects; the SQLite
// backend's is the same (a test checks).
const SchemaVersion = 15

// ErrSchema is returned by Open when the database is not at SchemaVersion.
var ErrSchema = errors.New("database schema does not match this icomp")

// Store is the Postgres backend.
type Store struct {
	*sqlstore.Store
	Pool *pgxpool.Pool
}

// Connect opens a pool without checking the schema.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, c); err != nil {
				return err
			}
		}
		return checkClientConnection(ctx, c)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect %s: %w", redact(url), err)
	}
	return pool, nil
}

// ClientCheckInterval is how often the server checks, while it runs a
// query, that the client is still connected. A cancelled context cancels
// the query (pgx sends a cancel request), but a client that dies (kill -9,
// a lost machine) sends nothing: without the check the server would run
// the query to its end.
const ClientCheckInterval = "5s"

// checkClientConnection sets client_connection_check_interval on a new
// connection. Servers before PostgreSQL 14 do not know the setting; they
// run without it.
func checkClientConnection(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `SET client_connection_check_interval = '`+ClientCheckInterval+`'`)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgUndefinedObject {
		return nil
	}
	return err
}

// pgUndefinedObject is the SQLSTATE of an unknown setting.
const pgUndefinedObject = "42704"

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "…" + url[i:]
		}
	}
	return url
}

// Open connects and checks that the app's and River's schemas are current.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Store: sqlstore.New(&conn{pool: pool}, Dialect), Pool: pool}, nil
}

// SchemaVersionOf returns the app schema version of the database (0 when
// it was never migrated).
func SchemaVersionOf(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('icomp_migration') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM icomp_migration`).Scan(&v)
	return v, err
}

// CheckSchema returns an ErrSchema error, saying what to do, unless both
// the app's and River's migrations are current.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	v, err := SchemaVersionOf(ctx, pool)
	if err != nil {
		return err
	}
	switch {
	case v == 0:
		return fmt.Errorf("%w: the database has no icomp schema; run icomp migrate --db URL first", ErrSchema)
	case v < SchemaVersion:
		return fmt.Errorf("%w: the database schema is version %d, this icomp needs %d; run icomp migrate --db URL", ErrSchema, v, SchemaVersion)
	case v > SchemaVersion:
		return fmt.Errorf("%w: the database schema is version %d, newer than this icomp (%d); upgrade icomp", ErrSchema, v, SchemaVersion)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("%w: River's tables are missing (%v); run icomp migrate --db URL", ErrSchema, err)
	}
	all := m.AllVersions()
	if len(have) == 0 || have[len(have)-1].Version < all[len(all)-1].Version {
		return fmt.Errorf("%w: River's schema is not current; run icomp migrate --db URL", ErrSchema)
	}
	return nil
}

// migrateLockID is the advisory lock key that serialises migrators.
const migrateLockID = 727001

// Migrate applies the app's and River's pending migrations and returns the
// app versions applied. A newer schema is refused. Concurrent migrators
// (icomp migrate on several machines) take turns: the first applies the
// migrations, the others find them applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	// One session-level lock around everything, River's migrations
	// included: they are not safe to run concurrently either.
	lock, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockID); err != nil {
		return nil, err
	}
	defer func() {
		if _, err := lock.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockID); err != nil {
			// Closing the connection releases the lock.
			lock.Hijack().Close(context.Background())
		}
	}()
	return migrateLocked(ctx, pool)
}

func migrateLocked(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS icomp_migration (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return nil, err
	}
	current, err := SchemaVersionOf(ctx, pool)
	if err != nil {
		return nil, err
	}
	if current > SchemaVersion {
		return nil, fmt.Errorf("%w: the database schema is version %d, newer than this icomp (%d); upgrade icomp", ErrSchema, current, SchemaVersion)
	}
	files, err := fs.Glob(migrations, "migration/*.up.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var applied []int
	for _, f := range files {
		base := strings.TrimPrefix(f, "migration/")
		v, err := strconv.Atoi(base[:strings.IndexByte(base, '_')])
		if err != nil || v <= current {
			continue
		}
		src, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM icomp_migration WHERE version = $1)`, v).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.Exec(ctx, string(src)); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO icomp_migration (version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return nil, err
		}
		applied = append(applied, v)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return nil, err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	return applied, nil
}

// Dialect is Postgres's SQL dialect.
var Dialect = &sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	CreateStage: `CREATE TEMP TABLE txn_stage (
		id TEXT NOT NULL, line INTEGER NOT NULL, hash TEXT NOT NULL, date TEXT NOT NULL, type TEXT NOT NULL,
		owner TEXT NOT NULL, territory TEXT NOT NULL, product TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
		splits TEXT NOT NULL, attrs TEXT NOT NULL) ON COMMIT DROP;
		CREATE TEMP TABLE txn_split_stage (txn_id TEXT NOT NULL, person TEXT NOT NULL) ON COMMIT DROP`,
	BeforeMerge: `ANALYZE txn_stage; ANALYZE txn_split_stage`,
	// Every index, the primary key's included (no foreign key refers to
	// txn): a key inserted in (owner, date) order is a random insert
	// into the id index, which costs more than loading the rows.
	TxnIndexes: `SELECT 'DROP INDEX ' || quote_ident(i.indexname), i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = 'txn'
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = 'txn'::regclass AND c.conname = i.indexname)
		UNION ALL
		SELECT 'ALTER TABLE txn DROP CONSTRAINT ' || quote_ident(conname), 'ALTER TABLE txn ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE conrelid = 'txn'::regclass AND contype IN ('p', 'u')
		ORDER BY 1`,
	BeforeFirstLoad:       `SET LOCAL work_mem = '64MB'; SET LOCAL maintenance_work_mem = '256MB'`,
	BinaryCollate:         ` COLLATE "C"`,
	Money:                 func(col string) string { return col + "::text" },
	JSONKeys:              func(col string) string { return "json_object_keys(" + col + "::json) j(k)" },
	StageTransactions:     stageTransactions,
	InsertLedgerLines:     insertLedgerLines,
	InsertCredits:         insertCredits,
	InterpretError:        interpretError,
	TransactionUncredited: transactionUncredited,
}

// transactionUncredited counts the period's transactions for which no
// credit of a credit line in force exists, in two statements. The first
// reads the keys of the credit lines in force (a few thousand, through
// ledger_line's indexes). The second is one hash anti-join: the
// transactions of those lines' credits (unnested from their JSON array)
// hashed, probed by each of the period's transactions as the table is
// read. Passing the keys as an array gives
// the planner the credits' true number: a join that finds the lines in
// force in the same statement is estimated at a row or two (the
// not-superseded test), and with statistics not yet gathered after a
// first load the planner may then check every transaction against every
// credit in a nested loop (it ran for minutes), or, in the SQLite
// UncreditedLeftJoin, sort a million credits DISTINCT first. The hash
// may use uncreditedWorkMem; on a transaction of the caller's, in a
// savepoint rolled back afterwards, which undoes the setting.
func transactionUncredited(ctx context.Context, q sqlstore.Querier, span period.Range, periodLabel string, sampleMax int) (n int, sample []string, err error) {
	read := func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '`+uncreditedWorkMem+`'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT l.key FROM ledger_line l
			WHERE l.period = $1 AND l.ledger = 'credit' AND l.kind = 'post'
			  AND NOT EXISTS (SELECT 1 FROM ledger_line s WHERE s.supersedes = l.key AND s.supersedes <> '')`, periodLabel)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT t.id FROM txn t WHERE t.date >= $1 AND t.date <= $2
			AND NOT EXISTS (SELECT 1 FROM credit c, json_array_elements_text(c.txns::json) k(txn)
				WHERE c.line_key = ANY($3::text[]) AND k.txn = t.id)`,
			span.Start.String(), span.End.String(), keys)
		if err != nil {
			return err
		}
		n, sample, err = sqlstore.CountSample(rows, sampleMax)
		return err
	}
	switch q := q.(type) {
	case *conn:
		err = pgx.BeginTxFunc(ctx, q.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, read)
	case *txConn:
		var sp pgx.Tx
		if sp, err = q.tx.Begin(ctx); err != nil {
			break
		}
		err = read(sp)
		if rerr := sp.Rollback(ctx); err == nil {
			err = rerr
		}
	default:
		panic(fmt.Sprintf("pgstore: a querier of type %T", q))
	}
	return n, sample, interpretError(err)
}

// uncreditedWorkMem is the memory the uncredited report's hash may use
// (work_mem): a million transaction ids take about 50 MB; with the
// default 4 MB the hash spills to disk in batches and the report takes
// about twice as long.
const uncreditedWorkMem = "64MB"

var stageCols = []string{"id", "line", "hash", "date", "type", "owner", "territory", "product", "amount", "currency", "splits", "attrs"}

// pgxTx is the pgx transaction of one of this backend's transactions.
func pgxTx(tx sqlstore.TxConn) pgx.Tx { return tx.(*txConn).tx }

// InDriverTx runs fn in one transaction, with its pgx.Tx for River.
func (s *Store) InDriverTx(ctx context.Context, fn func(storage.Tx, pgx.Tx) error) error {
	return s.InTxConn(ctx, func(tx storage.Tx, tc sqlstore.TxConn) error { return fn(tx, pgxTx(tc)) })
}

var _ storage.DriverStore[pgx.Tx] = (*Store)(nil)

func stageTransactions(ctx context.Context, tx sqlstore.TxConn, rows [][]any, splits [][]any) error {
	t := pgxTx(tx)
	if _, err := t.CopyFrom(ctx, pgx.Identifier{"txn_stage"}, stageCols, pgx.CopyFromRows(rows)); err != nil {
		return interpretError(err)
	}
	if len(splits) > 0 {
		if _, err := t.CopyFrom(ctx, pgx.Identifier{"txn_split_stage"}, []string{"txn_id", "person"}, pgx.CopyFromRows(splits)); err != nil {
			return interpretError(err)
		}
	}
	return nil
}

// insertLedgerLines appends rows. In the usual case no key exists yet (a
// batch posts only what its diff against the posted lines found new), and
// the rows are copied straight into ledger_line, under a savepoint. Should
// a key exist already, the savepoint is rolled back and the rows go through
// a staging table and INSERT … ON CONFLICT DO NOTHING, which skips it.
func insertLedgerLines(ctx context.Context, tx sqlstore.TxConn, rows [][]any) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	t := pgxTx(tx)
	direct := make([][]any, len(rows))
	amountCol := sqlstore.LedgerAmountColumn
	for i, r := range rows {
		d := append([]any(nil), r...)
		n, err := numeric(r[amountCol].(string))
		if err != nil {
			return 0, err
		}
		d[amountCol] = n
		direct[i] = d
	}
	sp, err := t.Begin(ctx)
	if err != nil {
		return 0, interpretError(err)
	}
	copied, err := sp.CopyFrom(ctx, pgx.Identifier{"ledger_line"}, sqlstore.LedgerColumns, pgx.CopyFromRows(direct))
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return 0, interpretError(err)
		}
		return int(copied), nil
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return 0, interpretError(rerr)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != pgUniqueViolation || pe.ConstraintName != "ledger_line_key_key" {
		return 0, interpretError(err)
	}
	// ord keeps the lines' order, so that seq follows it: a reversal comes
	// before the line that replaces it.
	if _, err := t.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS ledger_stage (ord INTEGER NOT NULL, key TEXT NOT NULL, ledger TEXT NOT NULL,
		kind TEXT NOT NULL, supersedes TEXT NOT NULL, run_id BIGINT NOT NULL, plan TEXT NOT NULL, plan_hash TEXT NOT NULL,
		period TEXT NOT NULL, posted_period TEXT NOT NULL, person TEXT NOT NULL, subject TEXT NOT NULL, currency TEXT NOT NULL,
		earning_code TEXT NOT NULL, amount TEXT NOT NULL, basis TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL) ON COMMIT DELETE ROWS;
		TRUNCATE ledger_stage`); err != nil {
		return 0, interpretError(err)
	}
	withOrd := make([][]any, len(rows))
	for i, r := range rows {
		withOrd[i] = append([]any{i}, r...)
	}
	if _, err := t.CopyFrom(ctx, pgx.Identifier{"ledger_stage"}, append([]string{"ord"}, sqlstore.LedgerColumns...), pgx.CopyFromRows(withOrd)); err != nil {
		return 0, interpretError(err)
	}
	cols := strings.Join(sqlstore.LedgerColumns, ", ")
	tag, err := t.Exec(ctx, `INSERT INTO ledger_line (`+cols+`)
		SELECT `+strings.Replace(cols, "amount", "amount::numeric", 1)+`
		FROM ledger_stage ORDER BY ord ON CONFLICT (key) DO NOTHING`)
	if err != nil {
		return 0, interpretError(err)
	}
	return int(tag.RowsAffected()), nil
}

// insertCredits copies credit packs into credit: no key can exist yet
// (they belong to lines appended in the same transaction).
func insertCredits(ctx context.Context, tx sqlstore.TxConn, keys, txns, packs []string) error {
	_, err := pgxTx(tx).CopyFrom(ctx, pgx.Identifier{"credit"}, sqlstore.CreditColumns, pgx.CopyFromSlice(len(keys), func(i int) ([]any, error) {
		return []any{keys[i], txns[i], packs[i]}, nil
	}))
	return interpretError(err)
}

// numeric turns a decimal's text into the value COPY writes to a NUMERIC
// column, exactly.
func numeric(text string) (pgtype.Numeric, error) {
	d, err := decimal.NewFromString(text)
	if err != nil {
		return pgtype.Numeric{}, fmt.Errorf("ledger amount %q: %w", text, err)
	}
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}, nil
}

// pgUniqueViolation is Postgres's SQLSTATE for a unique constraint violation.
const pgUniqueViolation = "23505"

func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == pgUniqueViolation && pe.ConstraintName == "run_active_period_key" {
			// Another transaction started a run of the period first.
			return storage.ErrRunInProgress
		}
		return fmt.Errorf("postgres: %s (%s): %w", pe.Message, pe.Code, err)
	}
	return err
}

type conn struct{ pool *pgxpool.Pool }

func (c *conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return c.pool.Query(ctx, q, args...)
}

func (c *conn) Begin(ctx context.Context) (sqlstore.TxConn, error) {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &txConn{tx: tx}, nil
}

func (c *conn) Close() error {
	c.pool.Close()
	return nil
}

type txConn struct{ tx pgx.Tx }

func (t *txConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *txConn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return t.tx.Query(ctx, q, args...)
}

func (t *txConn) Commit(ctx context.Context) error { return t.tx.Commit(ctx) }

func (t *txConn) Rollback(ctx context.Context) error {
	err := t.tx.Rollback(ctx)
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}
