package storagetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// ExerciseChanges checks the change sequence an incremental re-run reads
// (schema v14): what each input write appends, and the reads that trace
// changes to people.
func ExerciseChanges(t *testing.T, open func(t *testing.T) storage.Store) {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	start, err := st.InputChangeSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if start == 0 {
		t.Fatal("a fresh store's change sequence is empty: runs before schema v14 would be bases")
	}
	since := func(after int64) []string {
		t.Helper()
		cs, more, err := st.InputChangesSince(ctx, after, 100)
		if err != nil || more {
			t.Fatalf("InputChangesSince(%d): %v (more %v)", after, err, more)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Kind+":"+c.Ref)
		}
		return out
	}
	mgr := person("m1", "Mia", "2027-01-01")
	rep := person("p1", "Pat", "2027-01-01")
	rep.Manager, rep.Territory = "m1", "west"
	upsertPeople(t, ctx, st, mgr, rep)
	importTxns(t, ctx, st, txn("T1", "2027-01-05", "p1", "west", "10"), txn("T2", "2027-01-06", "p1", "west", "20"))
	afterFirst, err := st.InputChangeSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := since(start), []string{"person:m1", "person:p1", "txn:T1", "txn:T2"}; !slices.Equal(got, want) {
		t.Fatalf("changes of a first import: %v, want %v", got, want)
	}
	// Unchanged rows append nothing; a changed one appends itself.
	rep2 := rep
	rep2.Manager = "m2"
	upsertPeople(t, ctx, st, mgr, rep2)
	cancel := txn("C1", "2027-02-01", "p2", "east", "-10")
	cancel.Attrs = map[string]string{"cancels": "T1"}
	importTxns(t, ctx, st, txn("T1", "2027-01-05", "p1", "west", "10"), txn("T2", "2027-01-06", "p1", "east", "20"), cancel)
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.AdjustmentInsert(ctx, storage.Adjustment{Person: "p1", Period: "2027-Q1", Amount: dec("5"), Currency: "USD", EarningCode: "ADJ",
			Reason: "r", CreatedBy: "t", CreatedAt: "2027-04-01T00:00:00Z", Source: "test"})
		if err != nil {
			return err
		}
		_, err = tx.FXRateUpsert(ctx, []facts.FXRate{{From: "EUR", To: "USD", Month: "2027-01", Rate: dec("1.1")}})
		if err != nil {
			return err
		}
		_, err = tx.PlanVersionInsert(ctx, storage.PlanVersion{Hash: "h1", Kind: "comp_plan", Name: "ae", Version: "1", File: "plan.yaml", Source: "x"})
		return err
	})
	if got, want := since(afterFirst), []string{"person:p1", "txn:C1", "txn:T2", "adjustment:p1", "fx:", "plan:ae"}; !slices.Equal(got, want) {
		t.Fatalf("changes of a re-import, an adjustment, rates and a publication: %v, want %v", got, want)
	}
	if cs, more, err := st.InputChangesSince(ctx, start, 2); err != nil || !more || len(cs) != 2 {
		t.Fatalf("InputChangesSince with limit 2: %d changes, more %v, %v; want 2 and more", len(cs), more, err)
	}

	// Every version of a changed transaction, and what cancels it.
	vs, err := st.TransactionVersions(ctx, []string{"T2", "T9"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.ID+"/"+v.Territory)
	}
	slices.Sort(got)
	if want := []string{"T2/east", "T2/west"}; !slices.Equal(got, want) {
		t.Fatalf("TransactionVersions(T2, T9) = %v, want %v", got, want)
	}
	cs, err := st.TransactionsCancelling(ctx, []string{"T1", "T2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != "C1" {
		t.Fatalf("TransactionsCancelling(T1, T2) = %+v, want C1", cs)
	}
	links, err := st.PersonLinks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, l := range links {
		got = append(got, fmt.Sprintf("%s<%s@%s", l.ID, l.Manager, l.Territory))
	}
	if want := []string{"m1<@", "p1<m1@west", "p1<m2@west"}; !slices.Equal(got, want) {
		t.Fatalf("PersonLinks = %v, want every revision's %v", got, want)
	}
	// The people a run posted for.
	var posted []ledger.Line
	for _, p := range []string{"p1", "m1", "p1"} {
		posted = append(posted, ledger.Line{Ledger: ledger.PayoutLedger, Plan: "ae", PlanHash: "h", Period: "2027-Q1", Person: p,
			Subject: "c" + strconv.Itoa(len(posted)), Amount: dec("1")})
	}
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, ledger.Diff(nil, posted, ledger.Posting{RunID: 7}))
		return err
	})
	if people, err := st.RunPeople(ctx, 7); err != nil || !slices.Equal(people, []string{"m1", "p1"}) {
		t.Fatalf("RunPeople(7) = %v, %v; want [m1 p1]", people, err)
	}
	if people, err := st.RunPeople(ctx, 8); err != nil || len(people) != 0 {
		t.Fatalf("RunPeople(8) = %v, %v; want none", people, err)
	}
	// The ledgers a run posted into.
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, ledger.Diff(nil, []ledger.Line{{Ledger: ledger.CreditLedger, Plan: "ae", PlanHash: "h", Period: "2027-Q1", Person: "p1",
			Subject: ledger.CreditsSubject, Amount: dec("5")}}, ledger.Posting{RunID: 7}))
		return err
	})
	if ledgers, err := st.RunLedgers(ctx, 7); err != nil || !slices.Equal(ledgers, []string{ledger.CreditLedger, ledger.PayoutLedger}) {
		t.Fatalf("RunLedgers(7) = %v, %v; want [%s %s]", ledgers, err, ledger.CreditLedger, ledger.PayoutLedger)
	}
	if ledgers, err := st.RunLedgers(ctx, 8); err != nil || len(ledgers) != 0 {
		t.Fatalf("RunLedgers(8) = %v, %v; want none", ledgers, err)
	}
}
