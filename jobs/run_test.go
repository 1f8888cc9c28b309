package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// testPeriod is the quarter the tests run: the example plans' first.
const testPeriod = "2027-Q1"

// dataset is a generated org (21 people in two regions) and a fiscal year
// of transactions, small enough that a run takes a fraction of a second.
var dataset = sync.OnceValues(func() (people, txns string) {
	cfg := datagen.Config{Regions: 2, Transactions: 2500}
	var p, tx bytes.Buffer
	if err := datagen.WritePeople(&p, cfg); err != nil {
		panic(err)
	}
	if err := datagen.WriteTransactions(&tx, cfg); err != nil {
		panic(err)
	}
	return p.String(), tx.String()
})

type testBundle struct {
	st     *sqlitestore.Store
	runner *jobs.Runner[*riversqlite.Driver, *sql.Tx]
	dir    string
}

// adjust records an adjustment for person in testPeriod.
func (b *testBundle) adjust(t *testing.T, person, amount, reason string) {
	t.Helper()
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.AdjustmentInsert(t.Context(), storage.Adjustment{Person: person, Period: testPeriod, Amount: decimal.RequireFromString(amount),
			Currency: "USD", EarningCode: "ADJ", Reason: reason, CreatedBy: "test", CreatedAt: "2027-04-01T00:00:00Z", Source: "test"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// approve approves a calculated period.
func (b *testBundle) approve(t *testing.T, label string) {
	t.Helper()
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		p, err := periods.Parse(t.Context(), tx, label)
		if err != nil {
			return err
		}
		_, err = periods.Approve(t.Context(), tx, p, "test", "2027-04-01T00:00:00Z")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setup opens a fresh SQLite workspace, wired as the CLI wires it, with a
// River client working jobs in this process. Nothing is imported yet.
func setup(t *testing.T) *testBundle {
	t.Helper()
	b := setupIdle(t, 2)
	b.work(t)
	return b
}

// setupIdle is setup with a River client that works up to workers jobs at
// once, not started yet.
func setupIdle(t *testing.T, workers int) *testBundle {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deps := &jobs.Deps[*sql.Tx]{Store: st, Plans: calc.NewPlanCache()}
	runner, err := jobs.NewRunner[*riversqlite.Driver, *sql.Tx](riversqlite.New(st.DB), deps, jobs.RunnerConfig{FetchCooldown: 5 * time.Millisecond, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{st: st, runner: runner, dir: dir}
}

// work starts the River client working jobs until the test ends.
func (b *testBundle) work(t *testing.T) {
	t.Helper()
	// Not t.Context(): it is cancelled before cleanups run, which would
	// hard-stop the client under the Stop below.
	if err := b.runner.Work(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.runner.Stop(ctx); err != nil {
			t.Errorf("stop River client: %v", err)
		}
	})
}

// setupWithData is setup plus the example plans and the dataset.
func setupWithData(t *testing.T) *testBundle {
	t.Helper()
	b := setup(t)
	b.load(t)
	return b
}

// load imports the dataset and publishes the example plans.
func (b *testBundle) load(t *testing.T) {
	t.Helper()
	people, txns := dataset()
	b.importPeople(t, people)
	if c := b.importTxns(t, txns); c.Inserted == 0 {
		t.Fatalf("transaction import %+v inserted nothing", c)
	}
	b.publish(t, "../examples")
}

func (b *testBundle) importPeople(t *testing.T, content string) storage.ImportCounts {
	t.Helper()
	c, err := imports.People(t.Context(), b.st, strings.NewReader(content), imports.Options{File: "people.csv", Format: imports.CSV})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *testBundle) importTxns(t *testing.T, content string) storage.ImportCounts {
	t.Helper()
	// Through a file, as a user would.
	path := filepath.Join(b.dir, "transactions.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := imports.Transactions(t.Context(), b.st, f, imports.Options{File: path, Format: imports.CSV})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publish checks the plans under paths and stores every comp and target plan.
func (b *testBundle) publish(t *testing.T, paths ...string) {
	t.Helper()
	files, diags, err := plans.Check(paths)
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) > 0 {
		t.Fatalf("plans have problems:\n%v", diags)
	}
	err = b.st.InTx(t.Context(), func(tx storage.Tx) error {
		for _, f := range files {
			var v storage.PlanVersion
			switch {
			case f.Comp != nil:
				v = storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name, Version: f.Comp.Version, File: f.Path, Source: string(f.Comp.Source)}
			case f.Target != nil:
				v = storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: f.Target.Name, Version: f.Target.Version, File: f.Path, Source: string(f.Target.Source)}
			default:
				continue
			}
			if _, err := tx.PlanVersionInsert(t.Context(), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// run starts a run and waits for it; err is the run's failure.
func (b *testBundle) run(t *testing.T, p jobs.StartParams) (storage.Run, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	id, resumed, err := b.runner.Start(ctx, p)
	if err != nil {
		t.Fatalf("start run of %s: %v", p.Period, err)
	}
	if resumed {
		t.Fatalf("start run of %s resumed run %d, want a new run", p.Period, id)
	}
	return b.runner.Wait(ctx, id, 5*time.Millisecond, nil)
}

// mustRun runs a period and fails the test if the run fails.
func (b *testBundle) mustRun(t *testing.T, p jobs.StartParams) storage.Run {
	t.Helper()
	run, err := b.run(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != storage.RunDone {
		t.Fatalf("run %d status %s, want done", run.ID, run.Status)
	}
	return run
}

func (b *testBundle) lines(t *testing.T, periodLabel string) []ledger.Line {
	t.Helper()
	lines, err := b.st.LedgerLineList(t.Context(), storage.LedgerLineListParams{Period: periodLabel})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func (b *testBundle) digest(t *testing.T, periodLabel string) string {
	t.Helper()
	return ledger.Digest(b.lines(t, periodLabel))
}

// inForce is the content of each logical key's line in force.
// inForce gives each logical key's line in force by what it says (its
// identity: amount, currency, earning code and basis); its trace sits
// beside and a trace-only change posts nothing.
func inForce(lines []ledger.Line) map[ledger.Key]string {
	out := map[ledger.Key]string{}
	for k, c := range ledger.Fold(lines) {
		if l := c.Current; l != nil {
			out[k] = l.Amount.String() + "|" + l.Currency + "|" + l.EarningCode + "|" + l.Basis
		}
	}
	return out
}

// changeAmount rewrites one transaction row of a CSV: the first new,
// unsplit deal of an AE dated in the first quarter gets amount+delta.
func changeAmount(t *testing.T, txns string, delta string) (changed, id string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(txns)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[1:] {
		// id,date,type,owner,territory,product,amount,currency,splits,...
		if r[2] == "new" && strings.HasPrefix(r[3], "ae-") && r[1] < "2027-04-01" && r[8] == "" {
			r[6] = decimal.RequireFromString(r[6]).Add(decimal.RequireFromString(delta)).StringFixed(2)
			rows[i+1] = r
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			if err := w.WriteAll(rows); err != nil {
				t.Fatal(err)
			}
			return buf.String(), r[0]
		}
	}
	t.Fatal("no first-quarter AE deal to change in the dataset")
	return "", ""
}

// TestRunBatchSizes: the ledger does not depend on how the people are cut
// into batches or how many batches run at once, neither on a first run nor
// on a re-run after a change.
func TestRunBatchSizes(t *testing.T) {
	t.Parallel()
	type result struct {
		first, rerun, closed string
		lines                int
	}
	var mu sync.Mutex
	results := map[int]result{}
	// (Batch size 0, batches sized by transaction count, is what the other
	// tests run.)
	sizes := []int{1, 7, 1000}
	workers := map[int]int{1: 2, 7: 2, 1000: 1}
	t.Run("sizes", func(t *testing.T) {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("batch size %d, %d workers", size, workers[size]), func(t *testing.T) {
				t.Parallel()
				b := setupIdle(t, workers[size])
				b.work(t)
				b.load(t)
				run := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: size})
				if run.Digest != b.digest(t, testPeriod) {
					t.Fatalf("run digest %s, ledger digest %s", run.Digest, b.digest(t, testPeriod))
				}
				if size == 1 {
					payees := map[string]bool{}
					for _, l := range b.lines(t, testPeriod) {
						if l.Ledger == ledger.PayoutLedger {
							payees[l.Plan+"/"+l.Person] = true
						}
					}
					if run.Batches < len(payees) || len(payees) < 10 {
						t.Fatalf("batch size 1 made %d batches for %d payees, want at least one per payee", run.Batches, len(payees))
					}
				}
				_, txns := dataset()
				changed, _ := changeAmount(t, txns, "5000")
				b.importTxns(t, changed)
				rerun := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: size})
				// An adjustment, then close, then a late change to the closed
				// period: prior-period lines posted into the next quarter.
				b.adjust(t, "ae-1", "75.25", "spot award")
				b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: size})
				b.approve(t, testPeriod)
				b.closePeriod(t, testPeriod)
				b.adjust(t, "ae-2", "-10.00", "over-credited")
				late := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: size})
				if late.PostedPeriod == testPeriod || late.Lines == 0 {
					t.Fatalf("run of the closed period: %+v, want lines posted into the next period", late)
				}
				mu.Lock()
				results[size] = result{first: run.Digest, rerun: rerun.Digest, closed: late.Digest, lines: run.Lines + rerun.Lines + late.Lines}
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	want := results[sizes[0]]
	if want.lines == 0 {
		t.Fatal("the runs posted no lines")
	}
	for _, size := range sizes[1:] {
		if got := results[size]; got != want {
			t.Errorf("batch size %d: digests %s, %s, %s (%d lines); batch size %d: %s, %s, %s (%d lines)",
				size, got.first, got.rerun, got.closed, got.lines, sizes[0], want.first, want.rerun, want.closed, want.lines)
		}
	}
}

// TestRunRerunUnchanged: re-running a period, and re-importing the same
// files before re-running, posts nothing.
func TestRunRerunUnchanged(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	first := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 7})
	if first.Lines == 0 {
		t.Fatal("first run posted nothing")
	}
	n := len(b.lines(t, testPeriod))
	if n != first.Lines {
		t.Fatalf("ledger has %d lines for %s, the run says it posted %d", n, testPeriod, first.Lines)
	}

	second := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 7})
	if second.Lines != 0 || len(b.lines(t, testPeriod)) != n {
		t.Fatalf("re-run of unchanged inputs posted %d lines, want 0", second.Lines)
	}
	if second.Digest != first.Digest {
		t.Fatalf("re-run digest %s, want %s", second.Digest, first.Digest)
	}

	people, txns := dataset()
	if c := b.importPeople(t, people); c.Inserted+c.Changed != 0 {
		t.Fatalf("re-importing people: %+v, want all unchanged", c)
	}
	if c := b.importTxns(t, txns); c.Inserted+c.Changed != 0 {
		t.Fatalf("re-importing transactions: %+v, want all unchanged", c)
	}
	third := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if third.Lines != 0 || len(b.lines(t, testPeriod)) != n || third.Digest != first.Digest {
		t.Fatalf("re-run after re-importing the same files posted %d lines (digest %s), want 0 (%s)", third.Lines, third.Digest, first.Digest)
	}
	runs, err := b.st.RunList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs recorded, want 3", len(runs))
	}
}

// TestRunChangedTransaction: a changed amount posts a reversal and a new
// line for exactly the credit, measure and payout lines it changes, and
// the next payroll export holds only the difference.
func TestRunChangedTransaction(t *testing.T) {
	t.Parallel()
	people, txns := dataset()
	changed, txnID := changeAmount(t, txns, "5000")

	// The reference: the changed data computed from scratch.
	ref := setup(t)
	ref.importPeople(t, people)
	ref.importTxns(t, changed)
	ref.publish(t, "../examples")
	ref.mustRun(t, jobs.StartParams{Period: testPeriod})
	fresh := inForce(ref.lines(t, testPeriod))

	b := setupWithData(t)
	first := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	before := b.lines(t, testPeriod)
	old := inForce(before)
	oldChains := ledger.Fold(before)
	b.approve(t, testPeriod)
	export1, err := reports.ExportPayroll(t.Context(), b.st, reports.PayrollRequest{Period: testPeriod, PayDate: "2027-04-15"})
	if err != nil {
		t.Fatal(err)
	}
	if !export1.New || export1.Rows == 0 {
		t.Fatalf("first export %+v, want new rows", export1)
	}

	if c := b.importTxns(t, changed); c != (storage.ImportCounts{Changed: 1, Unchanged: c.Unchanged}) {
		t.Fatalf("import of the changed file: %+v, want changed=1", c)
	}
	second := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	after := b.lines(t, testPeriod)
	posted := after[len(before):]
	if second.Lines != len(posted) {
		t.Fatalf("run says it posted %d lines, the ledger grew by %d", second.Lines, len(posted))
	}

	// The re-run ledger is in the state a fresh run of the changed data
	// computes.
	now := inForce(after)
	if len(now) != len(fresh) {
		t.Fatalf("%d lines in force after the re-run, a fresh run has %d", len(now), len(fresh))
	}
	for k, v := range fresh {
		if now[k] != v {
			t.Fatalf("%+v: in force after the re-run %q, fresh %q", k, now[k], v)
		}
	}

	// Exactly the lines whose content changed got a reversal and a new line.
	var changedKeys []ledger.Key
	for k, v := range fresh {
		if old[k] != v {
			changedKeys = append(changedKeys, k)
		}
	}
	for k := range old {
		if _, ok := fresh[k]; !ok {
			t.Fatalf("%+v is no longer produced after changing an amount", k)
		}
	}
	if len(posted) != 2*len(changedKeys) {
		t.Fatalf("re-run posted %d lines for %d changed lines, want a reversal and a new line each", len(posted), len(changedKeys))
	}
	byKey := map[ledger.Key][]ledger.Line{}
	for _, l := range posted {
		byKey[ledger.KeyOf(l)] = append(byKey[ledger.KeyOf(l)], l)
	}
	credited := map[string]bool{} // people credited with the changed deal
	ledgers := map[string]int{}
	for _, k := range changedKeys {
		ls := byKey[k]
		if len(ls) != 2 || ls[0].Kind != ledger.KindReversal || ls[1].Kind != ledger.KindPost {
			t.Fatalf("%+v: re-run posted %+v, want a reversal then a new line", k, ls)
		}
		prev := oldChains[k].Current
		if ls[0].Supersedes != prev.Key || !ls[0].Amount.Equal(prev.Amount.Neg()) || ls[1].Supersedes != ls[0].Key || ls[1].RunID != second.ID {
			t.Fatalf("%+v: reversal %+v and new line %+v do not chain onto %s", k, ls[0], ls[1], prev.Key)
		}
		ledgers[k.Ledger]++
		if k.Ledger == ledger.CreditLedger {
			// The new summary line's credits (stored beside it) hold the
			// changed deal at its new version.
			cs, err := b.st.CreditList(t.Context(), []string{ls[1].Key})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range cs {
				found = found || (c.Txn == txnID && c.TxnHash != "")
			}
			if !found {
				t.Fatalf("credit line %+v changed, but its credits %+v do not hold %s, the deal that did", k, cs, txnID)
			}
			credited[k.Plan+"/"+k.Person] = true
		}
	}
	for _, k := range changedKeys {
		if k.Ledger != ledger.CreditLedger && !credited[k.Plan+"/"+k.Person] {
			t.Fatalf("%+v changed, but %s was not credited with %s", k, k.Person, txnID)
		}
	}
	for _, l := range []string{ledger.CreditLedger, ledger.AttainmentLedger, ledger.PayoutLedger} {
		if ledgers[l] == 0 {
			t.Fatalf("no %s line changed (changed: %v); pick a transaction that reaches the payouts", l, ledgers)
		}
	}
	if first.Digest == second.Digest {
		t.Fatal("the digest did not change")
	}

	// The re-run changed what is payable: the approval is gone.
	if rec, err := b.st.PeriodGet(t.Context(), testPeriod); err != nil || rec.Status != storage.PeriodCalculated {
		t.Fatalf("period after the re-run: %+v, %v; want calculated again", rec, err)
	}
	// Payroll gets the difference only.
	b.approve(t, testPeriod)
	export2, err := reports.ExportPayroll(t.Context(), b.st, reports.PayrollRequest{Period: testPeriod, PayDate: "2027-05-15"})
	if err != nil {
		t.Fatal(err)
	}
	if !export2.New {
		t.Fatal("export after the re-run found nothing new")
	}
	names := map[string]string{}
	all, err := b.st.PersonListAsOf(t.Context(), storage.PersonListAsOfParams{Date: period.MustDate("9999-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		names[p.ID] = p.Name
	}
	delta := map[string]decimal.Decimal{}
	lastKey := map[string]string{}
	for _, l := range posted {
		if l.Ledger != ledger.PayableLedger {
			continue
		}
		k := strings.Join([]string{l.Person, l.Plan, l.Subject, l.EarningCode}, ",")
		delta[k] = delta[k].Add(l.Amount)
		lastKey[k] = l.Key
	}
	var want []string
	for k, v := range delta {
		if !v.IsZero() {
			f := strings.Split(k, ",")
			want = append(want, strings.Join([]string{f[0], f[0], names[f[0]], f[1], f[2], f[3], testPeriod, v.StringFixed(2), "USD", testPeriod, "2027-05-15", lastKey[k]}, ","))
		}
	}
	sort.Strings(want)
	if len(want) == 0 {
		t.Fatal("the change did not change any payout")
	}
	got := strings.Split(strings.TrimSuffix(export2.Export.CSV, "\n"), "\n")
	if got[0] != strings.Join(reports.PayrollHeader, ",") || strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
		t.Fatalf("second export:\n%s\nwant the header and only the difference:\n%s", export2.Export.CSV, strings.Join(want, "\n"))
	}

	// Nothing new: asking again repeats batch 2 and says so; another pay
	// date for the same lines is an error naming that batch.
	export3, err := reports.ExportPayroll(t.Context(), b.st, reports.PayrollRequest{Period: testPeriod, PayDate: "2027-05-15"})
	if !errors.Is(err, reports.ErrRepeat) || export3.New || export3.Export.ID != export2.Export.ID || export3.Export.CSV != export2.Export.CSV {
		t.Fatalf("third export %+v, %v; want ErrRepeat with batch %d", export3, err, export2.Export.ID)
	}
	_, err = reports.ExportPayroll(t.Context(), b.st, reports.PayrollRequest{Period: testPeriod, PayDate: "2027-06-15"})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("batch %d", export2.Export.ID)) {
		t.Fatalf("export with another pay date: %v, want an error naming batch %d", err, export2.Export.ID)
	}
}

const divZeroPlan = `kind: comp_plan
name: div-zero
version: "1"
effective:
  from: 2027-01-01
currency: USD
period: quarterly
fiscal_year_start: 1
eligibility: person.role == "AE"
credit:
  - name: owner
    to: owner
    when: txn.type == "new"
measures:
  - name: bookings
    aggregate: sum
    window: period
components:
  - name: ratio
    earning_code: COMM
    type: formula
    amount: measure.bookings / (measure.bookings - measure.bookings)
`

// TestRunRuleErrorFailsRun: a rule that fails at run time fails the run
// with the rule's position, and posts nothing.
func TestRunRuleErrorFailsRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	people, txns := dataset()
	b.importPeople(t, people)
	b.importTxns(t, txns)
	planPath := filepath.Join(b.dir, "plans", "div-zero.yaml")
	if err := os.MkdirAll(filepath.Dir(planPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planPath, []byte(divZeroPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, planPath)

	run, err := b.run(t, jobs.StartParams{Period: testPeriod, BatchSize: 5})
	if err == nil {
		t.Fatalf("run of a plan that divides by zero succeeded: %+v", run)
	}
	if run.Status != storage.RunFailed {
		t.Fatalf("run status %s, want failed", run.Status)
	}
	// The amount rule's value starts at line 22, column 13.
	pos := planPath + ":22:13"
	for _, msg := range []string{run.Error, err.Error()} {
		if !strings.Contains(msg, pos) || !strings.Contains(msg, "division by zero") {
			t.Fatalf("error %q does not name %s and the division by zero", msg, pos)
		}
	}
	if n := len(b.lines(t, testPeriod)); n != 0 {
		t.Fatalf("the failed run left %d ledger lines, want 0", n)
	}
	if _, err := b.st.RunActive(t.Context(), testPeriod); err == nil {
		t.Fatal("the failed run is still active")
	}
	// After a fix, the period runs again.
	fixed := strings.Replace(strings.Replace(divZeroPlan, `version: "1"`, `version: "2"`, 1),
		"measure.bookings / (measure.bookings - measure.bookings)", "measure.bookings / 100", 1)
	if err := os.WriteFile(planPath, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	b.publish(t, planPath)
	if again := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 5}); again.Status != storage.RunDone || again.Lines == 0 {
		t.Fatalf("run after the fix: %+v, want done with lines", again)
	}
}

// TestRunStartResumes: starting a period whose run is in progress returns
// that run instead of a second one.
func TestRunStartResumes(t *testing.T) {
	t.Parallel()
	// Not working jobs yet, so the run stays in progress.
	b := setupIdle(t, 1)
	b.load(t)
	id, resumed, err := b.runner.Start(t.Context(), jobs.StartParams{Period: testPeriod})
	if err != nil || resumed {
		t.Fatalf("first start: run %d, resumed %v, %v", id, resumed, err)
	}
	id2, resumed, err := b.runner.Start(t.Context(), jobs.StartParams{Period: testPeriod, BatchSize: 3})
	if err != nil || !resumed || id2 != id {
		t.Fatalf("second start: run %d, resumed %v, %v; want run %d resumed", id2, resumed, err, id)
	}
	b.work(t)
	run, err := b.runner.Wait(t.Context(), id, 5*time.Millisecond, nil)
	if err != nil || run.Status != storage.RunDone {
		t.Fatalf("run %+v, %v; want done", run, err)
	}
	runs, err := b.st.RunList(t.Context())
	if err != nil || len(runs) != 1 {
		t.Fatalf("%d runs, %v; want 1", len(runs), err)
	}
}

// TestRunNoPlans: a period no published plan covers is refused up front.
func TestRunNoPlans(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, _, err := b.runner.Start(t.Context(), jobs.StartParams{Period: testPeriod})
	if err == nil || !strings.Contains(err.Error(), jobs.ErrNoPlans.Error()) {
		t.Fatalf("start with no plans: %v, want %v", err, jobs.ErrNoPlans)
	}
}
