// Package sqlstore is the SQL shared by icomp's storage backends. A backend
// (storage/sqlitestore, storage/pgstore) supplies a Conn and a Dialect; the
// queries, the import merge and the ledger append live here once.
package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/icomp/icomp/engine/period"
)

// Rows is the part of *sql.Rows and pgx.Rows the store uses.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs SQL written with ? placeholders (rebound by the dialect).
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
}

// TxConn is one open database transaction.
type TxConn interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// PreparingTxConn is a TxConn that can run a statement prepared once for
// the transaction, however many times it runs.
type PreparingTxConn interface {
	ExecPrepared(ctx context.Context, sql string, args ...any) (int64, error)
}

// Conn is a backend's connection pool.
type Conn interface {
	Querier
	Begin(ctx context.Context) (TxConn, error)
	Close() error
}

// Dialect holds what differs between backends.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// NulJoinedRows says that the database's text can hold NUL bytes
	// (SQLite's can, Postgres's cannot), so that a transaction row is
	// read as its columns joined by NUL (concat_ws), one column instead
	// of eleven: fields hold no NUL (imports refuse it), and reading a
	// column costs the SQLite driver several locked calls. At 1M
	// transactions a run's reads took 4.4 s of CPU column by column,
	// 2.5 s joined.
	NulJoinedRows bool
	// Numbered placeholders ($1, $2…) instead of ?.
	Numbered bool
	// StageTransactions bulk-loads rows (the txn_stage columns, in
	// order) and splits (txn_id, person) into the staging tables; nil means
	// the portable multi-row INSERT.
	StageTransactions func(ctx context.Context, tx TxConn, rows [][]any, splits [][]any) error
	// InsertLedgerLines bulk-appends ledger rows (the ledger_line columns
	// after seq, in order, amount as text), skipping existing keys, and
	// returns how many were appended; nil means multi-row INSERT.
	InsertLedgerLines func(ctx context.Context, tx TxConn, rows [][]any) (int, error)
	// InsertCredits bulk-appends credit packs (CreditColumns: the lines'
	// keys, transactions and packs, CreditPacks); nil means multi-row
	// INSERT.
	InsertCredits func(ctx context.Context, tx TxConn, keys, txns, packs []string) error
	// CreateStage creates the per-transaction staging tables.
	CreateStage string
	// BeforeMerge runs before staged transactions are merged (statistics
	// for the planner); empty for none.
	BeforeMerge string
	// AfterMerge runs once staged transactions are merged (emptying
	// staging tables that outlive the transaction); empty for none.
	AfterMerge string
	// TxnIndexes lists txn's indexes that a first load drops before it
	// inserts and builds again after: rows of (statement dropping it,
	// statement creating it as it was). Empty for none.
	TxnIndexes string
	// BeforeFirstLoad runs before a first load inserts its rows (settings
	// for its sort and index builds, local to the transaction); empty
	// for none.
	BeforeFirstLoad string
	// BinaryCollate is appended to text columns in ORDER BY to compare them
	// byte-wise, as Go does ("" where that is the default).
	BinaryCollate string
	// Money renders a money column for SELECT as exact text.
	Money func(col string) string
	// JSONKeys renders a FROM item listing the keys of the JSON object in
	// text column col as rows of column k (nil: SQLite's json_each).
	JSONKeys func(col string) string
	// InterpretError turns a driver error into a storage error.
	InterpretError func(error) error
	// TransactionUncredited, when set, is the backend's
	// TransactionUncredited, on q (the pool or a transaction); nil means
	// the portable query, UncreditedLeftJoin.
	TransactionUncredited func(ctx context.Context, q Querier, span period.Range, periodLabel string, sampleMax int) (int, []string, error)
}

// rebind turns ? placeholders into $n for numbered dialects.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
