package sqlitestore

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// TestUpgradeFromV6DoesNotPayTwice: a schema v6 database whose payroll
// export paid its payout lines is upgraded; the payout ledger is carried
// over into the payable ledger with those lines marked paid, the chain
// verifies, and settling the same earnings posts nothing new to pay.
// (Regression: the first v7 run made payable lines for everything, and
// the next payroll batch paid the whole period again.)
func TestUpgradeFromV6DoesNotPayTwice(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A v6 ledger: p1's commission 100 then corrected to 120 (a reversal
	// and a new line), all exported; p2's 50, not exported yet.
	st := openAtVersion(t, 6,
		`INSERT INTO run (id, period, status, batch_size, batches, batches_done, plans, digest, error, lines) VALUES (1, '2027-Q1', 'done', 0, 1, 1, 'h', '', '', 4)`,
		`INSERT INTO ledger_line (key, ledger, kind, supersedes, run_id, plan, plan_hash, period, person, subject, amount, detail) VALUES
			('a1', 'payout', 'post', '', 1, 'ae', 'h', '2027-Q1', 'p1', 'commission', '100', '{"earning_code":"COMM","currency":"USD","trace":{}}'),
			('a2', 'payout', 'reversal', 'a1', 1, 'ae', 'h', '2027-Q1', 'p1', 'commission', '-100', '{"earning_code":"COMM","currency":"USD","trace":{}}'),
			('a3', 'payout', 'post', 'a2', 1, 'ae', 'h', '2027-Q1', 'p1', 'commission', '120', '{"earning_code":"COMM","currency":"USD","trace":{}}'),
			('b1', 'payout', 'post', '', 1, 'ae', 'h', '2027-Q1', 'p2', 'commission', '50', '{"earning_code":"COMM","currency":"USD","trace":{}}')`,
		`INSERT INTO export (id, period, pay_date, digest, csv, lines) VALUES (1, '2027-Q1', '2027-04-15', 'd', 'x', 1)`,
		`INSERT INTO export_line (export_id, line_key) VALUES (1, 'a1'), (1, 'a2'), (1, 'a3')`,
	)
	if n, err := audit.SealLegacy(ctx, st); err != nil || n != 3 {
		t.Fatalf("SealLegacy = %d, %v; want the old run, the carry-over run and the export sealed", n, err)
	}
	if rep, err := audit.Verify(ctx, st); err != nil || !rep.OK() {
		t.Fatalf("verify after the upgrade: %+v, %v", rep, err)
	}
	// Settling the same earnings posts nothing: the carried-over payable
	// lines are what settlement computes.
	earned, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: "2027-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	payable, err := calc.Settle(calc.Settlement{Period: period.Calendar{}.Periods(2027, period.Quarterly)[0], Earned: earned})
	if err != nil {
		t.Fatal(err)
	}
	posted, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayableLedger, Period: "2027-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := ledger.Diff(ledger.Fold(posted), payable, ledger.Posting{RunID: 9}); len(diff) != 0 {
		t.Fatalf("settlement after the upgrade would post %+v, want nothing", diff)
	}
	// What payroll already paid stays paid: of the carried-over lines,
	// exactly p1's three are marked exported, and p2's 50 is not.
	exported, err := st.ExportedKeys(ctx, "2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	unpaid := decimal.Zero
	var paidPeople []string
	for _, l := range posted {
		if exported[l.Key] {
			paidPeople = append(paidPeople, l.Person)
		} else {
			unpaid = unpaid.Add(l.Amount)
		}
	}
	if strings.Join(paidPeople, ",") != "p1,p1,p1" || !unpaid.Equal(decimal.NewFromInt(50)) {
		t.Fatalf("paid lines of %v and %s unpaid; want p1's three lines paid and p2's 50 to pay", paidPeople, unpaid)
	}
	// Once sealed, the upgrade never runs again.
	if n, err := audit.SealLegacy(context.Background(), st); err != nil || n != 0 {
		t.Fatalf("second SealLegacy = %d, %v; want nothing", n, err)
	}
}
