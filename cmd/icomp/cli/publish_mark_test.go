package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublishMarksPeriods: publishing a new version of a comp plan, a
// target plan it reads or a settlement policy sends the calculated and
// approved periods it may change back to needing a re-run (payroll cannot
// export numbers the new version would change); a comp plan effective
// only later, or the same content again, marks nothing. Regression test:
// publishing changed nothing, and an approved period could be exported
// with numbers computed by the replaced version.
func TestPublishMarksPeriods(t *testing.T) {
	t.Parallel()
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	targets := readFile(t, "testdata/statement/plans/targets.yaml")
	const policy = `kind: settlement_policy
name: ae-cap
version: "1"
currency: USD
caps:
  - name: quarterly_cap
    eligibility: person.role == "AE"
    amount: 1000000
`
	for _, tc := range []struct {
		name, file, text string
		marked           bool
	}{
		{"the same comp plan again", "plan.yaml", plan, false},
		{"a comp plan effective from 2028", "later.yaml", strings.NewReplacer("name: golden-ae", "name: golden-ae-2028", "from: 2027-01-01", "from: 2028-01-01").Replace(plan), false},
		{"a version of the plan effective from 2027-04-01", "plan.yaml", strings.NewReplacer(`version: "1"`, `version: "2"`, "from: 2027-01-01", "from: 2027-04-01").Replace(plan), false},
		{"a version of the plan ending on 2027-02-28", "plan.yaml", strings.NewReplacer(`version: "1"`, `version: "2"`, "from: 2027-01-01", "from: 2027-01-01\n  to: 2027-02-28").Replace(plan), true},
		{"a new comp plan version", "plan.yaml", strings.Replace(plan, `version: "1"`, `version: "2"`, 1), true},
		{"a new target plan version", "targets.yaml", strings.Replace(targets, `version: "1"`, `version: "2"`, 1), true},
		{"a settlement policy", "policy.yaml", policy, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := fixture(t)
			mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "payroll-lead")
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.file == "targets.yaml" {
				// A target plan is published with the comp plan that reads it.
				writeTemp(t, dir, "plan.yaml", plan)
				path = dir
			}
			r := mustIcomp(t, "--db", db, "plan", "publish", path)
			list := mustIcomp(t, "--db", db, "period", "list").out
			exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1")
			if !tc.marked {
				if strings.Contains(r.errOut, "needs a re-run") || exp.code != ExitOK {
					t.Fatalf("publishing marked 2027-Q1:\n%s\n%s\n%s", r, list, exp)
				}
				return
			}
			if !strings.Contains(r.errOut, "2027-Q1 needs a re-run: ") || !strings.Contains(list, "was published") {
				t.Fatalf("publishing did not mark 2027-Q1:\n%s\n%s", r, list)
			}
			if exp.code == ExitOK {
				t.Fatalf("payroll exported 2027-Q1 after the publication:\n%s", exp)
			}
		})
	}
}

// TestLaterVersionLeavesEarlierPeriods: a version of a plan effective from
// a later date computes the periods from that date on; the periods before
// it keep the version in force then. Regression test: a run computed only
// the newest publication, so after publishing golden-ae version 2 from
// 2027-04-01, running 2027-Q1 again computed nothing for the plan and
// reversed everything version 1 had paid (a closed Q1 would have taken it
// back from everyone in the next payroll).
func TestLaterVersionLeavesEarlierPeriods(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "payroll-lead")
	before := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	v2 := strings.NewReplacer(`version: "1"`, `version: "2"`, "from: 2027-01-01", "from: 2027-04-01", "rate: 0.08}", "rate: 0.10}").Replace(plan)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mustIcomp(t, "--db", db, "plan", "publish", path); strings.Contains(r.errOut, "needs a re-run") {
		t.Fatalf("a version from 2027-04-01 marked an earlier period:\n%s", r)
	}
	if r := mustIcomp(t, "--db", db, "run", "--period", "2027-Q1"); !strings.Contains(r.out, " 0 ledger line(s) posted") {
		t.Fatalf("running 2027-Q1 again after a version from 2027-04-01 posted lines:\n%s", r)
	}
	if after := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out; after != before {
		t.Fatalf("the 2027-Q1 statement changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	q2 := mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	st := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q2").out
	if !strings.Contains(st, "Plan golden-ae (version 2,") || !strings.Contains(st, "× 0.1 = ") {
		t.Fatalf("2027-Q2 did not run version 2:\n%s\n%s", q2, st)
	}
}

// TestRunOfOnePlanKeepsRerunMark: a run of one plan (--plan) does not
// clear the period's needs-a-re-run mark, since what marked it may change
// the other plans; a run of every plan does. Regression test: the one-plan
// run cleared it, and the period could be approved, exported and closed
// without the other plans seeing a late deal.
func TestRunOfOnePlanKeepsRerunMark(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	late := filepath.Join(t.TempDir(), "late.csv")
	if err := os.WriteFile(late, []byte("id,date,type,owner,territory,product,amount,currency\nT090,2027-03-28,new,ae-1,west,core,5000.00,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "import", "transactions", late)
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1", "--plan", "golden-ae")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q1"); r.code == ExitOK || !strings.Contains(r.errOut, "needs a re-run") {
		t.Fatalf("approved 2027-Q1 after a run of one plan:\n%s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
}

// TestPeopleImportMarksPeriods: a people import that changes people from a
// day in or before a calculated or approved period sends it back to
// needing a re-run; changes from a later day, or a new hire after it, do
// not. Regression test: a role changed back to 2027-01-01 left 2027-Q1
// approved, and payroll exported it with the person still paid as an AE.
func TestPeopleImportMarksPeriods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, csv string
		marked    bool
	}{
		{"a role changed from the year's start", "id,role,effective_from\nae-1,SE,2027-01-01\n", true},
		{"a role changed from the next quarter", "id,role,effective_from\nae-1,SE,2027-04-01\n", false},
		{"a termination moved into the quarter", "id,termination_date,effective_from\nae-1,2027-02-15,2027-04-01\n", true},
		{"a new hire after the quarter", "id,name,role,territory,manager,currency,hire_date\nae-9,Neo,AE,west,mgr-1,USD,2027-05-01\n", false},
		{"a new person hired before it", "id,name,role,territory,manager,currency,hire_date\nae-9,Neo,AE,west,mgr-1,USD,2026-05-01\n", true},
		{"the same people again", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := fixture(t)
			mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
			path := "testdata/statement/people.csv"
			if tc.csv != "" {
				path = filepath.Join(t.TempDir(), "people.csv")
				if err := os.WriteFile(path, []byte(tc.csv), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := mustIcomp(t, "--db", db, "import", "people", path)
			exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1")
			if got := strings.Contains(r.errOut, "2027-Q1 needs a re-run: the import changed people"); got != tc.marked || (exp.code == ExitOK) == tc.marked {
				t.Fatalf("marked %v, want %v:\n%s\nexport: %s", got, tc.marked, r, exp)
			}
		})
	}
}

// TestTargetChangeMarksPeriodsOfOlderVersions: a changed target plan
// sends back for a re-run the periods that an older version of a comp
// plan reading it still computes, after a newer version took over from a
// later date. Regression test: only the latest version of each comp plan
// was consulted, so after golden-ae version 2 from 2027-07-01, a changed
// 2027-Q2 quota (imported or published) left the approved 2027-Q2
// exportable with pay computed against the old quota.
func TestTargetChangeMarksPeriodsOfOlderVersions(t *testing.T) {
	t.Parallel()
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	targets := readFile(t, "testdata/statement/plans/targets.yaml")
	v2 := strings.NewReplacer(`version: "1"`, `version: "2"`, "from: 2027-01-01", "from: 2027-07-01").Replace(plan)
	changed := strings.NewReplacer(`version: "1"`, `version: "2"`, "2027-Q2: 100000", "2027-Q2: 120000").Replace(targets)
	for _, how := range []string{"import", "publish"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			db := fixture(t)
			mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
			mustIcomp(t, "--db", db, "period", "approve", "2027-Q2", "--by", "payroll-lead")
			dir := t.TempDir()
			write := func(name, content string) string { return writeTemp(t, dir, name, content) }
			if r := mustIcomp(t, "--db", db, "plan", "publish", write("plan.yaml", v2)); strings.Contains(r.errOut, "needs a re-run") {
				t.Fatalf("a comp plan version from 2027-07-01 marked an earlier period:\n%s", r)
			}
			var r result
			if how == "import" {
				r = mustIcomp(t, "--db", db, "import", "targets", write("q2.csv", "target_plan,role,measure,period,amount\ngolden-quotas,AE,bookings,2027-Q2,120000\n"))
			} else {
				r = mustIcomp(t, "--db", db, "plan", "publish", write("targets.yaml", changed))
			}
			if !strings.Contains(r.errOut, "2027-Q2 needs a re-run: target plan golden-quotas version ") {
				t.Fatalf("the changed 2027-Q2 target did not mark 2027-Q2:\n%s", r)
			}
			if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); exp.code == ExitOK {
				t.Fatalf("payroll exported 2027-Q2 after its target changed:\n%s", exp)
			}
		})
	}
}

// TestPeopleReimportWithEffectiveFromMarksNothing: importing again a
// people file whose rows carry effective_from changes nothing, so it
// marks no computed period and reports every row unchanged; the same file
// with one row genuinely changed still marks. Regression test: a row with
// effective_from never counted as unchanged when deciding what to mark,
// so the re-import reported "0 changed" yet sent the approved 2027-Q1 back
// for a re-run.
func TestPeopleReimportWithEffectiveFromMarksNothing(t *testing.T) {
	t.Parallel()
	const file = "id,name,role,territory,manager,currency,hire_date,effective_from\n" +
		"mgr-1,Mia Okafor,Manager,west,,USD,2021-03-01,2027-01-01\n" +
		"ae-1,Ana Lopez,AE,west,mgr-1,USD,2024-01-15,2027-01-01\n" +
		"ae-2,Bo Chen,AE,east,mgr-1,USD,2025-02-01,2027-01-01\n"
	db := fixture(t)
	dir := t.TempDir()
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
	path := write("people.csv", file)
	if r := mustIcomp(t, "--db", db, "import", "people", path); !strings.Contains(r.errOut, "2027-Q1 needs a re-run: the import changed people") {
		t.Fatalf("the first import of versions from 2027-01-01 did not mark 2027-Q1:\n%s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "payroll-lead")

	r := mustIcomp(t, "--db", db, "import", "people", path)
	if strings.Contains(r.errOut, "needs a re-run") || !strings.Contains(r.out, "0 inserted, 0 changed, 3 unchanged") {
		t.Fatalf("the same file again:\n%s", r)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1"); exp.code != ExitOK {
		t.Fatalf("payroll could not export 2027-Q1 after importing the same file again:\n%s", exp)
	}

	r = mustIcomp(t, "--db", db, "import", "people", write("changed.csv", strings.Replace(file, "Bo Chen,AE,east", "Bo Chen,SE,east", 1)))
	if !strings.Contains(r.errOut, "2027-Q1 needs a re-run: the import changed people") || !strings.Contains(r.out, "0 inserted, 1 changed, 2 unchanged") {
		t.Fatalf("a changed row from 2027-01-01 did not mark 2027-Q1:\n%s", r)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1"); exp.code == ExitOK {
		t.Fatalf("payroll exported 2027-Q1 after a changed person:\n%s", exp)
	}
}

// TestPublishRefusesTakeover: a version published after one with a later
// effective from date, reaching that date, would take over its periods
// (a period runs the newest version that takes effect by its end); it is
// refused, saying how to write it, and publishes nothing. Regression
// test: a correction of this year's version, published after next
// year's, silently computed next year too.
func TestPublishRefusesTakeover(t *testing.T) {
	t.Parallel()
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	version := func(label, effective string) string {
		return strings.NewReplacer(`version: "1"`, `version: "`+label+`"`, "effective:\n  from: 2027-01-01\n", "effective:\n"+effective).Replace(plan)
	}
	db := fixture(t)
	dir := t.TempDir()
	publish := func(name, text string) result {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return icomp(t, "--db", db, "plan", "publish", path)
	}
	if r := publish("next.yaml", version("2028", "  from: 2028-01-01\n")); r.code != ExitOK {
		t.Fatalf("next year's version: %s", r)
	}
	r := publish("fix.yaml", version("1.1", "  from: 2027-01-01\n"))
	if r.code == ExitOK || !strings.Contains(r.errOut, "would take over the periods version 2028 computes from 2028-01-01") || !strings.Contains(r.errOut, "give it to: 2027-12-31") {
		t.Fatalf("an open-ended correction of 2027 after 2028's version: %s", r)
	}
	if r := publish("fix.yaml", version("1.1", "  from: 2027-01-01\n  to: 2027-12-31\n")); r.code != ExitOK {
		t.Fatalf("the correction ending 2027-12-31: %s", r)
	}
}

// TestPublishRefusesFrequencySeam: a version paying at another frequency
// than the one before it must start where a period of both starts;
// otherwise days would be paid twice or not at all. Regression test: a
// monthly version from 2027-08-01 after a quarterly one left July's deals
// unpaid, without a word.
func TestPublishRefusesFrequencySeam(t *testing.T) {
	t.Parallel()
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	db := fixture(t)
	dir := t.TempDir()
	monthly := func(from string) string {
		return writeTemp(t, dir, "m"+from+".yaml", strings.NewReplacer(`version: "1"`, `version: "m`+from+`"`, "from: 2027-01-01", "from: "+from,
			"period: quarterly", "period: monthly").Replace(plan))
	}
	r := icomp(t, "--db", db, "plan", "publish", monthly("2027-08-01"))
	if r.code == ExitOK || !strings.Contains(r.errOut, "2027-08-01 starts no period of both") {
		t.Fatalf("a monthly version from 2027-08-01 after a quarterly one: %s", r)
	}
	if r := icomp(t, "--db", db, "plan", "publish", monthly("2027-07-01")); r.code != ExitOK {
		t.Fatalf("a monthly version from 2027-07-01: %s", r)
	}
}

// TestPublishWarnsAboutClosedPeriods: a version that may change a closed
// period says so, and marks the open period its changes post into, so
// that a clawback or release there is not approved against a closed
// period still paid at the old version's numbers. Regression test: a
// correction at twice the rate, published after 2027-Q1 closed, left
// 2027-Q2 approved, and its clawback of a Q1 deal took back twice what
// Q1 paid.
func TestPublishWarnsAboutClosedPeriods(t *testing.T) {
	t.Parallel()
	plan := readFile(t, "testdata/statement/plans/plan.yaml")
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
	v2 := writeTemp(t, t.TempDir(), "plan.yaml", strings.NewReplacer(`version: "1"`, `version: "2"`, "rate: 0.08}", "rate: 0.16}").Replace(plan))
	r := mustIcomp(t, "--db", db, "plan", "publish", v2)
	if !strings.Contains(r.errOut, "warning: 2027-Q1 is closed and plan golden-ae version 2 may change it") {
		t.Fatalf("publishing a version that changes closed 2027-Q1: %s", r)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); exp.code == ExitOK {
		t.Fatalf("2027-Q2 stayed exportable:\n%s", exp)
	}
}

// TestPublishRefusesRenamedYearToDate: a version taking over during a
// fiscal year may not rename a cumulative component, which nets what
// earlier periods of the year paid under its own name. Regression test: a
// mid-year version renaming ytd_comm to ytd_commission paid the first
// half's commission again.
func TestPublishRefusesRenamedYearToDate(t *testing.T) {
	t.Parallel()
	version := func(v, from, name string) string {
		return `kind: comp_plan
name: ytd
version: "` + v + `"
effective: {from: ` + from + `}
currency: USD
period: quarterly
credit:
  - name: owner
measures:
  - name: bookings
components:
  - name: ` + name + `
    type: per_credit
    cumulative: true
    amount: credit.amount * 0.1
`
	}
	db := filepath.Join(t.TempDir(), "icomp.db")
	dir := t.TempDir()
	mustIcomp(t, "--db", db, "plan", "publish", writeTemp(t, dir, "v1.yaml", version("1", "2027-01-01", "ytd_comm")))
	r := icomp(t, "--db", db, "plan", "publish", writeTemp(t, dir, "v2.yaml", version("2", "2027-07-01", "ytd_commission")))
	if r.code == ExitOK || !strings.Contains(r.errOut, "keep the name ytd_comm") {
		t.Fatalf("a mid-year version renaming a cumulative component: %s", r)
	}
	for _, ok := range []string{version("2", "2027-07-01", "ytd_comm"), version("2028", "2028-01-01", "ytd_commission")} {
		if r := icomp(t, "--db", db, "plan", "publish", writeTemp(t, dir, "ok.yaml", ok)); r.code != ExitOK {
			t.Fatalf("the same name mid-year, or a new name from the next fiscal year: %s", r)
		}
	}
}

// TestPublishWarnsWhenEndingHolds: a version with a to date that holds
// deals or claws them back says what its end forfeits. Regression test:
// ending the plan forfeited held deals and clawbacks without a word.
func TestPublishWarnsWhenEndingHolds(t *testing.T) {
	t.Parallel()
	src := readFile(t, "../../../examples/account-executive/plan.yaml")
	ending := strings.Replace(src, "effective:\n  from: 2027-01-01\n", "effective:\n  from: 2027-01-01\n  to: 2027-06-30\n", 1)
	if ending == src {
		t.Fatal("could not give the plan an end")
	}
	dir := t.TempDir()
	writeTemp(t, dir, "plan.yaml", ending)
	tg := readFile(t, "../../../examples/account-executive/targets.yaml")
	writeTemp(t, dir, "targets.yaml", tg)
	r := icomp(t, "--db", filepath.Join(t.TempDir(), "icomp.db"), "plan", "publish", filepath.Join(dir, "plan.yaml"), filepath.Join(dir, "targets.yaml"))
	if r.code != ExitOK || !strings.Contains(r.errOut, "ends on 2027-06-30; unless a later version takes over") || !strings.Contains(r.errOut, "not clawed back") {
		t.Fatalf("publishing a version ending a plan with a clawback: %s", r)
	}
}

// TestPublishWarnsWhenDroppingClawback: a version without the clawback of
// the version before it says what that forfeits. Regression test: a
// version from 2027-07-01 without clawback: turned cancellations of Q2
// deals into refunds without a word.
func TestPublishWarnsWhenDroppingClawback(t *testing.T) {
	t.Parallel()
	src := readFile(t, "../../../examples/account-executive/plan.yaml")
	i := strings.Index(src, "\nclawback:")
	if i < 0 {
		t.Fatal("the example plan has no clawback section")
	}
	end := i + 1 + strings.Index(src[i+1:], "\n\n")
	if end <= i {
		end = len(src)
	}
	dropped := strings.NewReplacer(`version: "2027.3"`, `version: "2027.9"`, "from: 2027-01-01", "from: 2027-07-01").Replace(src[:i] + src[end:])
	dir := t.TempDir()
	tg := readFile(t, "../../../examples/account-executive/targets.yaml")
	db := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "plan", "publish", writeTemp(t, dir, "v1.yaml", src), writeTemp(t, dir, "targets.yaml", tg))
	r := icomp(t, "--db", db, "plan", "publish", writeTemp(t, dir, "v2.yaml", dropped))
	if r.code != ExitOK || !strings.Contains(r.errOut, "has no clawback: section, and version 2027.3 had one") {
		t.Fatalf("publishing a version without the clawback of the one before: %s", r)
	}
}
