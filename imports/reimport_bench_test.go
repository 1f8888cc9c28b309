package imports_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/pgtest"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestReimportTiming times a first import of a generated transactions file
// and a re-import of it with one row changed, on both backends. It runs
// only with ICOMP_REIMPORT_ROWS set:
//
//	ICOMP_REIMPORT_ROWS=1000000 go test ./imports -run ReimportTiming -v -timeout 30m
func TestReimportTiming(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ICOMP_REIMPORT_ROWS"))
	if n == 0 {
		t.Skip("set ICOMP_REIMPORT_ROWS to run")
	}
	cfg := datagen.Config{Transactions: n}
	var people, txns bytes.Buffer
	if err := datagen.WritePeople(&people, cfg); err != nil {
		t.Fatal(err)
	}
	if err := datagen.WriteTransactions(&txns, cfg); err != nil {
		t.Fatal(err)
	}
	// One changed row: the amount of the last line becomes 7.00.
	file := txns.Bytes()
	last := bytes.LastIndexByte(file[:len(file)-1], '\n')
	fields := bytes.SplitN(file[last+1:], []byte(","), 8)
	fields[6] = []byte("7.00")
	changed := append(append([]byte(nil), file[:last+1]...), bytes.Join(fields, []byte(","))...)
	if bytes.Equal(changed, file) {
		t.Fatal("no row changed")
	}
	opens := map[string]func(t *testing.T) storage.Store{
		"sqlite": func(t *testing.T) storage.Store {
			st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) storage.Store {
			url := pgtest.Start(t)
			pool, err := pgstore.Connect(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pgstore.Migrate(t.Context(), pool); err != nil {
				t.Fatal(err)
			}
			pool.Close()
			st, err := pgstore.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st := opens[name](t)
			o := imports.Options{File: "t.csv", Format: imports.CSV}
			if _, err := imports.People(t.Context(), st, bytes.NewReader(people.Bytes()), o); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				name string
				data []byte
			}{{"first", file}, {"same", file}, {"one-changed", changed}} {
				start := time.Now()
				c, err := imports.Transactions(t.Context(), st, bytes.NewReader(step.data), o)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Printf("%s %s rows=%d: %.2fs %+v\n", name, step.name, n, time.Since(start).Seconds(), c)
			}
		})
	}
}
