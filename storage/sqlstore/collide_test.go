package sqlstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/pgtest"
	"github.com/icomp/icomp/storage/sqlitestore"
	"github.com/icomp/icomp/storage/sqlstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Distinct ids whose fingerprints collide are neither duplicates nor each
// other's stored rows: an import confirms a repeated fingerprint against
// the database before it calls a row unchanged or a duplicate. The ids
// C1…C4 share one fingerprint in this test (not run in parallel: the
// fingerprint is package state).
func TestFingerprintCollisions(t *testing.T) {
	sqlstore.CollideForTest(t.Cleanup, "C1", "C2", "C3", "C4")
	for _, backend := range []struct {
		name string
		open func(t *testing.T) storage.Store
	}{
		{"sqlite", func(t *testing.T) storage.Store {
			st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
		{"postgres", func(t *testing.T) storage.Store {
			url := pgtest.NewDatabase(t, pgtest.Shared(t))
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
		}},
	} {
		t.Run(backend.name, func(t *testing.T) {
			st := backend.open(t)
			ctx := t.Context()
			if err := st.InTx(ctx, func(tx storage.Tx) error {
				_, err := tx.PersonUpsertBatch(ctx, []storage.PersonRecord{{Person: facts.Person{ID: "a", Name: "A"}, EffectiveFrom: period.MustDate("1900-01-01")}})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			row := func(id, amount string, line int) storage.StagedTransaction {
				return storage.StagedTransaction{Line: line, Transaction: facts.Transaction{
					ID: id, Date: period.MustDate("2027-01-10"), Owner: "a", Amount: decimal.RequireFromString(amount), Currency: "USD"}}
			}
			stage := func(batches ...[]storage.StagedTransaction) (storage.ImportCounts, error) {
				var c storage.ImportCounts
				err := st.InTx(ctx, func(tx storage.Tx) error {
					for _, b := range batches {
						if err := tx.TransactionStage(ctx, b); err != nil {
							return err
						}
					}
					var err error
					c, err = tx.TransactionMergeStaged(ctx)
					return err
				})
				return c, err
			}
			if c, err := stage([]storage.StagedTransaction{row("C1", "1", 2), row("C2", "2", 3)}, []storage.StagedTransaction{row("C3", "3", 4)}); err != nil || c != (storage.ImportCounts{Inserted: 3}) {
				t.Fatalf("first import: %+v, %v; want 3 inserted", c, err)
			}
			// Unchanged, changed and new rows whose ids collide with each
			// other and with the stored ones, in one chunk and across.
			c, err := stage([]storage.StagedTransaction{row("C2", "2", 2), row("C1", "10", 3)}, []storage.StagedTransaction{row("C3", "3", 4), row("C4", "4", 5)})
			if err != nil || c != (storage.ImportCounts{Inserted: 1, Changed: 1, Unchanged: 2}) {
				t.Fatalf("re-import: %+v, %v; want 1 inserted, 1 changed, 2 unchanged", c, err)
			}
			if got, err := st.TransactionGet(ctx, "C1"); err != nil || got.Amount.String() != "10" {
				t.Fatalf("C1 = %+v, %v; want amount 10", got, err)
			}
			for _, tt := range []struct {
				name    string
				batches [][]storage.StagedTransaction
				want    storage.DuplicateError
			}{
				{"unchanged twice", [][]storage.StagedTransaction{{row("C1", "10", 2), row("C2", "2", 3)}, {row("C2", "2", 4)}}, storage.DuplicateError{ID: "C2", Line: 4, FirstLine: 3}},
				{"unchanged then changed", [][]storage.StagedTransaction{{row("C1", "10", 2), row("C2", "2", 3), row("C2", "5", 4)}}, storage.DuplicateError{ID: "C2", Line: 4, FirstLine: 3}},
				{"changed then unchanged", [][]storage.StagedTransaction{{row("C1", "10", 2), row("C2", "5", 3)}, {row("C3", "3", 4), row("C2", "2", 5)}}, storage.DuplicateError{ID: "C2", Line: 5, FirstLine: 3}},
				{"new twice", [][]storage.StagedTransaction{{row("C3", "3", 2), row("C4", "4", 3)}, {row("C1", "10", 4), row("C4", "4", 5)}}, storage.DuplicateError{ID: "C4", Line: 5, FirstLine: 3}},
			} {
				_, err := stage(tt.batches...)
				var dup *storage.DuplicateError
				if !errors.As(err, &dup) || *dup != tt.want {
					t.Fatalf("%s: %v, want %+v", tt.name, err, tt.want)
				}
			}
		})
	}
}
