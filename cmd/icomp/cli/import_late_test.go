package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportTargetsKeepsRampAndMarksPeriods: import targets publishes a
// new target plan version holding everything the published one has (the
// new hire's ramp) and, like icomp plan publish, sends the calculated and
// approved periods the comp plans reading it compute back for a re-run; a
// file that changes nothing publishes nothing and marks nothing.
// Regression test: the import rebuilt the plan without ramp and
// proration (a new hire's ramped 62500 quota became 250000), published a
// new version for an unchanged row, and left approved periods exportable.
func TestImportTargetsKeepsRampAndMarksPeriods(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	mustIcomp(t, "--db", db, "plan", "publish", "../../../examples/account-executive")
	mustIcomp(t, "--db", db, "import", "people", write("people.csv", "id,name,role,hire_date\nae-1,Ana,AE,2024-01-15\nae-9,Neo,AE,2027-04-15\n"))
	mustIcomp(t, "--db", db, "import", "transactions", write("txns.csv", "id,date,type,owner,amount,currency\nT1,2027-05-10,new,ae-9,50000,USD\n"))
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2", "--by", "payroll-lead")
	header := "target_plan,role,measure,period,amount\n"

	r := mustIcomp(t, "--db", db, "import", "targets", write("same.csv", header+"ae-quotas-fy2027,AE,bookings,2027-Q4,300000\n"))
	if !strings.Contains(r.out, "unchanged target plan ae-quotas-fy2027 version 2027.3") || strings.Contains(r.errOut, "needs a re-run") {
		t.Fatalf("a row already published: %s", r)
	}
	if s := mustIcomp(t, "--db", db, "plan", "show", "ae-quotas-fy2027").out; !strings.HasPrefix(s, "# target plan ae-quotas-fy2027 version 2027.3,") {
		t.Fatalf("a row already published published a new version:\n%s", s)
	}

	r = mustIcomp(t, "--db", db, "import", "targets", write("q4.csv", header+"ae-quotas-fy2027,AE,bookings,2027-Q4,310000\n"))
	if !strings.Contains(r.out, "published target plan ae-quotas-fy2027 version import-") ||
		!strings.Contains(r.errOut, "2027-Q2 needs a re-run: target plan ae-quotas-fy2027 version import-") {
		t.Fatalf("a changed target: %s", r)
	}
	d := mustIcomp(t, "--db", db, "plan", "diff", "ae-quotas-fy2027").out
	if strings.Contains(d, "-    ramp") || !strings.Contains(d, "+    periods: {2027-Q1: 250000, 2027-Q2: 250000, 2027-Q3: 300000, 2027-Q4: 310000}") {
		t.Fatalf("the new version does not keep the published one but for Q4:\n%s", d)
	}
	if list := mustIcomp(t, "--db", db, "period", "list").out; !strings.Contains(list, "needs a re-run: target plan ae-quotas-fy2027 version import-") {
		t.Fatalf("2027-Q2 is not marked:\n%s", list)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); exp.code == ExitOK {
		t.Fatalf("payroll exported 2027-Q2 after the targets import:\n%s", exp)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	if s := mustIcomp(t, "--db", db, "statement", "--person", "ae-9", "--period", "2027-Q2").out; !strings.Contains(s, "2027-Q2: 250000 × 0.25 (ramp step 1) = 62500") {
		t.Fatalf("ae-9's ramped quota after the import:\n%s", s)
	}
}
