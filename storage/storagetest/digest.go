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
		for name, digest := range map[string]func(context.Context, string) (string, int, error){"LedgerDigest": st.LedgerDigest, "LedgerDigestFromLines": st.LedgerDigestFromLines} {
			got, n, err := digest(ctx, period)
			if err != nil {
				t.Fatal(err)
			}
			if got != want || n != len(all) {
				t.Errorf("period %q: %s = %s over %d lines, want %s over %d", period, name, got, n, want, len(all))
			}
		}
	}
	// An insert that skips a line whose key exists adds no digest part:
	// the digest, from the lines then, is still right.
	extra := lines[0]
	extra.Subject = "extra"
	posted3 := ledger.Diff(nil, []ledger.Line{extra}, ledger.Posting{RunID: 3})
	err = st.InTx(ctx, func(tx storage.Tx) error {
		n, err := tx.LedgerLineInsert(ctx, append(posted3, posted[0]))
		if err == nil && n != 1 {
			t.Errorf("insert of one new line and one posted: %d inserted, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	all, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Period: "2027-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, n, err := st.LedgerDigest(ctx, "2027-Q1"); err != nil || got != ledger.Digest(all) || n != len(all) {
		t.Errorf("after a skipped line: LedgerDigest = %s over %d lines (%v), want %s over %d", got, n, err, ledger.Digest(all), len(all))
	}
}
