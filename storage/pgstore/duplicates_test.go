package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/pgtest"
)

// dupReader is a transactions file of n rows that all have id T1, made as
// it is read: a million rows need not be held in memory.
type dupReader struct {
	n, i int
	buf  strings.Builder
	rest string
}

func newDupReader(n int) *dupReader {
	return &dupReader{n: n, rest: "id,date,type,owner,territory,product,amount,currency,splits\n"}
}

func (d *dupReader) Read(p []byte) (int, error) {
	for len(d.rest) < len(p) && d.i < d.n {
		d.buf.Reset()
		d.buf.WriteString(d.rest)
		for k := 0; k < 1000 && d.i < d.n; k++ {
			fmt.Fprintf(&d.buf, "T1,2027-01-%02d,new,ae-1,west,core,%d.00,USD,\n", 1+d.i%28, 1+d.i%1000)
			d.i++
		}
		d.rest = d.buf.String()
	}
	if d.rest == "" {
		return 0, io.EOF
	}
	n := copy(p, d.rest)
	d.rest = d.rest[n:]
	return n, nil
}

// openTB is open for tests and benchmarks alike.
func openTB(tb testing.TB) storage.Store {
	tb.Helper()
	url := pgtest.NewDatabase(tb, pgtest.Shared(tb))
	pool, err := pgstore.Connect(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pgstore.Migrate(tb.Context(), pool); err != nil {
		tb.Fatal(err)
	}
	pool.Close()
	st, err := pgstore.Open(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := imports.People(tb.Context(), st, strings.NewReader(peopleCSV), imports.Options{File: "people.csv", Format: imports.CSV}); err != nil {
		tb.Fatal(err)
	}
	return st
}

// importDuplicates imports n copies of one id and checks the refusal:
// the second line repeats the first, and nothing is stored.
func importDuplicates(ctx context.Context, tb testing.TB, st storage.Store, n int) {
	tb.Helper()
	_, err := imports.Transactions(ctx, st, newDupReader(n), imports.Options{File: "dups.csv", Format: imports.CSV})
	var ie *imports.Error
	if !errors.As(err, &ie) {
		tb.Fatalf("import of %d copies of one id: %v, want an *imports.Error", n, err)
	}
	if want := "dups.csv:3: id: transaction T1 already appears on line 2"; len(ie.Problems) != 1 || ie.Problems[0].String() != want {
		tb.Fatalf("problems %q, want [%s]", ie.Error(), want)
	}
}

// TestImportManyDuplicatesIsLinear: 30,000 copies of one id took 103 s
// when duplicates were found by a self-join of the staging table; found
// in linear time, the refusal takes well under a second, so a deadline
// twenty times that is no race. The deadline also proves the import's
// context reaches the server's query.
func TestImportManyDuplicatesIsLinear(t *testing.T) {
	t.Parallel()
	st := openTB(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	importDuplicates(ctx, t, st, 30_000)
	if n, err := st.TransactionCount(t.Context()); err != nil || n != 0 {
		t.Fatalf("%d transactions stored, %v; want none", n, err)
	}
}

// TestImportCancelled: an import whose context is cancelled, while the
// file is read or once it has been staged, returns the context's error,
// stores nothing, and leaves no query running on the server.
func TestImportCancelled(t *testing.T) {
	t.Parallel()
	for _, at := range []struct {
		name string
		rows int // cancel when Progress reports this many rows
	}{{"while reading", 5000}, {"before the merge", 12_000}} {
		t.Run(at.name, func(t *testing.T) {
			t.Parallel()
			st := openTB(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			o := imports.Options{File: "txns.csv", Format: imports.CSV, Progress: func(rows int) {
				if rows == at.rows {
					cancel()
				}
			}}
			_, err := imports.Transactions(ctx, st, strings.NewReader(txnCSV(12_000, plainAmount)), o)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled import: %v, want context.Canceled", err)
			}
			if n, err := st.TransactionCount(t.Context()); err != nil || n != 0 {
				t.Fatalf("%d transactions stored, %v; want none", n, err)
			}
			p := pool(st)
			deadline := time.Now().Add(10 * time.Second)
			for {
				var active int64
				err := p.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity
					WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`).Scan(&active)
				if err != nil {
					t.Fatal(err)
				}
				if active == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d queries still running on the server after the import was cancelled", active)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// BenchmarkImportDuplicateIDs imports files of n copies of one id into
// Postgres, each refused at its second line. The time per import should
// grow linearly with n.
//
//	go test ./storage/pgstore -run '^$' -bench ImportDuplicateIDs -benchtime 1x
func BenchmarkImportDuplicateIDs(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			st := openTB(b)
			b.ResetTimer()
			for b.Loop() {
				importDuplicates(b.Context(), b, st, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}
