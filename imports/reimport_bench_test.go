package imports_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/pgtest"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// BenchmarkReimportOneChanged re-imports a generated transactions file
// (ICOMP_REIMPORT_ROWS rows, default 200,000) in which one row differs
// from what is stored, on each backend: each iteration imports the other
// of two files that differ in one row's amount.
//
//	ICOMP_REIMPORT_ROWS=1000000 go test ./imports -run XXX -bench ReimportOneChanged -benchtime 3x
func BenchmarkReimportOneChanged(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("ICOMP_REIMPORT_ROWS"))
	if n <= 0 {
		n = 200_000
	}
	cfg := datagen.Config{Transactions: n}
	var people, txns bytes.Buffer
	if err := datagen.WritePeople(&people, cfg); err != nil {
		b.Fatal(err)
	}
	if err := datagen.WriteTransactions(&txns, cfg); err != nil {
		b.Fatal(err)
	}
	// The other file: the last line's amount becomes 7.00.
	file := txns.Bytes()
	last := bytes.LastIndexByte(file[:len(file)-1], '\n')
	fields := bytes.SplitN(file[last+1:], []byte(","), 8)
	fields[6] = []byte("7.00")
	changed := append(append([]byte(nil), file[:last+1]...), bytes.Join(fields, []byte(","))...)
	if bytes.Equal(changed, file) {
		b.Fatal("no row changed")
	}
	opens := map[string]func(b *testing.B) storage.Store{
		"sqlite": func(b *testing.B) storage.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "icomp.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(b *testing.B) storage.Store {
			ctx := context.Background()
			url := pgtest.Start(b)
			pool, err := pgstore.Connect(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pgstore.Migrate(ctx, pool); err != nil {
				b.Fatal(err)
			}
			pool.Close()
			st, err := pgstore.Open(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st := opens[name](b)
			o := imports.Options{File: "t.csv", Format: imports.CSV}
			if _, err := imports.People(ctx, st, bytes.NewReader(people.Bytes()), o); err != nil {
				b.Fatal(err)
			}
			if _, err := imports.Transactions(ctx, st, bytes.NewReader(file), o); err != nil {
				b.Fatal(err)
			}
			files := [2][]byte{changed, file}
			b.ResetTimer()
			for i := range b.N {
				c, err := imports.Transactions(ctx, st, bytes.NewReader(files[i%2]), o)
				if err != nil {
					b.Fatal(err)
				}
				if c.Changed != 1 || c.Inserted != 0 {
					b.Fatalf("re-import %d: %+v, want one changed row", i, c)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/reimport")
		})
	}
}
