package storagetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// ExerciseGuards checks the database-side guards of a run's batches: a
// batch is claimed once, and a ledger chain cannot fork (two lines
// superseding the same line), which would pay a difference twice.
func ExerciseGuards(t *testing.T, open func(t *testing.T) storage.Store) {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	var id int64
	err := st.InTx(ctx, func(tx storage.Tx) error {
		var err error
		id, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", Plans: []string{"h"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		err := st.InTx(ctx, func(tx storage.Tx) error {
			got, err := tx.RunBatchClaim(ctx, id, 3)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("claim %d of batch 3 = %v, want %v", i+1, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// A run that is no longer running counts no batch.
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunFailed, Error: "x"})
	}); err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		_, _, err := tx.RunBatchDone(ctx, id, 1)
		return err
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RunBatchDone on a failed run: %v, want ErrNotFound", err)
	}

	line := ledger.Line{Ledger: ledger.PayoutLedger, Plan: "p", PlanHash: "h", Period: "2027-Q1", Person: "ae-1",
		Subject: "commission", Amount: decimal.RequireFromString("50"), Detail: "{}"}
	posted := ledger.Diff(nil, []ledger.Line{line}, ledger.Posting{RunID: id})
	changedA, changedB := line, line
	changedA.Amount = decimal.RequireFromString("60")
	changedB.Amount = decimal.RequireFromString("70")
	// Two diffs against the same posted state: each reverses the 50 and
	// posts its own amount.
	forkA := ledger.Diff(ledger.Fold(posted), []ledger.Line{changedA}, ledger.Posting{RunID: id})
	forkB := ledger.Diff(ledger.Fold(posted), []ledger.Line{changedB}, ledger.Posting{RunID: id})
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		if _, err := tx.LedgerLineInsert(ctx, posted); err != nil {
			return err
		}
		_, err := tx.LedgerLineInsert(ctx, forkA)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, forkB)
		return err
	})
	if err == nil {
		t.Fatal("a second line superseding the same reversal was appended; want an error")
	}
	all, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("ledger has %d lines, want 3 (post, reversal, new post)", len(all))
	}

	// LedgerScope lists who has lines, per plan, in byte order; the
	// payable and balance ledgers are settlement's and not in it.
	other := line
	other.Person, other.Plan = "AE-0", "q"
	settled := []ledger.Line{
		{Ledger: ledger.PayableLedger, Period: "2027-Q1", Person: "se-1", Subject: "draw/company/d", Currency: "USD", EarningCode: "DRAW", Amount: decimal.RequireFromString("10")},
		{Ledger: ledger.BalanceLedger, Period: "2027-Q1", Person: "se-1", Subject: "draw/company/d", Currency: "USD", Amount: decimal.RequireFromString("10"), Basis: "opening 0; drawn 10; recovered 0; written off 0"},
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, ledger.Diff(nil, append([]ledger.Line{other}, settled...), ledger.Posting{RunID: id}))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	scope, err := st.LedgerScope(ctx, "2027-Q1")
	if err != nil {
		t.Fatalf("LedgerScope: %v", err)
	}
	if len(scope) != 2 || strings.Join(scope["p"], ",") != "ae-1" || strings.Join(scope["q"], ",") != "AE-0" {
		t.Fatalf("LedgerScope = %v, want p: [ae-1], q: [AE-0]", scope)
	}
	balances, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.BalanceLedger, People: []string{"se-1"}})
	if err != nil || len(balances) != 1 || balances[0].Basis != settled[1].Basis || !balances[0].Amount.Equal(settled[1].Amount) {
		t.Fatalf("balance lines read back as %+v, %v; want the one written", balances, err)
	}
	if scope, err := st.LedgerScope(ctx, "2027-Q2"); err != nil || len(scope) != 0 {
		t.Fatalf("LedgerScope of an empty period = %v, %v", scope, err)
	}
}
