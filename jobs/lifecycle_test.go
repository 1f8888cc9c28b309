package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

func (b *testBundle) closePeriod(t *testing.T, label string) {
	t.Helper()
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		p, err := periods.Parse(t.Context(), tx, label)
		if err != nil {
			return err
		}
		_, err = periods.Close(t.Context(), tx, p, "test", "2027-04-02T00:00:00Z")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// transition moves period label on with change (periods.Approve or
// periods.Close), by "cfo".
func (b *testBundle) transition(t *testing.T, label string, change func(context.Context, storage.Tx, period.Period, string, string) (storage.PeriodRecord, error)) error {
	t.Helper()
	return b.st.InTx(t.Context(), func(tx storage.Tx) error {
		p, err := periods.Parse(t.Context(), tx, label)
		if err != nil {
			return err
		}
		_, err = change(t.Context(), tx, p, "cfo", "2027-04-02T00:00:00Z")
		return err
	})
}

// failRun publishes a plan that divides by zero and runs testPeriod,
// which fails half-way.
func (b *testBundle) failRun(t *testing.T) {
	t.Helper()
	planPath := filepath.Join(b.dir, "plans", "div-zero.yaml")
	if err := os.MkdirAll(filepath.Dir(planPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planPath, []byte(divZeroPlan), 0o600); err != nil {
		t.Fatal(err)
	}
	b.publish(t, planPath)
	if _, err := b.run(t, jobs.StartParams{Period: testPeriod}); err == nil {
		t.Fatal("run with a plan that divides by zero succeeded")
	}
}

func (b *testBundle) export(t *testing.T, label string) reports.PayrollExport {
	t.Helper()
	pe, err := reports.ExportPayroll(t.Context(), b.st, reports.PayrollRequest{Period: label})
	if err != nil {
		t.Fatalf("export %s: %v", label, err)
	}
	return pe
}

// TestClosedPeriodLateChange: after Q1 is closed, a corrected Q1 deal
// posts exactly the difference into Q2 as labelled prior-period lines, the
// next Q2 payroll batch holds only them, and nothing is posted into Q1.
func TestClosedPeriodLateChange(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: "2027-Q1"})
	b.approve(t, "2027-Q1")
	b.export(t, "2027-Q1")
	b.closePeriod(t, "2027-Q1")
	b.mustRun(t, jobs.StartParams{Period: "2027-Q2"})
	b.approve(t, "2027-Q2")
	b.export(t, "2027-Q2")

	// A closed period's row cannot change, and storage refuses a line
	// posted into it.
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		l := ledger.Line{Ledger: ledger.PayableLedger, Period: "2027-Q1", PostedPeriod: "2027-Q1", Person: "x", Subject: "s", Amount: decimal.NewFromInt(1)}
		l.Key = ledger.PostKey(l, "")
		_, err := tx.LedgerLineInsert(t.Context(), []ledger.Line{l})
		return err
	})
	if !errors.Is(err, storage.ErrPeriodClosed) {
		t.Fatalf("posting into closed 2027-Q1: %v, want ErrPeriodClosed", err)
	}

	beforeQ1 := len(b.lines(t, "2027-Q1"))
	_, txns := dataset()
	changed, txnID := changeAmount(t, txns, "5000")
	b.importTxns(t, changed)
	rerun := b.mustRun(t, jobs.StartParams{Period: "2027-Q1"})
	if rerun.PostedPeriod != "2027-Q2" || rerun.Lines == 0 {
		t.Fatalf("re-run of closed Q1: %+v, want lines posted into 2027-Q2", rerun)
	}
	q1 := b.lines(t, "2027-Q1") // lines earned in Q1, posted anywhere
	if len(q1) != beforeQ1+rerun.Lines {
		t.Fatalf("Q1 earned lines %d, want %d + %d", len(q1), beforeQ1, rerun.Lines)
	}
	for _, l := range q1[beforeQ1:] {
		if l.PostedPeriod != "2027-Q2" || !strings.Contains(l.Reason, "prior-period adjustment: corrects 2027-Q1") {
			t.Fatalf("late line %+v: want posted in 2027-Q2 labelled as correcting 2027-Q1", l)
		}
	}
	// Q2 received lines after approval, and its year-to-date inputs
	// changed: it must be re-run before it can be approved again.
	if rec, err := b.st.PeriodGet(t.Context(), "2027-Q2"); err != nil || rec.Status != storage.PeriodCalculated || rec.NeedsRerun == "" {
		t.Fatalf("2027-Q2 after the late change: %+v, %v; want calculated and needing a re-run", rec, err)
	}
	q2rerun := b.mustRun(t, jobs.StartParams{Period: "2027-Q2"})
	b.approve(t, "2027-Q2")
	pe := b.export(t, "2027-Q2")
	// The batch holds exactly the prior-period payable lines and what the
	// Q2 re-run changed, nothing paid before.
	var want decimal.Decimal
	n := 0
	late := append([]ledger.Line(nil), q1[beforeQ1:]...)
	q2lines, err := b.st.LedgerLineList(t.Context(), storage.LedgerLineListParams{RunID: q2rerun.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range append(late, q2lines...) {
		if l.Ledger == ledger.PayableLedger {
			want = want.Add(l.Amount)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("changing %s changed no payable line", txnID)
	}
	rows := strings.Split(strings.TrimSpace(pe.Export.CSV), "\n")[1:]
	var got decimal.Decimal
	for _, r := range rows {
		f := strings.Split(r, ",")
		if (f[6] != "2027-Q1" && q2rerun.Lines == 0) || f[9] != "2027-Q2" {
			t.Fatalf("batch row %q: want earned 2027-Q1, paid in 2027-Q2", r)
		}
		got = got.Add(decimal.RequireFromString(f[7]))
	}
	if !got.Equal(want) {
		t.Fatalf("batch pays %s, the prior-period lines net to %s:\n%s", got, want, pe.Export.CSV)
	}
	if rep, err := audit.Verify(t.Context(), b.st); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// TestAdjustmentSurvivesRerun: an adjustment becomes a payable line with
// its reason at the next run, and no later re-run reverses it; re-running
// an unchanged period posts nothing.
func TestAdjustmentSurvivesRerun(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	a := storage.Adjustment{Person: "ae-1", Period: testPeriod, Amount: decimal.RequireFromString("250.00"), Currency: "USD",
		EarningCode: "ADJ", Reason: "missed deal T-99", CreatedBy: "admin", CreatedAt: "2027-04-03T00:00:00Z", Source: "cli"}
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		id, err := tx.AdjustmentInsert(t.Context(), a)
		a.ID = id
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	adjusted := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if adjusted.Lines != 1 {
		t.Fatalf("run after an adjustment posted %d lines, want its payable line", adjusted.Lines)
	}
	for range 2 {
		if again := b.mustRun(t, jobs.StartParams{Period: testPeriod}); again.Lines != 0 {
			t.Fatalf("re-run of an unchanged period posted %d lines", again.Lines)
		}
	}
	var found *ledger.Line
	for k, c := range ledger.Fold(b.lines(t, testPeriod)) {
		if k.Ledger == ledger.PayableLedger && strings.HasPrefix(k.Subject, ledger.AdjustmentSubjectPrefix) {
			found = c.Current
		}
	}
	if found == nil || !found.Amount.Equal(a.Amount) || found.EarningCode != "ADJ" || !strings.Contains(found.Reason, "missed deal T-99") {
		t.Fatalf("adjustment line in force %+v, want 250.00 ADJ with its reason", found)
	}
	s, err := reports.BuildStatement(t.Context(), b.st, "ae-1", testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Money.Adjustments) != 1 || s.Money.Adjustments[0].Reason != "missed deal T-99" {
		t.Fatalf("statement adjustments %+v, want the one with its reason", s.Money.Adjustments)
	}
}

// TestApproveRefusesAfterFailedRun: a run that failed part-way leaves part
// of its batches posted; the period cannot be approved until a run
// succeeds.
func TestApproveRefusesAfterFailedRun(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	b.failRun(t)
	err := b.transition(t, testPeriod, periods.Approve)
	if !errors.Is(err, periods.ErrTransition) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("approve after a failed run: %v, want a refusal naming the failed run", err)
	}
}

// TestCloseRefusesAfterFailedRun: an approved period whose last run failed
// half-way holds part of that run's lines; closing it would freeze them.
// Regression test: Close did not check, as Approve does.
func TestCloseRefusesAfterFailedRun(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if err := b.transition(t, testPeriod, periods.Approve); err != nil {
		t.Fatal(err)
	}
	b.failRun(t)
	err := b.transition(t, testPeriod, periods.Close)
	if !errors.Is(err, periods.ErrTransition) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("close after a failed run: %v, want a refusal naming the failed run", err)
	}
}
