package cli

import (
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
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
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

// TestImportFXMarksPeriods: an fx import that changes or adds a rate of a
// month a calculated or approved period shares days with sends it back
// for a re-run, as a late transaction does; one that changes nothing
// marks nothing, and a closed period's change goes to the next open one
// with a warning. Regression test: a changed rate left the approved
// period exportable with pay converted at the old rate.
func TestImportFXMarksPeriods(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
	mustIcomp(t, "--db", db, "plan", "publish", "../../../examples/emea-account-executive")
	mustIcomp(t, "--db", db, "import", "people", write("people.csv", "id,name,role,territory,currency,plans\nemea-ae-1,Ada,EMEA-AE,emea,GBP,emea-ae-quarterly\n"))
	mustIcomp(t, "--db", db, "import", "transactions", write("txns.csv", "id,date,type,owner,amount,currency\n"+
		"E1,2027-01-10,new,emea-ae-1,10000,EUR\nE2,2027-02-14,new,emea-ae-1,1000.00,GBP\nE3,2027-05-14,new,emea-ae-1,1000.00,EUR\n"))
	rates := write("fx.csv", "from,to,month,rate\nGBP,EUR,2027-02,1.1905\nEUR,GBP,2027-03,0.8567\nEUR,GBP,2027-06,0.8567\n")
	mustIcomp(t, "--db", db, "import", "fx", rates)
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "payroll-lead")

	if r := mustIcomp(t, "--db", db, "import", "fx", rates); strings.Contains(r.errOut, "needs a re-run") {
		t.Fatalf("the same rates again: %s", r)
	}
	r := mustIcomp(t, "--db", db, "import", "fx", write("fx2.csv", "from,to,month,rate\nGBP,EUR,2027-02,1.2\nEUR,GBP,2027-06,0.8567\n"))
	if !strings.Contains(r.errOut, "2027-Q1 needs a re-run: the import changed exchange rates in it (icomp run --period 2027-Q1)") || strings.Contains(r.errOut, "2027-Q2") {
		t.Fatalf("a changed GBP→EUR rate for 2027-02: %s", r)
	}
	list := mustIcomp(t, "--db", db, "period", "list").out
	if !strings.Contains(list, "needs a re-run: an fx import changed exchange rates: GBP→EUR 2027-02") {
		t.Fatalf("2027-Q1 is not marked:\n%s", list)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1"); exp.code == ExitOK {
		t.Fatalf("payroll exported 2027-Q1 after the rate changed:\n%s", exp)
	}

	// A closed period: the change posts into the next open one.
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "payroll-lead")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1", "--by", "payroll-lead")
	r = mustIcomp(t, "--db", db, "import", "fx", write("fx3.csv", "from,to,month,rate\nEUR,GBP,2027-03,0.86\n"))
	if !strings.Contains(r.errOut, "warning: 2027-Q1 is closed and the import changed exchange rates in it") {
		t.Fatalf("a changed rate of a closed period: %s", r)
	}
	if list := mustIcomp(t, "--db", db, "period", "list").out; !strings.Contains(list, "needs a re-run: 2027-Q1 (closed): an fx import changed exchange rates: EUR→GBP 2027-03") {
		t.Fatalf("2027-Q2 is not marked for the closed period's change:\n%s", list)
	}
}
