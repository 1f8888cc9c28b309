package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// clawbackPlan pays 10% of each deal and claws it back for 90 days.
const clawbackPlan = `kind: comp_plan
name: claw-ae
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "AE"
credit:
  - name: owner
    to: owner
components:
  - name: commission
    earning_code: COMM
    type: per_credit
    amount: credit.amount * 0.10
clawback:
  window_days: 90
`

// scratchWorkspace is a workspace database (db) in a temporary directory,
// write, which writes a file there and returns its path, and do,
// which runs icomp on the database and fails the test unless it succeeds.
func scratchWorkspace(t *testing.T) (db string, write func(name, text string) string, do func(args ...string) result) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "icomp.db")
	write = func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	do = func(args ...string) result {
		t.Helper()
		return mustIcomp(t, append([]string{"--db", db}, args...)...)
	}
	return db, write, do
}

// TestClawbackEndToEnd: deals paid in 2027-Q1, which is then closed, are
// cancelled. A cancellation dated in Q2 posts a clawback line earned and
// posted in Q2 that names the deal and the period that paid it; one dated
// in the closed Q1 (imported late) posts into Q2 as a labelled
// prior-period adjustment; one outside the window takes nothing back.
func TestClawbackEndToEnd(t *testing.T) {
	t.Parallel()
	db, write, do := scratchWorkspace(t)
	const header = "id,date,type,owner,territory,product,amount,currency,attr.cancels\n"
	do("import", "people", "testdata/statement/people.csv")
	do("import", "transactions", write("q1.csv", header+
		"T-16,2027-01-05,new,ae-1,west,core,20000.00,USD,\n"+
		"T-17,2027-02-10,new,ae-1,west,core,100000.00,USD,\n"+
		"T-18,2027-03-01,new,ae-1,west,core,50000.00,USD,\n"))
	do("plan", "publish", write("plan.yaml", clawbackPlan))
	do("run", "--period", "2027-Q1")
	do("period", "approve", "2027-Q1", "--by", "payroll-lead")
	do("period", "close", "2027-Q1", "--by", "cfo")

	do("import", "transactions", write("cancel.csv", header+
		"C-16,2027-04-20,cancellation,ae-1,west,core,-20000.00,USD,T-16\n"+ // 105 days: outside
		"C-17,2027-04-20,cancellation,ae-1,west,core,-40000.00,USD,T-17\n"+ // 69 days, 40% returned
		"C-18,2027-03-25,cancellation,ae-1,west,core,-50000.00,USD,T-18\n")) // in closed Q1
	if r := do("run", "--period", "2027-Q1"); !strings.Contains(r.errOut, "2027-Q1 is closed: its changes post into 2027-Q2 as prior-period adjustments") {
		t.Fatalf("late run of Q1: %s", r)
	}
	do("run", "--period", "2027-Q2")

	s := do("statement", "--person", "ae-1", "--period", "2027-Q2").out
	for _, want := range []string{
		"clawback/commission [COMM]: -4000.00 USD",
		"C-16 cancels T-16 (deal of 2027-01-05 for 20000, paid in 2027-Q1) on 2027-04-20, 105 days later (window 90 days): returns 20000; cancelled 105 days after the deal, outside the 90-day clawback window: nothing clawed back",
		"C-17 cancels T-17 (deal of 2027-02-10 for 100000, paid in 2027-Q1) on 2027-04-20, 69 days later (window 90 days): returns 40000 = 0.4 of the deal; the deal earned 10000 on 100000 credited (rate 0.1), so -10000 × 0.4 = -4000",
		"prior period 2027-Q1               -5000.00 USD claw-ae clawback/commission: prior-period adjustment: corrects 2027-Q1 (closed)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Q2 statement does not show %q:\n%s", want, s)
		}
	}

	// The clawback lines explain, and recompute to what was posted: the
	// one earned in the closed Q1 was posted into Q2.
	for line, want := range map[string][]string{
		"claw-ae/2027-Q2/ae-1/clawback/commission": {"C-17 cancels T-17", "posted -4000.00 USD", ", the same\n"},
		"claw-ae/2027-Q1/ae-1/clawback/commission": {"posted by run 2 into 2027-Q2", "reason: prior-period adjustment: corrects 2027-Q1 (closed)", "C-18 cancels T-18", "posted -5000.00 USD", ", the same\n"},
	} {
		x := do("explain", line).out
		for _, w := range want {
			if !strings.Contains(x, w) {
				t.Errorf("explain %s lacks %q:\n%s", line, w, x)
			}
		}
	}

	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines, err := st.LedgerLineList(t.Context(), storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: "claw-ae", PostedPeriod: "2027-Q2"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ledger.Line{}
	for _, l := range lines {
		if l.Subject == "clawback/commission" {
			got[l.Period] = l
		}
	}
	for earned, want := range map[string]string{"2027-Q1": "-5000", "2027-Q2": "-4000"} {
		l, ok := got[earned]
		if !ok || !l.Amount.Equal(decimal.RequireFromString(want)) || l.PostedPeriod != "2027-Q2" {
			t.Errorf("clawback line earned in %s: %+v, want %s posted in 2027-Q2", earned, l, want)
		}
	}
	if l := got["2027-Q1"]; !strings.Contains(l.Reason, "prior-period adjustment: corrects 2027-Q1 (closed)") || !strings.Contains(l.Detail, `"cancels":"T-18"`) {
		t.Errorf("late clawback line: reason %q, detail %s", l.Reason, l.Detail)
	}
	if l := got["2027-Q2"]; l.Reason != "" || !strings.Contains(l.Detail, `"period":"2027-Q1"`) {
		t.Errorf("Q2 clawback line: reason %q, detail %s", l.Reason, l.Detail)
	}
}
