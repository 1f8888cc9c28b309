package storagetest

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// ExerciseLedgerDigest checks that a backend's streamed LedgerDigest equals
// storage.Digest over its LedgerLineList, with subjects whose byte order
// differs from a locale's order (upper before lower case, accents last),
// so a backend that sorts by locale fails.
func ExerciseLedgerDigest(t *testing.T, open func(t *testing.T) storage.Store) {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	subjects := []string{"alpha", "Zeta", "beta", "Ärger", "_under", "10", "9", "a b", "a-b"}
	var lines []ledger.Line
	for i, subj := range subjects {
		for _, period := range []string{"2027-Q1", "2027-Q2"} {
			l := ledger.Line{Ledger: ledger.PayoutLedger, Plan: "p", PlanHash: "h", Period: period, Person: "ae-1",
				Subject: subj, Amount: decimal.New(int64(1000+i*37), -2), Detail: `{"n":` + string(rune('0'+i)) + `}`}
			lines = append(lines, l)
		}
	}
	posted := ledger.Diff(nil, lines, ledger.Posting{RunID: 1})
	// A second run changes one line: a reversal and a new line in its chain.
	changed := lines[3]
	changed.Amount = decimal.RequireFromString("-0.5")
	posted2 := ledger.Diff(ledger.Fold(posted), []ledger.Line{changed}, ledger.Posting{RunID: 2})
	err := st.InTx(ctx, func(tx storage.Tx) error {
		if _, err := tx.LedgerLineInsert(ctx, posted); err != nil {
			return err
		}
		_, err := tx.LedgerLineInsert(ctx, posted2)
		return err
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	for _, period := range []string{"", "2027-Q1", "2027-Q2"} {
		all, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Period: period})
		if err != nil {
			t.Fatal(err)
		}
		want := ledger.Digest(all)
		got, n, err := st.LedgerDigest(ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || n != len(all) {
			t.Errorf("period %q: LedgerDigest = %s over %d lines, want %s over %d", period, got, n, want, len(all))
		}
	}
}
