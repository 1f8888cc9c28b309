// Package storagetest is the conformance suite every storage backend runs:
// one set of tests, written against storage.Store only, so the SQLite and
// Postgres backends are held to the same behaviour.
//
//	func TestConformance(t *testing.T) {
//		storagetest.Exercise(t, func(t *testing.T) storage.Store {
//			return openFreshStore(t)
//		}, storagetest.Options{RawExec: rawExec})
//	}
//
// open must return a fresh, empty, migrated store for each call (the
// suite's subtests run in parallel, each on its own store) and arrange for
// it to be closed when t ends.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// Options are the backend-specific hooks of the suite. The zero value
// runs everything that needs no raw SQL.
type Options struct {
	// RawExec runs one SQL statement on st's database outside the storage
	// interface, as an operator with a SQL shell could. The suite uses it
	// to prove that the database itself refuses to update or delete a
	// posted ledger line. Nil skips those checks.
	RawExec func(ctx context.Context, st storage.Store, sql string) error
	// RawQueryInt runs a query returning one integer (a COUNT) on st's
	// database, for state the interface has no read for, such as the
	// version history of transactions. Nil skips those checks.
	RawQueryInt func(ctx context.Context, st storage.Store, sql string) (int64, error)
}

// Exercise runs the conformance suite against the stores open makes. An
// optional Options supplies the backend's raw SQL hooks.
func Exercise(t *testing.T, open func(t *testing.T) storage.Store, opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	b := &bundle{open: open, opts: o}
	tests := []struct {
		name string
		fn   func(t *testing.T, b *bundle)
	}{
		{"Backend", testBackend},
		{"InTxRollsBack", testInTxRollsBack},
		{"PersonVersions", testPersonVersions},
		{"PersonAsOf", testPersonAsOf},
		{"TransactionMerge", testTransactionMerge},
		{"TransactionVersionHistory", testTransactionVersionHistory},
		{"TransactionStagedDates", testTransactionStagedDates},
		{"TransactionStageDuplicate", testTransactionStageDuplicate},
		{"TransactionStageChunks", testTransactionStageChunks},
		{"TransactionFirstLoad", testTransactionFirstLoad},
		{"TransactionStagedClears", testTransactionStagedClears},
		{"TransactionChangeLog", testTransactionChangeLog},
		{"TransactionReimport", testTransactionReimport},
		{"TransactionReimportOneChanged", testTransactionReimportOneChanged},
		{"TransactionListForPeople", testTransactionListForPeople},
		{"TransactionCountByOwner", testTransactionCountByOwner},
		{"PlanVersions", testPlanVersions},
		{"Runs", testRuns},
		{"RunInProgress", testRunInProgress},
		{"LedgerInsertIdempotent", testLedgerInsertIdempotent},
		{"LedgerList", testLedgerList},
		{"LedgerAppendOnly", testLedgerAppendOnly},
		{"Exports", testExports},
		{"ClosedPeriodRefusesLines", testClosedPeriodRefusesLines},
		{"TamperEvident", testTamperEvident},
		{"TransactionUncredited", testTransactionUncredited},
		{"MBOScores", testMBOScores},
		{"PersonVersionList", testPersonVersionList},
		{"FXRates", testFXRates},
		{"Disputes", testDisputes},
		{"Users", testUsers},
		{"UserDisable", testUserDisable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, b)
		})
	}
}

type bundle struct {
	open func(t *testing.T) storage.Store
	opts Options
}

func (b *bundle) setup(t *testing.T) (context.Context, storage.Store) {
	t.Helper()
	return t.Context(), b.open(t)
}

// ---- helpers ----

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func inTx(t *testing.T, ctx context.Context, st storage.Store, fn func(tx storage.Tx) error) {
	t.Helper()
	must(t, st.InTx(ctx, fn))
}

// stageMerge is one import: batches staged in turn, then merged, in one
// transaction.
func stageMerge(ctx context.Context, st storage.Store, batches ...[]storage.StagedTransaction) (storage.ImportCounts, error) {
	var c storage.ImportCounts
	err := st.InTx(ctx, func(tx storage.Tx) error {
		for _, batch := range batches {
			if err := tx.TransactionStage(ctx, batch); err != nil {
				return err
			}
		}
		var err error
		c, err = tx.TransactionMergeStaged(ctx)
		return err
	})
	return c, err
}

// wantDuplicate fails unless err is the repeated id want.
func wantDuplicate(t *testing.T, what string, err error, want storage.DuplicateError) {
	t.Helper()
	var dup *storage.DuplicateError
	if !errors.As(err, &dup) {
		t.Fatalf("%s: error %v, want a *storage.DuplicateError", what, err)
	}
	if *dup != want {
		t.Fatalf("%s: %+v, want %+v", what, *dup, want)
	}
}

func wantCounts(t *testing.T, what string, got, want storage.ImportCounts) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: counts %+v, want %+v", what, got, want)
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) period.Date { return period.MustDate(s) }

func person(id, name string, eff string) storage.PersonRecord {
	return storage.PersonRecord{Person: facts.Person{ID: id, Name: name, Role: "AE", Currency: "USD"}, EffectiveFrom: day(eff)}
}

func txn(id, date, owner, territory, amount string, splits ...facts.Split) facts.Transaction {
	return facts.Transaction{ID: id, Date: day(date), Type: "new", Owner: owner, Territory: territory, Product: "core",
		Amount: dec(amount), Currency: "USD", Splits: splits}
}

func split(p, share string) facts.Split { return facts.Split{Person: p, Share: dec(share)} }

// importTxns stages rows (line numbers from 2, as under a CSV header) and
// merges them in one transaction.
func importTxns(t *testing.T, ctx context.Context, st storage.Store, rows ...facts.Transaction) storage.ImportCounts {
	t.Helper()
	var c storage.ImportCounts
	inTx(t, ctx, st, func(tx storage.Tx) error {
		staged := make([]storage.StagedTransaction, len(rows))
		for i, r := range rows {
			staged[i] = storage.StagedTransaction{Transaction: r, Line: i + 2}
		}
		if err := tx.TransactionStage(ctx, staged); err != nil {
			return err
		}
		var err error
		c, err = tx.TransactionMergeStaged(ctx)
		return err
	})
	return c
}

func upsertPeople(t *testing.T, ctx context.Context, st storage.Store, rows ...storage.PersonRecord) storage.ImportCounts {
	t.Helper()
	var c storage.ImportCounts
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		c, err = tx.PersonUpsertBatch(ctx, rows)
		return err
	})
	return c
}

func txnIDs(ts []facts.Transaction) string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return strings.Join(ids, ",")
}

// sameTxn compares transactions field by field, decimals by value.
func sameTxn(a, b facts.Transaction) bool {
	if a.ID != b.ID || a.Date != b.Date || a.Type != b.Type || a.Owner != b.Owner || a.Territory != b.Territory ||
		a.Product != b.Product || !a.Amount.Equal(b.Amount) || a.Currency != b.Currency || len(a.Splits) != len(b.Splits) ||
		fmt.Sprint(a.Attrs) != fmt.Sprint(b.Attrs) {
		return false
	}
	for i := range a.Splits {
		if a.Splits[i].Person != b.Splits[i].Person || !a.Splits[i].Share.Equal(b.Splits[i].Share) {
			return false
		}
	}
	return true
}

// ---- tests ----

func testBackend(t *testing.T, b *bundle) {
	_, st := b.setup(t)
	if got := st.Backend(); got != "sqlite" && got != "postgres" {
		t.Fatalf("Backend() = %q, want sqlite or postgres", got)
	}
}

func testInTxRollsBack(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	boom := errors.New("boom")
	err := st.InTx(ctx, func(tx storage.Tx) error {
		if _, err := tx.PersonUpsertBatch(ctx, []storage.PersonRecord{person("p1", "Ana", "1900-01-01")}); err != nil {
			return err
		}
		// A transaction reads its own writes.
		n, err := tx.PersonCount(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("PersonCount inside the transaction = %d, want 1", n)
		}
		if err := tx.TransactionStage(ctx, []storage.StagedTransaction{{Transaction: txn("T1", "2027-01-05", "p1", "west", "10"), Line: 2}}); err != nil {
			return err
		}
		if _, err := tx.TransactionMergeStaged(ctx); err != nil {
			return err
		}
		if _, err := tx.LedgerLineInsert(ctx, []ledger.Line{ledgerLine("k1", "p1", "c1", "1")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	if n, err := st.PersonCount(ctx); err != nil || n != 0 {
		t.Fatalf("PersonCount after rollback = %d, %v; want 0", n, err)
	}
	if n, err := st.TransactionCount(ctx); err != nil || n != 0 {
		t.Fatalf("TransactionCount after rollback = %d, %v; want 0", n, err)
	}
	if ls, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{}); err != nil || len(ls) != 0 {
		t.Fatalf("ledger after rollback: %d lines, %v; want none", len(ls), err)
	}
}

func testPersonVersions(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	ana := person("p1", "Ana", "1900-01-01")
	ana.Territory, ana.Manager = "west", "m1"
	ana.HireDate = day("2024-03-01")
	ana.Plans = []string{"ae-quarterly", "spiff"}
	ana.Attrs = map[string]string{"level": "senior", "badge": "7"}
	bo := person("p2", "Bo", "1900-01-01")
	mgr := person("m1", "Mia", "1900-01-01")
	mgr.Role = "Manager"

	wantCounts(t, "first upsert", upsertPeople(t, ctx, st, ana, bo, mgr), storage.ImportCounts{Inserted: 3})
	wantCounts(t, "same rows again", upsertPeople(t, ctx, st, ana, bo, mgr), storage.ImportCounts{Unchanged: 3})

	renamed := ana
	renamed.Name = "Ana Lopez"
	renamed.TerminationDate = day("2027-06-30")
	wantCounts(t, "one changed row", upsertPeople(t, ctx, st, renamed, bo), storage.ImportCounts{Changed: 1, Unchanged: 1})
	// Going back to the first content is a change too: a third version.
	wantCounts(t, "changed back", upsertPeople(t, ctx, st, ana), storage.ImportCounts{Changed: 1})
	wantCounts(t, "changed again", upsertPeople(t, ctx, st, renamed), storage.ImportCounts{Changed: 1})

	n, err := st.PersonCount(ctx)
	must(t, err)
	if n != 3 {
		t.Fatalf("PersonCount = %d, want 3 (versions are not people)", n)
	}
	ids, err := st.PersonIDs(ctx)
	must(t, err)
	if len(ids) != 3 || !ids["p1"] || !ids["p2"] || !ids["m1"] {
		t.Fatalf("PersonIDs = %v, want p1, p2, m1", ids)
	}

	got, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day("2027-03-31")})
	must(t, err)
	if len(got) != 3 || got[0].ID != "m1" || got[1].ID != "p1" || got[2].ID != "p2" {
		t.Fatalf("PersonListAsOf ids = %v, want m1, p1, p2 in id order", got)
	}
	p1 := got[1]
	if p1.Name != "Ana Lopez" || p1.Territory != "west" || p1.Manager != "m1" || p1.Role != "AE" || p1.Currency != "USD" {
		t.Fatalf("p1 = %+v, want the newest version (Ana Lopez, west, m1)", p1)
	}
	if p1.HireDate != day("2024-03-01") || p1.TerminationDate != day("2027-06-30") || p1.EffectiveFrom != day("1900-01-01") {
		t.Fatalf("p1 dates = hire %s, term %s, eff %s", p1.HireDate, p1.TerminationDate, p1.EffectiveFrom)
	}
	if strings.Join(p1.Plans, ";") != "ae-quarterly;spiff" {
		t.Fatalf("p1 plans = %v, want [ae-quarterly spiff]", p1.Plans)
	}
	if len(p1.Attrs) != 2 || p1.Attrs["level"] != "senior" || p1.Attrs["badge"] != "7" {
		t.Fatalf("p1 attrs = %v", p1.Attrs)
	}
	if !got[2].TerminationDate.IsZero() || got[2].Plans != nil || len(got[2].Attrs) != 0 {
		t.Fatalf("p2 = %+v, want no termination, plans or attrs", got[2])
	}
}

func testPersonAsOf(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	v1 := person("p1", "Ana", "1900-01-01")
	v1.Territory = "west"
	v2 := person("p1", "Ana", "2027-04-01")
	v2.Territory = "east"
	late := person("p3", "Cy", "2027-07-01")
	wantCounts(t, "upsert", upsertPeople(t, ctx, st, v1, v2, person("p2", "Bo", "1900-01-01"), late), storage.ImportCounts{Inserted: 4})

	tests := []struct {
		day  string
		ids  []string
		want string // id:territory, ...
	}{
		{"2027-03-31", nil, "p1:west,p2:"},
		{"2027-04-01", nil, "p1:east,p2:"},
		{"2027-06-30", []string{"p1"}, "p1:east"},
		{"2027-07-01", nil, "p1:east,p2:,p3:"},
		{"2027-07-01", []string{"p3", "p2"}, "p2:,p3:"},
		{"2027-07-01", []string{"nobody"}, ""},
		{"2027-07-01", []string{}, ""},
		{"1899-12-31", nil, ""},
	}
	for _, tt := range tests {
		got, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day(tt.day), IDs: tt.ids})
		must(t, err)
		var parts []string
		for _, p := range got {
			parts = append(parts, p.ID+":"+p.Territory)
		}
		if s := strings.Join(parts, ","); s != tt.want {
			t.Errorf("PersonListAsOf(%s, %v) = %q, want %q", tt.day, tt.ids, s, tt.want)
		}
	}

	history := func(from, to string) string {
		got, err := st.PersonHistory(ctx, period.Range{Start: day(from), End: day(to)})
		must(t, err)
		var parts []string
		for _, p := range got {
			parts = append(parts, p.ID+"@"+p.EffectiveFrom.String()+":"+p.Territory)
		}
		return strings.Join(parts, ",")
	}
	for _, tt := range []struct{ from, to, want string }{
		{"2027-01-01", "2027-12-31", "p1@1900-01-01:west,p1@2027-04-01:east,p2@1900-01-01:,p3@2027-07-01:"},
		{"2027-04-01", "2027-06-30", "p1@2027-04-01:east,p2@1900-01-01:"},
		{"2027-01-01", "2027-03-31", "p1@1900-01-01:west,p2@1900-01-01:"},
	} {
		if got := history(tt.from, tt.to); got != tt.want {
			t.Errorf("PersonHistory(%s..%s) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}

	// A correction of the dated row changes only that row's content.
	v2b := v2
	v2b.Territory = "central"
	wantCounts(t, "correct the April row", upsertPeople(t, ctx, st, v1, v2b), storage.ImportCounts{Changed: 1, Unchanged: 1})
	got, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day("2027-05-01"), IDs: []string{"p1"}})
	must(t, err)
	if len(got) != 1 || got[0].Territory != "central" {
		t.Fatalf("after the correction p1 = %+v, want territory central", got)
	}
	got, err = st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: day("2027-01-01"), IDs: []string{"p1"}})
	must(t, err)
	if len(got) != 1 || got[0].Territory != "west" {
		t.Fatalf("before April p1 = %+v, want territory west", got)
	}
}

func testTransactionMerge(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	t1 := txn("T1", "2027-01-10", "a", "west", "1250.50")
	t1.Attrs = map[string]string{"new_logo": "true", "stage": "won"}
	t2 := txn("T2", "2027-02-01", "b", "east", "-300", split("a", "0.6"), split("b", "0.4"))
	// Money is exact: more digits than a float64 holds.
	t3 := txn("T3", "2027-03-01", "a", "west", "12345678901234567890.12")
	wantCounts(t, "first import", importTxns(t, ctx, st, t1, t2, t3), storage.ImportCounts{Inserted: 3})
	wantCounts(t, "same import", importTxns(t, ctx, st, t1, t2, t3), storage.ImportCounts{Unchanged: 3})

	n, err := st.TransactionCount(ctx)
	must(t, err)
	if n != 3 {
		t.Fatalf("TransactionCount = %d, want 3", n)
	}
	for _, want := range []facts.Transaction{t1, t2, t3} {
		got, err := st.TransactionGet(ctx, want.ID)
		must(t, err)
		if !sameTxn(got, want) {
			t.Fatalf("TransactionGet(%s) = %+v, want %+v", want.ID, got, want)
		}
	}
	if got, _ := st.TransactionGet(ctx, "T3"); got.Amount.String() != "12345678901234567890.12" {
		t.Fatalf("T3 amount = %s, want it exact", got.Amount)
	}
	if _, err := st.TransactionGet(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("TransactionGet(nope) error = %v, want ErrNotFound", err)
	}

	// One changed amount, one new row, the rest unchanged.
	t1b := t1
	t1b.Amount = dec("1300")
	t4 := txn("T4", "2027-03-02", "b", "east", "10")
	wantCounts(t, "changed import", importTxns(t, ctx, st, t1b, t2, t3, t4), storage.ImportCounts{Inserted: 1, Changed: 1, Unchanged: 2})
	got, err := st.TransactionGet(ctx, "T1")
	must(t, err)
	if !got.Amount.Equal(dec("1300")) {
		t.Fatalf("T1 amount after the change = %s, want 1300", got.Amount)
	}
	// A file without some ids leaves them as they are.
	wantCounts(t, "partial import", importTxns(t, ctx, st, t4), storage.ImportCounts{Unchanged: 1})
	if n, _ := st.TransactionCount(ctx); n != 4 {
		t.Fatalf("TransactionCount = %d, want 4", n)
	}
	// Merging with nothing staged does nothing.
	inTx(t, ctx, st, func(tx storage.Tx) error {
		c, err := tx.TransactionMergeStaged(ctx)
		if err == nil && c != (storage.ImportCounts{}) {
			err = fmt.Errorf("merge with nothing staged = %+v, want zero counts", c)
		}
		return err
	})
}

// testTransactionStagedDates: the dates an import changes are those of
// its new and changed rows, of the versions it replaces and of the named
// attributes of both; unchanged rows change none.
func testTransactionStagedDates(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"))
	t1 := txn("T1", "2027-01-10", "a", "west", "100")
	t1.Attrs = map[string]string{"paid_on": "2027-02-01", "note": "2027-12-31"}
	t2 := txn("T2", "2027-01-11", "a", "west", "100")
	importTxns(t, ctx, st, t1, t2)
	t1b := t1 // moved to March, paid in April
	t1b.Date = period.MustDate("2027-03-05")
	t1b.Attrs = map[string]string{"paid_on": "2027-04-02"}
	t3 := txn("T3", "2027-05-06", "a", "west", "100")
	t3.Attrs = map[string]string{"paid_on": "2027-07-08"}
	for _, tc := range []struct {
		attrs []string
		want  string
	}{
		{nil, "2027-01-10 2027-03-05 2027-05-06"},
		{[]string{"paid_on"}, "2027-01-10 2027-02-01 2027-03-05 2027-04-02 2027-05-06 2027-07-08"},
	} {
		errRollback := errors.New("rolled back")
		err := st.InTx(ctx, func(tx storage.Tx) error {
			staged := []storage.StagedTransaction{{Transaction: t1b, Line: 2}, {Transaction: t2, Line: 3}, {Transaction: t3, Line: 4}}
			if err := tx.TransactionStage(ctx, staged); err != nil {
				return err
			}
			got, err := tx.TransactionStagedDates(ctx, tc.attrs)
			if err != nil {
				return err
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("TransactionStagedDates(%q) = %q, want %q", tc.attrs, got, tc.want)
			}
			return errRollback // stage the same rows for the next case
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
	}
}

func testTransactionVersionHistory(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"))
	v1 := txn("T1", "2027-01-10", "a", "west", "100")
	v2 := v1
	v2.Amount = dec("150")
	wantCounts(t, "v1", importTxns(t, ctx, st, v1), storage.ImportCounts{Inserted: 1})
	wantCounts(t, "v2", importTxns(t, ctx, st, v2), storage.ImportCounts{Changed: 1})
	wantCounts(t, "v2 again", importTxns(t, ctx, st, v2), storage.ImportCounts{Unchanged: 1})
	// Back to the first content: a change, recorded as a third version.
	wantCounts(t, "v1 again", importTxns(t, ctx, st, v1), storage.ImportCounts{Changed: 1})
	got, err := st.TransactionGet(ctx, "T1")
	must(t, err)
	if !got.Amount.Equal(dec("100")) {
		t.Fatalf("current T1 amount = %s, want 100", got.Amount)
	}
	if n, _ := st.TransactionCount(ctx); n != 1 {
		t.Fatalf("TransactionCount = %d, want 1 (versions are not transactions)", n)
	}
	if b.opts.RawQueryInt == nil {
		t.Log("no RawQueryInt hook: version rows not counted")
		return
	}
	// txn holds the current version, txn_version the ones it superseded.
	n, err := b.opts.RawQueryInt(ctx, st, `SELECT COUNT(*) FROM txn_version WHERE id = 'T1'`)
	must(t, err)
	if n != 2 {
		t.Fatalf("T1 has %d superseded versions, want 2", n)
	}
	n, err = b.opts.RawQueryInt(ctx, st, `SELECT MAX(version) FROM txn_version WHERE id = 'T1'`)
	must(t, err)
	if n != 2 {
		t.Fatalf("T1's newest superseded version number is %d, want 2", n)
	}
	n, err = b.opts.RawQueryInt(ctx, st, `SELECT version FROM txn WHERE id = 'T1'`)
	must(t, err)
	if n != 3 {
		t.Fatalf("T1's current version number is %d, want 3", n)
	}
}

func testTransactionStageDuplicate(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"))
	tests := []struct {
		name    string
		batches [][]storage.StagedTransaction
		want    storage.DuplicateError
	}{
		{
			name: "same batch",
			batches: [][]storage.StagedTransaction{{
				{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2},
				{Transaction: txn("T2", "2027-01-10", "a", "", "1"), Line: 3},
				{Transaction: txn("T1", "2027-01-11", "a", "", "2"), Line: 9},
			}},
			want: storage.DuplicateError{ID: "T1", Line: 9, FirstLine: 2},
		},
		{
			name: "later batch",
			batches: [][]storage.StagedTransaction{
				{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2}, {Transaction: txn("T2", "2027-01-10", "a", "", "1"), Line: 3}},
				{{Transaction: txn("T3", "2027-01-10", "a", "", "1"), Line: 7001}, {Transaction: txn("T2", "2027-01-12", "a", "", "5"), Line: 7002}},
			},
			want: storage.DuplicateError{ID: "T2", Line: 7002, FirstLine: 3},
		},
		{
			// Several ids repeat, some more than once: the problem is
			// the earliest line that repeats an earlier one.
			name: "several repeated ids",
			batches: [][]storage.StagedTransaction{
				{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2}, {Transaction: txn("T2", "2027-01-10", "a", "", "1"), Line: 3}},
				{{Transaction: txn("T2", "2027-01-11", "a", "", "2"), Line: 5}, {Transaction: txn("T1", "2027-01-11", "a", "", "2"), Line: 6},
					{Transaction: txn("T2", "2027-01-12", "a", "", "3"), Line: 9}, {Transaction: txn("T1", "2027-01-12", "a", "", "3"), Line: 10}},
			},
			want: storage.DuplicateError{ID: "T2", Line: 5, FirstLine: 3},
		},
		{
			name:    "many copies of one id",
			batches: copiesOf("T7", 2, 12_000, 5000),
			want:    storage.DuplicateError{ID: "T7", Line: 3, FirstLine: 2},
		},
	}
	for _, tt := range tests {
		_, err := stageMerge(ctx, st, tt.batches...)
		wantDuplicate(t, tt.name, err, tt.want)
		if n, _ := st.TransactionCount(ctx); n != 0 {
			t.Fatalf("%s: %d transactions stored after a failed import, want 0", tt.name, n)
		}
	}
	// The staging area does not leak into the next transaction.
	wantCounts(t, "clean import after failures", importTxns(t, ctx, st, txn("T1", "2027-01-10", "a", "", "1")), storage.ImportCounts{Inserted: 1})
}

// testTransactionStagedClears: TransactionStagedClears finds the staged
// rows that would clear a stored deal's value in the columns asked about,
// by line, and nothing for new deals or columns given.
func testTransactionStagedClears(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	stored := txn("T1", "2027-01-10", "a", "west", "1", split("a", "0.5"), split("b", "0.5"))
	stored.Attrs = map[string]string{"channel": "web"}
	importTxns(t, ctx, st, stored, txn("T2", "2027-01-10", "b", "", "1"))
	bare := facts.Transaction{ID: "T1", Date: day("2027-01-10"), Amount: dec("2"), Currency: "USD"}
	var got []storage.StagedClear
	err := st.InTx(ctx, func(tx storage.Tx) error {
		err := tx.TransactionStage(ctx, []storage.StagedTransaction{
			{Transaction: facts.Transaction{ID: "T2", Date: day("2027-01-10"), Amount: dec("3"), Currency: "USD"}, Line: 2},
			{Transaction: bare, Line: 3},
			{Transaction: facts.Transaction{ID: "T9", Date: day("2027-01-10"), Amount: dec("3"), Currency: "USD"}, Line: 4},
		})
		if err != nil {
			return err
		}
		got, err = tx.TransactionStagedClears(ctx, []string{"attrs", "owner", "splits", "territory"}, nil, 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.StagedClear{
		{Line: 2, ID: "T2", Column: "owner", Stored: "b"},
		{Line: 3, ID: "T1", Column: "attrs", Stored: `{"channel":"web"}`},
		{Line: 3, ID: "T1", Column: "owner", Stored: "a"},
		{Line: 3, ID: "T1", Column: "splits", Stored: "a:0.5;b:0.5"},
		{Line: 3, ID: "T1", Column: "territory", Stored: "west"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("TransactionStagedClears = %+v, want %+v", got, want)
	}
	// A file with other attribute columns than the deal's stored ones.
	for _, tc := range []struct {
		attrs []string
		want  []storage.StagedClear
	}{
		{[]string{"region"}, []storage.StagedClear{{Line: 2, ID: "T1", Column: "attrs", Stored: `{"channel":"web"}`}}},
		{[]string{"channel", "region"}, nil},
	} {
		err := st.InTx(ctx, func(tx storage.Tx) error {
			whole := stored
			whole.Attrs = map[string]string{"region": "emea"}
			if err := tx.TransactionStage(ctx, []storage.StagedTransaction{{Transaction: whole, Line: 2}}); err != nil {
				return err
			}
			got, err = tx.TransactionStagedClears(ctx, nil, tc.attrs, 10)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Fatalf("attributes %v: TransactionStagedClears = %+v, want %+v", tc.attrs, got, tc.want)
		}
	}
}

// testTransactionFirstLoad: an import into an empty txn (which drops
// txn's indexes, inserts and builds them again) stores its rows in
// (owner, date) order, leaves the indexes and the primary key as they
// were, and a repeated id still fails it, indexes intact.
func testTransactionFirstLoad(t *testing.T, b *bundle) {
	if b.opts.RawQueryInt == nil || b.opts.RawExec == nil {
		t.Skip("no raw SQL hooks")
	}
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"), person("c", "C", "1900-01-01"))
	var indexes, outOfOrder string
	switch st.Backend() {
	case "sqlite":
		indexes = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txn'`
		outOfOrder = `SELECT COUNT(*) FROM (SELECT owner, date, LAG(owner) OVER (ORDER BY rowid) AS po, LAG(date) OVER (ORDER BY rowid) AS pd FROM txn) d
			WHERE po > owner OR (po = owner AND pd > date)`
	case "postgres":
		indexes = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'txn'`
		outOfOrder = `SELECT COUNT(*) FROM (SELECT owner, date, LAG(owner) OVER (ORDER BY ctid) AS po, LAG(date) OVER (ORDER BY ctid) AS pd FROM txn) d
			WHERE po > owner COLLATE "C" OR (po = owner AND pd > date COLLATE "C")`
	default:
		t.Skipf("backend %s", st.Backend())
	}
	before, err := b.opts.RawQueryInt(ctx, st, indexes)
	must(t, err)
	if before < 3 {
		t.Fatalf("txn has %d indexes before the load, want at least 3", before)
	}
	const n = 1200
	owners := []string{"c", "a", "b"}
	var batches [][]storage.StagedTransaction
	var batch []storage.StagedTransaction
	for i := range n {
		r := txn(fmt.Sprintf("T%05d", i), fmt.Sprintf("2027-01-%02d", 28-i%27), owners[i%3], "west", fmt.Sprint(i+1))
		if i%7 == 0 {
			r.Splits = []facts.Split{split(owners[i%3], "0.5"), split(owners[(i+1)%3], "0.5")}
		}
		batch = append(batch, storage.StagedTransaction{Transaction: r, Line: i + 2})
		if len(batch) == 500 {
			batches, batch = append(batches, batch), nil
		}
	}
	batches = append(batches, batch)
	// A repeated id in a later chunk fails the first load.
	dupRow := storage.StagedTransaction{Transaction: txn("T00003", "2027-02-01", "a", "", "5"), Line: n + 2}
	_, err = stageMerge(ctx, st, append(slices.Clone(batches), []storage.StagedTransaction{dupRow})...)
	wantDuplicate(t, "first load with a repeated id", err, storage.DuplicateError{ID: "T00003", Line: n + 2, FirstLine: 5})
	if got, err := b.opts.RawQueryInt(ctx, st, indexes); err != nil || got != before {
		t.Fatalf("after a failed first load txn has %d indexes (%v), want %d", got, err, before)
	}
	c, err := stageMerge(ctx, st, batches...)
	must(t, err)
	wantCounts(t, "first load", c, storage.ImportCounts{Inserted: n})
	if got, err := b.opts.RawQueryInt(ctx, st, indexes); err != nil || got != before {
		t.Fatalf("after the first load txn has %d indexes (%v), want %d", got, err, before)
	}
	if got, err := b.opts.RawQueryInt(ctx, st, outOfOrder); err != nil || got != 0 {
		t.Fatalf("%d rows stored out of (owner, date) order (%v), want 0", got, err)
	}
	if got, err := b.opts.RawQueryInt(ctx, st, `SELECT COUNT(*) FROM txn_split`); err != nil || got != 2*((n+6)/7) {
		t.Fatalf("%d split rows (%v), want %d", got, err, 2*((n+6)/7))
	}
	// The primary key is back: the database refuses a second row of an id.
	if err := b.opts.RawExec(ctx, st, `INSERT INTO txn SELECT * FROM txn WHERE id = 'T00001'`); err == nil {
		t.Fatal("a second row of id T00001 was accepted: txn's primary key is missing after the first load")
	}
	// Importing the same rows again changes nothing.
	c, err = stageMerge(ctx, st, batches...)
	must(t, err)
	wantCounts(t, "re-import", c, storage.ImportCounts{Unchanged: n})
}

// testTransactionChangeLog: the change sequence lists the transactions a
// first load adds, then those a re-import adds or changes, one entry each
// in id order; a first load of more than ChangeBulk rows is one bulk entry.
func testTransactionChangeLog(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"))
	since := func(after int64) ([]storage.InputChange, int64) {
		t.Helper()
		cs, more, err := st.InputChangesSince(ctx, after, 100)
		must(t, err)
		if more {
			t.Fatal("more than 100 changes")
		}
		var txns []storage.InputChange
		last := after
		for _, c := range cs {
			last = c.Seq
			if c.Kind == storage.ChangeTransaction || c.Kind == storage.ChangeTransactions {
				txns = append(txns, storage.InputChange{Kind: c.Kind, Ref: c.Ref})
			}
		}
		return txns, last
	}
	want := func(what string, got []storage.InputChange, refs ...string) {
		t.Helper()
		var w []storage.InputChange
		for _, r := range refs {
			w = append(w, storage.InputChange{Kind: storage.ChangeTransaction, Ref: r})
		}
		if !slices.Equal(got, w) {
			t.Fatalf("%s: changes %+v, want %+v", what, got, w)
		}
	}
	_, seq := since(0)
	wantCounts(t, "first load", importTxns(t, ctx, st, txn("T3", "2027-01-10", "a", "", "1"), txn("T1", "2027-01-11", "a", "", "2"), txn("T2", "2027-01-09", "a", "", "3")),
		storage.ImportCounts{Inserted: 3})
	got, seq := since(seq)
	want("first load", got, "T1", "T2", "T3")
	wantCounts(t, "re-import", importTxns(t, ctx, st, txn("T3", "2027-01-10", "a", "", "1"), txn("T1", "2027-01-11", "a", "", "7"), txn("T2", "2027-01-09", "a", "", "3"), txn("T4", "2027-01-09", "a", "", "4")),
		storage.ImportCounts{Inserted: 1, Changed: 1, Unchanged: 2})
	got, _ = since(seq)
	want("re-import", got, "T1", "T4")

	_, st = b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"))
	_, seq = since(0)
	rows := make([]facts.Transaction, storage.ChangeBulk+1)
	for i := range rows {
		rows[i] = txn(fmt.Sprintf("T%06d", i), "2027-01-10", "a", "", "1")
	}
	wantCounts(t, "bulk first load", importTxns(t, ctx, st, rows...), storage.ImportCounts{Inserted: len(rows)})
	got, _ = since(seq)
	if len(got) != 1 || got[0].Kind != storage.ChangeTransactions {
		t.Fatalf("bulk first load: changes %+v, want one %s entry", got, storage.ChangeTransactions)
	}
}

// copiesOf stages n copies of transaction id on lines from, from+1, …, in
// batches of size rows.
func copiesOf(id string, from, n, size int) [][]storage.StagedTransaction {
	var out [][]storage.StagedTransaction
	for i := 0; i < n; i += size {
		var batch []storage.StagedTransaction
		for j := i; j < min(i+size, n); j++ {
			batch = append(batch, storage.StagedTransaction{Transaction: txn(id, "2027-01-10", "a", "", fmt.Sprint(j+1)), Line: from + j})
		}
		out = append(out, batch)
	}
	return out
}

func testTransactionStageChunks(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	const n = 2345 // more than one multi-row INSERT
	rows := make([]facts.Transaction, n)
	for i := range rows {
		rows[i] = txn(fmt.Sprintf("T%05d", i), "2027-02-01", "a", "west", fmt.Sprintf("%d.%02d", i, i%100))
		if i%3 == 0 {
			rows[i].Splits = []facts.Split{split("a", "0.5"), split("b", "0.5")}
		}
	}
	wantCounts(t, "bulk import", importTxns(t, ctx, st, rows...), storage.ImportCounts{Inserted: n})
	got, err := st.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{
		Span: period.Range{Start: day("2027-01-01"), End: day("2027-12-31")}, People: []string{"b"},
	})
	must(t, err)
	if want := (n + 2) / 3; len(got) != want {
		t.Fatalf("b is in %d transactions' splits, want %d", len(got), want)
	}
	rows[7].Amount = dec("7.77")
	wantCounts(t, "bulk re-import", importTxns(t, ctx, st, rows...), storage.ImportCounts{Changed: 1, Unchanged: n - 1})
}

func testTransactionListForPeople(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"), person("c", "C", "1900-01-01"))
	importTxns(t, ctx, st,
		txn("T1", "2027-01-10", "a", "west", "100"),
		txn("T2", "2027-02-01", "b", "east", "200", split("a", "0.6"), split("b", "0.4")),
		txn("T3", "2027-03-31", "c", "west", "300"),
		txn("T4", "2026-12-31", "a", "west", "400"), // before the span
		txn("T5", "2027-02-15", "c", "north", "500"),
		txn("T6", "2027-04-01", "a", "west", "600"), // after the span
		txn("T7", "2027-01-01", "", "west", "700"),  // no owner: territory only
	)
	q1 := period.Range{Start: day("2027-01-01"), End: day("2027-03-31")}
	tests := []struct {
		name        string
		span        period.Range
		people      []string
		territories []string
		want        string
	}{
		{"owner and split", q1, []string{"a"}, nil, "T1,T2"},
		{"split only", q1, []string{"b"}, nil, "T2"},
		{"owner", q1, []string{"c"}, nil, "T3,T5"},
		{"territory", q1, []string{"a"}, []string{"west"}, "T1,T2,T3,T7"},
		{"territories", q1, []string{"b"}, []string{"west", "north"}, "T1,T2,T3,T5,T7"},
		{"several people", q1, []string{"a", "b", "c"}, nil, "T1,T2,T3,T5"},
		{"unknown person", q1, []string{"zed"}, nil, ""},
		{"no people", q1, nil, []string{"west"}, ""},
		{"year", period.Range{Start: day("2026-01-01"), End: day("2027-12-31")}, []string{"a"}, nil, "T1,T2,T4,T6"},
	}
	for _, tt := range tests {
		got, err := st.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{Span: tt.span, People: tt.people, Territories: tt.territories})
		must(t, err)
		if s := txnIDs(got); s != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, s, tt.want)
		}
	}
	got, err := st.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{Span: q1, People: []string{"b"}})
	must(t, err)
	if len(got) != 1 || len(got[0].Splits) != 2 || got[0].Splits[0].Person != "a" || !got[0].Splits[0].Share.Equal(dec("0.6")) {
		t.Fatalf("T2 splits = %+v, want a:0.6, b:0.4", got)
	}

	// A changed split list replaces the old one: a is no longer on T2.
	importTxns(t, ctx, st, txn("T2", "2027-02-01", "b", "east", "200", split("b", "0.5"), split("c", "0.5")))
	for _, tt := range []struct{ person, want string }{{"a", "T1"}, {"c", "T2,T3,T5"}} {
		got, err := st.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{Span: q1, People: []string{tt.person}})
		must(t, err)
		if s := txnIDs(got); s != tt.want {
			t.Errorf("after the split change, %s: got %q, want %q", tt.person, s, tt.want)
		}
	}
}

func testTransactionCountByOwner(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	importTxns(t, ctx, st,
		txn("T1", "2027-01-10", "a", "", "1"),
		txn("T2", "2027-02-10", "a", "", "1"),
		txn("T3", "2027-02-10", "b", "", "1"),
		txn("T4", "2028-01-01", "b", "", "1"),
	)
	got, err := st.TransactionCountByOwner(ctx, period.Range{Start: day("2027-01-01"), End: day("2027-12-31")})
	must(t, err)
	if len(got) != 2 || got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("TransactionCountByOwner = %v, want a:2 b:1", got)
	}
}

func planVersion(kind, name, version, source string) storage.PlanVersion {
	return storage.PlanVersion{Hash: fmt.Sprintf("%s-%s-%s", kind, name, version), Kind: kind, Name: name, Version: version,
		File: name + ".yaml", Source: source}
}

func testPlanVersions(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	const comp, target = "comp_plan", "target_plan"
	v1 := planVersion(comp, "ae", "1", "kind: comp_plan\nname: ae\n# v1\n")
	v2 := planVersion(comp, "ae", "2", "kind: comp_plan\nname: ae\n# v2\n")
	sdr := planVersion(comp, "sdr", "1", "kind: comp_plan\nname: sdr\n")
	quota := planVersion(target, "ae", "1", "kind: target_plan\nname: ae\n")

	publish := func(v storage.PlanVersion) bool {
		t.Helper()
		var inserted bool
		inTx(t, ctx, st, func(tx storage.Tx) error {
			var err error
			inserted, err = tx.PlanVersionInsert(ctx, v)
			return err
		})
		return inserted
	}
	latest := func(kind, name string) string {
		t.Helper()
		v, err := st.PlanVersionLatest(ctx, kind, name)
		must(t, err)
		return v.Version
	}

	if _, err := st.PlanVersionLatest(ctx, comp, "ae"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PlanVersionLatest before publishing: %v, want ErrNotFound", err)
	}
	if !publish(v1) {
		t.Fatal("publishing v1 reported nothing inserted")
	}
	if publish(v1) {
		t.Fatal("publishing v1 twice inserted it twice")
	}
	if !publish(v2) || !publish(sdr) || !publish(quota) {
		t.Fatal("publishing a new version reported nothing inserted")
	}
	if got := latest(comp, "ae"); got != "2" {
		t.Fatalf("latest ae after v2 = %s, want 2", got)
	}
	// The same name under another kind is another plan.
	if got := latest(target, "ae"); got != "1" {
		t.Fatalf("latest target ae = %s, want 1", got)
	}

	// Rolling back: publishing v1 again makes it the latest.
	publish(v1)
	if got := latest(comp, "ae"); got != "1" {
		t.Fatalf("latest ae after re-publishing v1 = %s, want 1", got)
	}
	list, err := st.PlanVersionListLatest(ctx, comp)
	must(t, err)
	var names []string
	for _, v := range list {
		names = append(names, v.Name+"@"+v.Version)
	}
	if s := strings.Join(names, ","); s != "ae@1,sdr@1" {
		t.Fatalf("PlanVersionListLatest = %s, want ae@1,sdr@1", s)
	}
	// And forward again.
	publish(v2)
	if got := latest(comp, "ae"); got != "2" {
		t.Fatalf("latest ae after re-publishing v2 = %s, want 2", got)
	}

	got, err := st.PlanVersionGet(ctx, v1.Hash)
	must(t, err)
	if got.Hash != v1.Hash || got.Kind != comp || got.Name != "ae" || got.Version != "1" || got.File != v1.File || got.Source != v1.Source {
		t.Fatalf("PlanVersionGet(v1) = %+v, want %+v", got, v1)
	}
	if got.Seq <= 0 {
		t.Fatalf("PlanVersionGet(v1).Seq = %d, want a positive sequence number", got.Seq)
	}
	if _, err := st.PlanVersionGet(ctx, "no-such-hash"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PlanVersionGet(unknown) error = %v, want ErrNotFound", err)
	}
	targets, err := st.PlanVersionListLatest(ctx, target)
	must(t, err)
	if len(targets) != 1 || targets[0].Hash != quota.Hash {
		t.Fatalf("PlanVersionListLatest(target_plan) = %+v, want just %s", targets, quota.Hash)
	}

	// By label: every publication of ae version 1 (v1 twice, and a
	// v1b published under the same label), oldest first; nothing of another
	// kind, name or label.
	v1b := v1
	v1b.Hash, v1b.Source = "comp_plan-ae-1b", "kind: comp_plan\nname: ae\n# v1, changed\n"
	publish(v1b)
	byLabel := func(kind, name, version string) string {
		t.Helper()
		vs, err := st.PlanVersionListByLabel(ctx, kind, name, version)
		must(t, err)
		var hashes []string
		var last int64
		for _, v := range vs {
			if v.Kind != kind || v.Name != name || v.Version != version || v.Seq <= last {
				t.Fatalf("PlanVersionListByLabel(%s, %s, %s) = %+v: want that plan's label only, by seq", kind, name, version, vs)
			}
			last = v.Seq
			hashes = append(hashes, v.Hash)
		}
		return strings.Join(hashes, ",")
	}
	if got, want := byLabel(comp, "ae", "1"), strings.Join([]string{v1.Hash, v1.Hash, v1b.Hash}, ","); got != want {
		t.Fatalf("PlanVersionListByLabel(ae, 1) = %s, want %s", got, want)
	}
	if got := byLabel(comp, "ae", "2"); got != v2.Hash+","+v2.Hash {
		t.Fatalf("PlanVersionListByLabel(ae, 2) = %s, want v2 twice", got)
	}
	if got := byLabel(target, "ae", "1"); got != quota.Hash {
		t.Fatalf("PlanVersionListByLabel(target_plan ae, 1) = %s, want %s", got, quota.Hash)
	}
	if got := byLabel(comp, "ae", "3"); got != "" {
		t.Fatalf("PlanVersionListByLabel(ae, 3) = %s, want nothing", got)
	}
}

func ledgerLine(key, person, subject, amount string) ledger.Line {
	return ledger.Line{Key: key, Ledger: ledger.PayoutLedger, Kind: ledger.KindPost, RunID: 1, Plan: "ae", PlanHash: "h1",
		Period: "2027-Q1", Person: person, Subject: subject, Amount: dec(amount), PostedPeriod: "2027-Q1", EarningCode: "COMM", Currency: "USD", Detail: `{}`}
}

func testRuns(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	if _, err := st.RunGet(ctx, 42); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RunGet(42) error = %v, want ErrNotFound", err)
	}
	if _, err := st.RunActive(ctx, "2027-Q1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RunActive with no run: %v, want ErrNotFound", err)
	}
	var id int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		id, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", BatchSize: 7, Plans: []string{"h1", "h2"}})
		return err
	})
	run, err := st.RunGet(ctx, id)
	must(t, err)
	if run.ID != id || run.Period != "2027-Q1" || run.Status != storage.RunRunning || run.BatchSize != 7 ||
		strings.Join(run.Plans, ",") != "h1,h2" || run.Batches != 0 || run.BatchesDone != 0 || run.Digest != "" || run.Error != "" {
		t.Fatalf("new run = %+v", run)
	}
	active, err := st.RunActive(ctx, "2027-Q1")
	must(t, err)
	if active.ID != id {
		t.Fatalf("RunActive = run %d, want %d", active.ID, id)
	}

	inTx(t, ctx, st, func(tx storage.Tx) error { return tx.RunSetBatches(ctx, id, 3) })
	for want := 1; want <= 3; want++ {
		inTx(t, ctx, st, func(tx storage.Tx) error {
			got, total, err := tx.RunBatchDone(ctx, id, 10)
			if err == nil && (got != want || total != 3) {
				err = fmt.Errorf("RunBatchDone = %d of %d, want %d of 3", got, total, want)
			}
			return err
		})
	}
	lines := []ledger.Line{ledgerLine("k1", "p1", "c1", "10"), ledgerLine("k2", "p2", "c1", "20")}
	for i := range lines {
		lines[i].RunID = id
	}
	other := ledgerLine("k3", "p3", "c1", "30")
	other.RunID = id + 100
	inTx(t, ctx, st, func(tx storage.Tx) error {
		if _, err := tx.LedgerLineInsert(ctx, append(lines, other)); err != nil {
			return err
		}
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunDone, Digest: "d1"})
	})
	run, err = st.RunGet(ctx, id)
	must(t, err)
	if run.Status != storage.RunDone || run.Digest != "d1" || run.Batches != 3 || run.BatchesDone != 3 || run.TxnsDone != 30 || run.Lines != 2 {
		t.Fatalf("finished run = %+v, want done, digest d1, 3/3 batches, 2 lines", run)
	}
	if _, err := st.RunActive(ctx, "2027-Q1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RunActive after finishing: %v, want ErrNotFound", err)
	}

	// A finished period can run again; a failed run records its error.
	var id2 int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		if id2, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", Plans: []string{"h1"}}); err != nil {
			return err
		}
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: id2, Status: storage.RunFailed, Error: "plan.yaml:3:9: boom"})
	})
	if id2 <= id {
		t.Fatalf("second run id %d, want above %d", id2, id)
	}
	run, err = st.RunGet(ctx, id2)
	must(t, err)
	if run.Status != storage.RunFailed || run.Error != "plan.yaml:3:9: boom" || run.Lines != 0 {
		t.Fatalf("failed run = %+v", run)
	}
	runs, err := st.RunList(ctx)
	must(t, err)
	if len(runs) != 2 || runs[0].ID != id || runs[1].ID != id2 {
		t.Fatalf("RunList = %+v, want runs %d and %d in order", runs, id, id2)
	}
}

func testRunInProgress(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	var first int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		first, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", Plans: []string{"h1"}})
		return err
	})
	err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", Plans: []string{"h1"}})
		return err
	})
	if !errors.Is(err, storage.ErrRunInProgress) {
		t.Fatalf("second active run of 2027-Q1: %v, want ErrRunInProgress", err)
	}
	// Another period is independent.
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.RunInsert(ctx, storage.Run{Period: "2027-M01", Plans: []string{"h2"}})
		return err
	})
	runs, err := st.RunList(ctx)
	must(t, err)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2 (the refused one is not recorded)", len(runs))
	}
	active, err := st.RunActive(ctx, "2027-Q1")
	must(t, err)
	if active.ID != first {
		t.Fatalf("active 2027-Q1 run = %d, want %d", active.ID, first)
	}
}

func testLedgerInsertIdempotent(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	insert := func(lines ...ledger.Line) int {
		t.Helper()
		var n int
		inTx(t, ctx, st, func(tx storage.Tx) error {
			var err error
			n, err = tx.LedgerLineInsert(ctx, lines)
			return err
		})
		return n
	}
	a := ledgerLine("k1", "p1", "commission", "100.00")
	if n := insert(a); n != 1 {
		t.Fatalf("first insert appended %d, want 1", n)
	}
	if n := insert(a); n != 0 {
		t.Fatalf("same key again appended %d, want 0", n)
	}
	// Same key with other content (a retried batch): still skipped, the
	// first posting stands.
	changed := a
	changed.Amount = dec("999")
	if n := insert(changed, ledgerLine("k2", "p2", "commission", "5")); n != 1 {
		t.Fatalf("one old and one new key appended %d, want 1", n)
	}
	// The same key twice in one call is appended once.
	if n := insert(ledgerLine("k3", "p3", "commission", "1"), ledgerLine("k3", "p3", "commission", "1")); n != 1 {
		t.Fatalf("a key repeated within one insert appended %d, want 1", n)
	}
	if n := insert(); n != 0 {
		t.Fatalf("empty insert appended %d, want 0", n)
	}
	lines, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{})
	must(t, err)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	if !lines[0].Amount.Equal(dec("100")) {
		t.Fatalf("k1 amount = %s, want the first posting's 100", lines[0].Amount)
	}

	// Many lines at once (more than one multi-row INSERT), some repeated.
	var bulk []ledger.Line
	for i := range 2500 {
		bulk = append(bulk, ledgerLine(fmt.Sprintf("bulk-%04d", i), fmt.Sprintf("p%d", i%50), fmt.Sprintf("c%d", i), "1.5"))
	}
	if n := insert(bulk...); n != 2500 {
		t.Fatalf("bulk insert appended %d, want 2500", n)
	}
	if n := insert(append(bulk[1000:1200:1200], ledgerLine("k4", "p4", "x", "2"))...); n != 1 {
		t.Fatalf("bulk re-insert appended %d, want 1", n)
	}
}

func testLedgerList(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	mk := func(key, ledger, plan, per, person, subject, amount string) ledger.Line {
		l := ledgerLine(key, person, subject, amount)
		l.Ledger, l.Plan, l.Period = ledger, plan, per
		return l
	}
	in := []ledger.Line{
		mk("k1", ledger.CreditLedger, "ae", "2027-Q1", "p1", "T1/owner", "1250.50"),
		mk("k2", ledger.AttainmentLedger, "ae", "2027-Q1", "p1", "bookings", "0.123456789012345678"),
		mk("k3", ledger.PayoutLedger, "ae", "2027-Q1", "p1", "commission", "100.04"),
		mk("k4", ledger.PayoutLedger, "ae", "2027-Q1", "p2", "commission", "-12345678901234567890.99"),
		mk("k5", ledger.PayoutLedger, "sdr", "2027-Q1", "p3", "meetings", "150"),
		mk("k6", ledger.PayoutLedger, "ae", "2027-Q2", "p1", "commission", "7"),
	}
	rev := ledger.Reverse(in[2], ledger.Posting{RunID: 2}, "")
	rev.Seq = 0
	in = append(in, rev,
		mk("k7", ledger.PayableLedger, "ae", "2027-Q1", "p2", "commission", "-12345678901234567890.99"),
		mk("k8", ledger.BalanceLedger, "", "2027-Q1", "p1", "draw", "5"))
	inTx(t, ctx, st, func(tx storage.Tx) error {
		n, err := tx.LedgerLineInsert(ctx, in)
		if err == nil && n != len(in) {
			err = fmt.Errorf("appended %d, want %d", n, len(in))
		}
		return err
	})
	all, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{})
	must(t, err)
	if len(all) != len(in) {
		t.Fatalf("%d lines, want %d", len(all), len(in))
	}
	for i, got := range all {
		want := in[i]
		if i > 0 && got.Seq <= all[i-1].Seq {
			t.Fatalf("line %d seq %d not after %d: want posting order", i, got.Seq, all[i-1].Seq)
		}
		if got.Key != want.Key || got.Ledger != want.Ledger || got.Kind != want.Kind || got.Supersedes != want.Supersedes ||
			got.RunID != want.RunID || got.Plan != want.Plan || got.PlanHash != want.PlanHash || got.Period != want.Period ||
			got.Person != want.Person || got.Subject != want.Subject || got.Amount.String() != want.Amount.String() || got.Detail != want.Detail {
			t.Fatalf("line %d = %+v, want %+v", i, got, want)
		}
	}
	if all[6].Kind != ledger.KindReversal || all[6].Supersedes != "k3" || !all[6].Amount.Equal(dec("-100.04")) {
		t.Fatalf("reversal = %+v", all[6])
	}

	tests := []struct {
		name string
		p    storage.LedgerLineListParams
		want string
	}{
		{"ledger", storage.LedgerLineListParams{Ledger: ledger.PayoutLedger}, "k3,k4,k5,k6," + rev.Key},
		{"plan", storage.LedgerLineListParams{Plan: "sdr"}, "k5"},
		{"period", storage.LedgerLineListParams{Period: "2027-Q2"}, "k6"},
		{"people", storage.LedgerLineListParams{People: []string{"p2", "p3"}}, "k4,k5,k7"},
		{"no people", storage.LedgerLineListParams{People: []string{}}, ""},
		{"all filters", storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: "ae", Period: "2027-Q1", People: []string{"p1"}}, "k3," + rev.Key},
		// A plan's lines of some people in a period (what a batch diffs
		// against; a query of its own on Postgres): posting order across
		// people, each line once however often its person is named.
		{"plan period people", storage.LedgerLineListParams{Plan: "ae", Period: "2027-Q1", People: []string{"p2", "p1", "p9", "p1"}}, "k1,k2,k3,k4," + rev.Key + ",k7"},
		// A settlement batch's: payable and balance lines of people.
		{"payable people", storage.LedgerLineListParams{Ledger: ledger.PayableLedger, Period: "2027-Q1", People: []string{"p2", "p1"}}, "k7"},
		{"balance people", storage.LedgerLineListParams{Ledger: ledger.BalanceLedger, Period: "2027-Q1", People: []string{"p1"}}, "k8"},
		{"balance other people", storage.LedgerLineListParams{Ledger: ledger.BalanceLedger, Period: "2027-Q1", People: []string{"p2"}}, ""},
		// Plans: a settlement batch's earned lines, plan by plan.
		{"plans people", storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: "2027-Q1", People: []string{"p1", "p3", "p2", "p3"}, Plans: []string{"sdr", "ae"}}, "k3,k4,k5," + rev.Key},
		{"one of the plans", storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: "2027-Q1", People: []string{"p1", "p2", "p3"}, Plans: []string{"sdr"}}, "k5"},
		{"plans without people", storage.LedgerLineListParams{Period: "2027-Q1", Plans: []string{"sdr"}}, "k5"},
		{"no plans", storage.LedgerLineListParams{Period: "2027-Q1", People: []string{"p1"}, Plans: []string{}}, ""},
		{"plan not in plans", storage.LedgerLineListParams{Plan: "ae", Period: "2027-Q1", People: []string{"p1"}, Plans: []string{"sdr"}}, ""},
		{"plan in plans", storage.LedgerLineListParams{Plan: "sdr", Period: "2027-Q1", People: []string{"p3"}, Plans: []string{"ae", "sdr"}}, "k5"},
		{"plan period no people", storage.LedgerLineListParams{Plan: "ae", Period: "2027-Q1", People: []string{}}, ""},
		{"plan period people run", storage.LedgerLineListParams{Plan: "ae", Period: "2027-Q1", People: []string{"p1", "p2"}, RunID: 2}, rev.Key},
	}
	for _, tt := range tests {
		got, err := st.LedgerLineList(ctx, tt.p)
		must(t, err)
		keys := make([]string, len(got))
		for i, l := range got {
			keys[i] = l.Key
		}
		if s := strings.Join(keys, ","); s != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, s, tt.want)
		}
	}
	for _, tt := range []struct {
		name    string
		period  string
		ledgers []string
		want    bool
	}{
		{"payout", "2027-Q1", []string{ledger.PayoutLedger}, true},
		{"credit or attainment", "2027-Q1", []string{ledger.CreditLedger, ledger.AttainmentLedger}, true},
		{"other period", "2027-Q2", []string{ledger.PayoutLedger}, true},
		{"not in the period", "2027-Q2", []string{ledger.CreditLedger}, false},
		{"settlement ledgers", "2027-Q1", []string{ledger.PayableLedger, ledger.BalanceLedger}, true},
		{"balance", "2027-Q1", []string{ledger.BalanceLedger}, true},
		{"settlement ledgers, none posted", "2027-Q2", []string{ledger.PayableLedger, ledger.BalanceLedger}, false},
		{"no ledgers", "2027-Q1", nil, false},
	} {
		got, err := st.LedgerHasLines(ctx, tt.period, tt.ledgers)
		must(t, err)
		if got != tt.want {
			t.Errorf("LedgerHasLines %s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// What goes in comes out: the digest of the stored lines is the
	// digest of the lines written.
	if got, want := ledger.Digest(all), ledger.Digest(in); got != want {
		t.Fatalf("digest of stored lines %s, want %s", got, want)
	}
}

func testLedgerAppendOnly(t *testing.T, b *bundle) {
	if b.opts.RawExec == nil {
		t.Skip("no RawExec hook: cannot try raw UPDATE and DELETE")
	}
	ctx, st := b.setup(t)
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, []ledger.Line{ledgerLine("k1", "p1", "commission", "100"), ledgerLine("k2", "p2", "commission", "200")})
		return err
	})
	before, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{})
	must(t, err)
	for _, q := range []string{
		`UPDATE ledger_line SET amount = 0 WHERE key = 'k1'`,
		`UPDATE ledger_line SET detail = 'tampered'`,
		`DELETE FROM ledger_line WHERE key = 'k2'`,
		`DELETE FROM ledger_line`,
	} {
		if err := b.opts.RawExec(ctx, st, q); err == nil {
			t.Errorf("%s: succeeded, want the database to refuse it", q)
		}
	}
	after, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{})
	must(t, err)
	if ledger.Digest(after) != ledger.Digest(before) || len(after) != 2 {
		t.Fatalf("ledger changed by refused statements: %+v", after)
	}
	// Appending is still allowed.
	inTx(t, ctx, st, func(tx storage.Tx) error {
		n, err := tx.LedgerLineInsert(ctx, []ledger.Line{ledger.Reverse(before[0], ledger.Posting{RunID: 2}, "")})
		if err == nil && n != 1 {
			err = fmt.Errorf("appending a reversal appended %d lines, want 1", n)
		}
		return err
	})
}

func testExports(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	if list, err := st.ExportList(ctx, "2027-Q1"); err != nil || len(list) != 0 {
		t.Fatalf("ExportList before any export: %v, %v", list, err)
	}
	e1 := storage.Export{Period: "2027-Q1", PayDate: "2027-04-15", Digest: "d1", CSV: "employee_id,amount\np1,100.00\n", Lines: 1}
	var id1 int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		id1, err = tx.ExportInsert(ctx, e1, []string{"k2", "k1"})
		return err
	})
	e2 := storage.Export{Period: "2027-Q1", PayDate: "2027-05-15", Digest: "d2", CSV: "employee_id,amount\np2,5.00\n", Lines: 1}
	var id2 int64
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		id2, err = tx.ExportInsert(ctx, e2, []string{"k3"})
		return err
	})
	inTx(t, ctx, st, func(tx storage.Tx) error {
		_, err := tx.ExportInsert(ctx, storage.Export{Period: "2027-Q2", PayDate: "2027-07-15", Digest: "d3", CSV: "x\n", Lines: 0}, nil)
		return err
	})
	if id2 <= id1 {
		t.Fatalf("export ids %d then %d, want increasing", id1, id2)
	}
	list, err := st.ExportList(ctx, "2027-Q1")
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("ExportList = %+v, want 2 exports", list)
	}
	e1.ID, e2.ID = id1, id2
	if list[0] != e1 || list[1] != e2 {
		t.Fatalf("ExportList = %+v, want %+v then %+v", list, e1, e2)
	}
	keys, err := st.ExportedKeys(ctx, "2027-Q1")
	must(t, err)
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if strings.Join(ks, ",") != "k1,k2,k3" {
		t.Fatalf("ExportedKeys = %v, want k1, k2, k3", ks)
	}
	if keys, _ := st.ExportedKeys(ctx, "2027-Q3"); len(keys) != 0 {
		t.Fatalf("ExportedKeys of an unexported period = %v, want none", keys)
	}

	// A line is exported at most once: an export that repeats a key is
	// refused and leaves nothing behind.
	err = st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.ExportInsert(ctx, storage.Export{Period: "2027-Q1", PayDate: "2027-06-15", Digest: "d4", CSV: "y\n", Lines: 1}, []string{"k4", "k1"})
		return err
	})
	if err == nil {
		t.Fatal("exporting line k1 a second time succeeded, want an error")
	}
	if list, _ := st.ExportList(ctx, "2027-Q1"); len(list) != 2 {
		t.Fatalf("after the refused export ExportList has %d exports, want 2", len(list))
	}
	if keys, _ := st.ExportedKeys(ctx, "2027-Q1"); keys["k4"] {
		t.Fatal("the refused export's key k4 was recorded")
	}
}

// testTransactionReimport: a re-import counts each row once, as inserted,
// changed or unchanged, across batches; an unchanged row is not written
// (a backend may leave it unstaged), yet repeating its id is still refused,
// whether the other copy is unchanged or changed.
func testTransactionReimport(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	wantCounts(t, "first import", importTxns(t, ctx, st,
		txn("T1", "2027-01-10", "a", "", "1"), txn("T2", "2027-01-10", "a", "", "2", split("b", "0.5")), txn("T3", "2027-01-10", "a", "", "3")),
		storage.ImportCounts{Inserted: 3})
	batches := [][]storage.StagedTransaction{
		{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2}, {Transaction: txn("T2", "2027-01-10", "a", "", "2", split("b", "0.5")), Line: 3}},
		{{Transaction: txn("T3", "2027-01-10", "a", "", "30"), Line: 4}, {Transaction: txn("T4", "2027-01-10", "a", "", "4"), Line: 5}},
	}
	var c storage.ImportCounts
	inTx(t, ctx, st, func(tx storage.Tx) error {
		for _, batch := range batches {
			if err := tx.TransactionStage(ctx, batch); err != nil {
				return err
			}
		}
		var err error
		c, err = tx.TransactionMergeStaged(ctx)
		return err
	})
	wantCounts(t, "re-import", c, storage.ImportCounts{Inserted: 1, Changed: 1, Unchanged: 2})
	if got, err := st.TransactionGet(ctx, "T3"); err != nil || !got.Amount.Equal(dec("30")) {
		t.Fatalf("T3 after re-import: %+v, %v; want amount 30", got, err)
	}
	if got, err := st.TransactionGet(ctx, "T2"); err != nil || len(got.Splits) != 1 || got.Splits[0].Person != "b" {
		t.Fatalf("T2 after re-import: %+v, %v; want its split to b kept", got, err)
	}
	wantCounts(t, "unchanged re-import", importTxns(t, ctx, st,
		txn("T1", "2027-01-10", "a", "", "1"), txn("T2", "2027-01-10", "a", "", "2", split("b", "0.5")),
		txn("T3", "2027-01-10", "a", "", "30"), txn("T4", "2027-01-10", "a", "", "4")),
		storage.ImportCounts{Unchanged: 4})

	dups := []struct {
		name    string
		batches [][]storage.StagedTransaction
		want    storage.DuplicateError
	}{
		{
			name: "unchanged twice",
			batches: [][]storage.StagedTransaction{
				{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2}},
				{{Transaction: txn("T5", "2027-01-10", "a", "", "5"), Line: 3}, {Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 4}},
			},
			want: storage.DuplicateError{ID: "T1", Line: 4, FirstLine: 2},
		},
		{
			name: "unchanged then changed",
			batches: [][]storage.StagedTransaction{
				{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 2}, {Transaction: txn("T1", "2027-01-10", "a", "", "9"), Line: 3}},
			},
			want: storage.DuplicateError{ID: "T1", Line: 3, FirstLine: 2},
		},
		{
			name: "changed then unchanged",
			batches: [][]storage.StagedTransaction{
				{{Transaction: txn("T1", "2027-01-10", "a", "", "9"), Line: 2}},
				{{Transaction: txn("T1", "2027-01-10", "a", "", "1"), Line: 3}},
			},
			want: storage.DuplicateError{ID: "T1", Line: 3, FirstLine: 2},
		},
	}
	for _, tt := range dups {
		_, err := stageMerge(ctx, st, tt.batches...)
		wantDuplicate(t, tt.name, err, tt.want)
		if n, _ := st.TransactionCount(ctx); n != 4 {
			t.Fatalf("%s: %d transactions stored after a failed import, want 4", tt.name, n)
		}
	}
	if got, err := st.TransactionGet(ctx, "T1"); err != nil || !got.Amount.Equal(dec("1")) {
		t.Fatalf("T1 after failed imports: %+v, %v; want amount 1", got, err)
	}
}

// testTransactionReimportOneChanged: re-importing, in several chunks, the
// rows already stored with one of them changed counts one change and
// stores exactly that one (a new current version, the old one in the
// history, nothing else written); the dates it changes are that row's
// only; and an id repeated anywhere in such a file is refused, naming the
// first line that repeats an earlier one, whether its copies are
// unchanged or changed.
func testTransactionReimportOneChanged(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	upsertPeople(t, ctx, st, person("a", "A", "1900-01-01"), person("b", "B", "1900-01-01"))
	const n, chunk = 2500, 1000
	rows := make([]facts.Transaction, n)
	for i := range rows {
		rows[i] = txn(fmt.Sprintf("T%05d", i), "2027-02-01", "a", "west", fmt.Sprintf("%d.%02d", i, i%100))
		if i%5 == 0 {
			rows[i].Splits = []facts.Split{split("a", "0.5"), split("b", "0.5")}
			rows[i].Attrs = map[string]string{"stage": "won", "paid_on": "2027-03-01"}
		}
	}
	stage := func(tx storage.Tx, rows []facts.Transaction) error {
		for from := 0; from < len(rows); from += chunk {
			batch := make([]storage.StagedTransaction, 0, chunk)
			for i := from; i < min(from+chunk, len(rows)); i++ {
				batch = append(batch, storage.StagedTransaction{Transaction: rows[i], Line: i + 2})
			}
			if err := tx.TransactionStage(ctx, batch); err != nil {
				return err
			}
		}
		return nil
	}
	wantCounts(t, "first import", importTxns(t, ctx, st, rows...), storage.ImportCounts{Inserted: n})

	changed := slices.Clone(rows)
	changed[1700].Amount = dec("7.77")
	changed[1700].Date = day("2027-02-03")
	var c storage.ImportCounts
	inTx(t, ctx, st, func(tx storage.Tx) error {
		if err := stage(tx, changed); err != nil {
			return err
		}
		dates, err := tx.TransactionStagedDates(ctx, []string{"paid_on"})
		if err != nil {
			return err
		}
		if got, want := strings.Join(dates, " "), "2027-02-01 2027-02-03 2027-03-01"; got != want {
			t.Errorf("TransactionStagedDates = %q, want %q (the changed row's old and new date, and its payment date)", got, want)
		}
		c, err = tx.TransactionMergeStaged(ctx)
		return err
	})
	wantCounts(t, "one changed row", c, storage.ImportCounts{Changed: 1, Unchanged: n - 1})
	for _, i := range []int{0, 1699, 1700, 1701, n - 1} {
		got, err := st.TransactionGet(ctx, changed[i].ID)
		must(t, err)
		if !sameTxn(got, changed[i]) {
			t.Fatalf("%s after the re-import = %+v, want %+v", changed[i].ID, got, changed[i])
		}
	}
	if b.opts.RawQueryInt != nil {
		for _, q := range []struct {
			sql  string
			want int64
		}{
			{`SELECT COUNT(*) FROM txn`, n},
			{`SELECT COUNT(*) FROM txn_version`, 1},
			{`SELECT COUNT(*) FROM txn_version WHERE id = 'T01700' AND version = 1 AND amount = '1700'`, 1},
			{`SELECT COUNT(*) FROM txn WHERE version <> 1`, 1},
			{`SELECT COUNT(*) FROM txn WHERE id = 'T01700' AND version = 2`, 1},
			{`SELECT COUNT(*) FROM txn_split`, 2 * ((n + 4) / 5)},
		} {
			got, err := b.opts.RawQueryInt(ctx, st, q.sql)
			must(t, err)
			if got != q.want {
				t.Fatalf("%s = %d, want %d", q.sql, got, q.want)
			}
		}
	}
	wantCounts(t, "the same file again", importTxns(t, ctx, st, changed...), storage.ImportCounts{Unchanged: n})

	// Repeated ids: rows appended after the whole file (lines n+2 on).
	for _, tt := range []struct {
		name  string
		extra []facts.Transaction
		want  storage.DuplicateError
	}{
		{"unchanged twice, chunks apart", []facts.Transaction{changed[3]}, storage.DuplicateError{ID: "T00003", Line: n + 2, FirstLine: 5}},
		{"unchanged then changed", []facts.Transaction{txn("T00010", "2027-02-01", "a", "west", "1")}, storage.DuplicateError{ID: "T00010", Line: n + 2, FirstLine: 12}},
		{"changed then unchanged", nil, storage.DuplicateError{ID: "T00020", Line: n + 2, FirstLine: 22}},
		{"new id twice", []facts.Transaction{txn("N1", "2027-02-01", "a", "west", "1"), txn("N1", "2027-02-01", "a", "west", "2")}, storage.DuplicateError{ID: "N1", Line: n + 3, FirstLine: n + 2}},
		// Unchanged on line 33, changed on line n+2, unchanged again on
		// n+3: the first repeat is line n+2.
		{"three copies", []facts.Transaction{txn("T00031", "2027-02-01", "a", "west", "1"), changed[31]}, storage.DuplicateError{ID: "T00031", Line: n + 2, FirstLine: 33}},
	} {
		file := slices.Clone(changed)
		if tt.name == "changed then unchanged" {
			file[20].Amount = dec("2.22")
			tt.extra = []facts.Transaction{changed[20]}
		}
		file = append(file, tt.extra...)
		err := st.InTx(ctx, func(tx storage.Tx) error {
			if err := stage(tx, file); err != nil {
				return err
			}
			_, err := tx.TransactionMergeStaged(ctx)
			return err
		})
		wantDuplicate(t, tt.name, err, tt.want)
	}
	if got, err := st.TransactionGet(ctx, "T00020"); err != nil || !sameTxn(got, changed[20]) {
		t.Fatalf("T00020 after the refused imports = %+v, %v; want it unchanged", got, err)
	}
}
