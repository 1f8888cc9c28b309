package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"strings"
	"sync"
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

// TestDeadClientQueryStops: when the client of a running query dies
// without a word (its socket closes and nothing more comes, as when the
// process is killed), the server stops the query within
// ClientCheckInterval instead of running it to its end. The client talks
// to the server through a proxy, which is killed: pgx sees its connection
// drop and tries to send a cancel request, but to the proxy, which is gone.
func TestDeadClientQueryStops(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", u.Host)
			if err != nil {
				client.Close()
				return
			}
			mu.Lock()
			conns = append(conns, client, server)
			mu.Unlock()
			go func() { _, _ = io.Copy(server, client) }()
			go func() { _, _ = io.Copy(client, server) }()
		}
	}()
	kill := func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(kill)
	viaProxy := *u
	viaProxy.Host = ln.Addr().String()
	client, err := pgstore.Connect(t.Context(), viaProxy.String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	watch, err := pgstore.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()

	c, err := client.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	var pid int64
	if err := c.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(context.Background(), `SELECT pg_sleep(120)`)
		done <- err
	}()
	running := func() bool {
		t.Helper()
		var n int64
		if err := watch.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	for deadline := time.Now().Add(10 * time.Second); !running(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the query never started")
		}
	}
	kill()
	<-done
	for deadline := time.Now().Add(30 * time.Second); running(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server still runs the query of a client that died 30 s ago")
		}
	}
}
