package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// semiMonthlyPlan is the published semi-monthly example: commissions paid
// for the 1st-15th and the 16th-end of each month.
const semiMonthlyPlan = "../../../examples/published/semimonthly-commission-periods/plan.yaml"

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A semi-monthly plan published and run on SQLite: each half month is its
// own period, approved and exported on its own, and the payroll file names
// the pay period; a late change to a closed half month posts into the next
// half month.
func TestSemiMonthlyRunAndPayroll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	const txnHeader = "id,date,type,owner,territory,product,amount,currency,splits\n"
	writeFiles(t, dir, map[string]string{
		"people.csv": "id,name,role,territory,manager,currency,hire_date\nrep-1,Rae Park,Rep,west,,USD,2026-06-01\n",
		"txns.csv": txnHeader +
			"C1,2027-01-01,commission,rep-1,west,,200,USD,\n" +
			"C2,2027-01-15,commission,rep-1,west,,300,USD,\n" +
			"C3,2027-01-16,commission,rep-1,west,,75,USD,\n" +
			"C4,2027-01-31,commission,rep-1,west,,25,USD,\n",
		"late.csv": txnHeader + "C5,2027-01-10,commission,rep-1,west,,40,USD,\n",
	})
	mustIcomp(t, "--db", db, "import", "people", filepath.Join(dir, "people.csv"))
	mustIcomp(t, "--db", db, "import", "transactions", filepath.Join(dir, "txns.csv"))
	if r := mustIcomp(t, "--db", db, "plan", "publish", semiMonthlyPlan); !strings.Contains(r.out, "plan tests: 3 passed, 0 failed") {
		t.Fatalf("publish: %s", r)
	}
	if r := icomp(t, "--db", db, "run", "--period", "2027-M01"); r.code == ExitOK {
		t.Fatalf("a monthly run of a semi-monthly workspace: %s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-SM01")
	mustIcomp(t, "--db", db, "run", "--period", "2027-SM02")
	mustIcomp(t, "--db", db, "period", "approve", "2027-SM01")
	mustIcomp(t, "--db", db, "period", "approve", "2027-SM02")

	// Biolief pays the 1st-15th on the 20th; without --pay-date a batch
	// is paid on the period's last day.
	sm01 := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-SM01", "--pay-date", "2027-01-20").out
	if !strings.Contains(sm01, "rep-1,rep-1,Rae Park,published-semimonthly-commission,commission,COMM,2027-SM01,500.00,USD,2027-SM01,2027-01-20,") || strings.Count(sm01, "\n") != 2 {
		t.Fatalf("payroll of 2027-SM01:\n%s", sm01)
	}
	sm02 := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-SM02").out
	if !strings.Contains(sm02, ",COMM,2027-SM02,100.00,USD,2027-SM02,2027-01-31,") || strings.Count(sm02, "\n") != 2 {
		t.Fatalf("payroll of 2027-SM02:\n%s", sm02)
	}
	list := mustIcomp(t, "--db", db, "period", "list").out
	for _, want := range []string{"2027-SM01  2027-01-01  2027-01-15  approved", "2027-SM02  2027-01-16  2027-01-31  approved"} {
		if !strings.Contains(list, want) {
			t.Fatalf("period list does not show %q:\n%s", want, list)
		}
	}

	// A commission found late for the closed first half posts into the
	// second half, labelled, and is paid in its next batch.
	mustIcomp(t, "--db", db, "period", "close", "2027-SM01")
	mustIcomp(t, "--db", db, "import", "transactions", filepath.Join(dir, "late.csv"))
	if r := mustIcomp(t, "--db", db, "run", "--period", "2027-SM01"); !strings.Contains(r.errOut, "2027-SM01 is closed: its changes post into 2027-SM02 as prior-period adjustments") {
		t.Fatalf("run of the closed half month: %s", r)
	}
	// The change reaches 2027-SM02's year to date: it needs a re-run.
	mustIcomp(t, "--db", db, "run", "--period", "2027-SM02")
	mustIcomp(t, "--db", db, "period", "approve", "2027-SM02")
	late := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-SM02", "--pay-date", "2027-02-05").out
	if !strings.Contains(late, ",COMM,2027-SM01,40.00,USD,2027-SM02,2027-02-05,") {
		t.Fatalf("payroll of the late commission:\n%s", late)
	}
	if r := mustIcomp(t, "--db", db, "ledger", "verify"); !strings.HasPrefix(r.out, "ok: ") {
		t.Fatalf("ledger verify: %s", r)
	}
}

func biWeeklyPlan(name, anchor string) string {
	return `kind: comp_plan
name: ` + name + `
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: biweekly
pay_cycle_anchor: ` + anchor + `
credit:
  - name: owner
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`
}

// The first bi-weekly plan sets the company's pay cycles; a later one must
// put its cycles on the same days.
func TestBiWeeklyPayCycles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	writeFiles(t, dir, map[string]string{
		"people.csv": "id,name,role,territory,manager,currency,hire_date\nrep-1,Rae Park,Rep,west,,USD,2026-06-01\n",
		"txns.csv": "id,date,type,owner,territory,product,amount,currency,splits\n" +
			"T1,2027-01-14,new,rep-1,west,,1000,USD,\n" +
			"T2,2027-01-15,new,rep-1,west,,2000,USD,\n" +
			"T3,2027-01-28,new,rep-1,west,,3000,USD,\n" +
			"T4,2027-01-29,new,rep-1,west,,4000,USD,\n",
		"bw.yaml":         biWeeklyPlan("bw", "2027-01-01"),
		"bw-aligned.yaml": biWeeklyPlan("bw-aligned", "2027-01-15"),
		"bw-off.yaml":     biWeeklyPlan("bw-off", "2027-01-08"),
	})
	mustIcomp(t, "--db", db, "import", "people", filepath.Join(dir, "people.csv"))
	mustIcomp(t, "--db", db, "import", "transactions", filepath.Join(dir, "txns.csv"))
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "bw.yaml"))
	if r := icomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "bw-off.yaml")); r.code == ExitOK || !strings.Contains(r.errOut, "plan bw-off has pay_cycle_anchor 2027-01-08, but the company's bi-weekly pay cycles start on 2027-01-01") {
		t.Fatalf("publish a plan with other pay cycles: %s", r)
	}
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "bw-aligned.yaml"))
	// 2027-BW02 is 2027-01-15..01-28: T2 and T3, at 10% in each plan.
	mustIcomp(t, "--db", db, "run", "--period", "2027-BW02")
	mustIcomp(t, "--db", db, "period", "approve", "2027-BW02")
	csv := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-BW02").out
	for _, plan := range []string{"bw", "bw-aligned"} {
		if !strings.Contains(csv, ",Rae Park,"+plan+",commission,commission,2027-BW02,500.00,USD,2027-BW02,2027-01-28,") {
			t.Fatalf("payroll of 2027-BW02 does not pay plan %s 500:\n%s", plan, csv)
		}
	}
	if r := mustIcomp(t, "--db", db, "period", "list"); !strings.Contains(r.out, "2027-BW02  2027-01-15  2027-01-28  approved") {
		t.Fatalf("period list: %s", r)
	}
	if r := icomp(t, "--db", db, "run", "--period", "2027-BW27"); r.code == ExitOK || !strings.Contains(r.errOut, "fiscal year 2027 has 26 bi-weekly pay cycles") {
		t.Fatalf("run of a cycle the year does not have: %s", r)
	}
}
