package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// The plain tables the hand-written side of `icomp bench --plan bench`
// loads the generated CSV files into, in icomp's database beside icomp's
// own tables: no keys, no indexes, one column per CSV column.
const (
	benchSQLPersonTable = "bench_sql_person"
	benchSQLTxnTable    = "bench_sql_txn"
)

// benchSQLiteInsertRows is how many rows one prepared INSERT of the
// SQLite loader writes: one statement per row spends most of its time in
// database/sql's per-call overhead.
const benchSQLiteInsertRows = 100

// benchHandWritten is the hand-written side of the bench plan: it loads
// the generated people and transactions into plain tables (COPY on
// Postgres, prepared multi-row INSERTs in one transaction on SQLite),
// computes the bench plan's payouts from that transactions table, prints
// the load, compute and end-to-end times and icomp's ratios to them,
// records them in m and checks that the payouts equal icomp's.
func benchHandWritten(ctx context.Context, e *env, st storage.Store, in benchInputs, periodLabel string, importTime, runTime time.Duration, m *benchMeasures) error {
	t0 := time.Now()
	nPeople, err := loadBenchSQLTable(ctx, st, benchSQLPersonTable, in.peopleCSV, false)
	if err != nil {
		return err
	}
	nTxns, err := loadBenchSQLTable(ctx, st, benchSQLTxnTable, in.txnCSV, false)
	if err != nil {
		return err
	}
	load := time.Since(t0)
	t1 := time.Now()
	want, err := runBenchSQL(ctx, st, benchSQLTxnTable, in.per)
	if err != nil {
		return err
	}
	compute := time.Since(t1)
	endToEnd := load + compute
	icompEndToEnd := importTime + runTime
	how := "prepared INSERTs of " + fmt.Sprint(benchSQLiteInsertRows) + " rows in one transaction"
	if _, ok := st.(*pgstore.Store); ok {
		how = "COPY FROM STDIN of the CSV files"
	}
	fmt.Fprintf(e.out, "SQL load     %d rows (people and transactions) into plain tables by %s, in %.3f s: %.0f rows/s; icomp import / SQL load = %.1f×\n",
		nPeople+nTxns, how, load.Seconds(), float64(nPeople+nTxns)/load.Seconds(), importTime.Seconds()/load.Seconds())
	fmt.Fprintf(e.out, "SQL compute  the bench plan's payout per person for the same period from the loaded transactions, in %.3f s; icomp run / SQL compute = %.1f×\n",
		compute.Seconds(), runTime.Seconds()/compute.Seconds())
	fmt.Fprintf(e.out, "SQL end to end  %.3f s (load + compute); icomp end to end / SQL end to end = %.1f×\n",
		endToEnd.Seconds(), icompEndToEnd.Seconds()/endToEnd.Seconds())
	m.time("SQL load", load)
	m.time("SQL compute", compute)
	m.time("SQL end to end", endToEnd)
	m.ratio("icomp import / SQL load", importTime.Seconds()/load.Seconds())
	m.ratio("icomp run / SQL compute", runTime.Seconds()/compute.Seconds())
	m.ratio("icomp end to end / SQL end to end", icompEndToEnd.Seconds()/endToEnd.Seconds())
	n, err := comparePayouts(ctx, st, periodLabel, want)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "payouts match: %d people\n", n)
	return nil
}

// benchSQLColumn is a CSV header field as a column name: lower case,
// anything but a letter, digit or underscore made an underscore
// ("attr.split" → attr_split).
func benchSQLColumn(h string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '_'
	}, h)
}

// benchSQLCreate is the CREATE TABLE of a plain table for a CSV file with
// this header: date and amount typed as a hand-written schema would type
// them (on SQLite, amount with NUMERIC affinity), everything else text.
func benchSQLCreate(table string, header []string, postgres bool) string {
	cols := make([]string, len(header))
	for i, h := range header {
		c := benchSQLColumn(h)
		typ := "TEXT"
		switch {
		case c == "amount":
			typ = "NUMERIC"
		case postgres && (c == "date" || c == "hire_date"):
			typ = "DATE"
		}
		cols[i] = `"` + c + `" ` + typ
	}
	return "CREATE TABLE " + table + " (" + strings.Join(cols, ", ") + ")"
}

// loadBenchSQLTable loads the CSV file path into the plain table: created
// from the file's header, or with reload emptied first. It returns the
// rows loaded.
func loadBenchSQLTable(ctx context.Context, st storage.Store, table, path string, reload bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	switch s := st.(type) {
	case *pgstore.Store:
		header, err := csv.NewReader(f).Read()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		prepare := benchSQLCreate(table, header, true)
		if reload {
			prepare = "TRUNCATE " + table
		}
		if _, err := s.Pool.Exec(ctx, prepare); err != nil {
			return 0, err
		}
		conn, err := s.Pool.Acquire(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Release()
		tag, err := conn.Conn().PgConn().CopyFrom(ctx, f, "COPY "+table+" FROM STDIN (FORMAT csv, HEADER true)")
		if err != nil {
			return 0, fmt.Errorf("COPY %s from %s: %w", table, path, err)
		}
		return tag.RowsAffected(), nil
	case *sqlitestore.Store:
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
		r.ReuseRecord = true
		header, err := r.Read()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		// ReuseRecord: the header's slice is reused by the next Read.
		header = append([]string(nil), header...)
		prepare := benchSQLCreate(table, header, false)
		if reload {
			prepare = "DELETE FROM " + table
		}
		if _, err := s.DB.ExecContext(ctx, prepare); err != nil {
			return 0, err
		}
		return loadBenchSQLite(ctx, s.DB, table, len(header), r)
	}
	return 0, fmt.Errorf("hand-written SQL: unsupported backend %s", st.Backend())
}

// loadBenchSQLite inserts r's records into table in one transaction, by
// a prepared INSERT of benchSQLiteInsertRows rows (and one for the rest).
func loadBenchSQLite(ctx context.Context, db *sql.DB, table string, ncol int, r *csv.Reader) (n int64, err error) {
	insert := func(rows int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", ncol), ",") + ")"
		return "INSERT INTO " + table + " VALUES " + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, insert(benchSQLiteInsertRows))
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	args := make([]any, 0, ncol*benchSQLiteInsertRows)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if len(rec) != ncol {
			line, _ := r.FieldPos(0)
			return 0, fmt.Errorf("line %d: %d fields, the header has %d", line, len(rec), ncol)
		}
		for _, v := range rec {
			args = append(args, v)
		}
		n++
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return 0, err
			}
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if _, err := tx.ExecContext(ctx, insert(len(args)/ncol), args...); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}

// dropBenchSQLTables drops the hand-written side's plain tables, leaving
// the database as icomp left it.
func dropBenchSQLTables(ctx context.Context, st storage.Store) error {
	for _, table := range []string{benchSQLTxnTable, benchSQLPersonTable} {
		q := "DROP TABLE " + table
		var err error
		switch s := st.(type) {
		case *pgstore.Store:
			_, err = s.Pool.Exec(ctx, q)
		case *sqlitestore.Store:
			_, err = s.DB.ExecContext(ctx, q)
		default:
			err = fmt.Errorf("hand-written SQL: unsupported backend %s", st.Backend())
		}
		if err != nil {
			return err
		}
	}
	return nil
}
