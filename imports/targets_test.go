package imports_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

func importTargets(t *testing.T, b *testBundle, content string) (imports.TargetResult, error) {
	t.Helper()
	return imports.Targets(t.Context(), b.st, strings.NewReader(content), imports.Options{File: "targets.csv", Format: imports.CSV})
}

// publishReader publishes the comp plan of examples/account-executive
// (measure bookings, USD) as ae-quarterly-TARGET, reading target plan
// target.
func (b *testBundle) publishReader(t *testing.T, target string) {
	t.Helper()
	src, err := os.ReadFile("../examples/account-executive/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(strings.Replace(string(src), "\ntargets: ae-quotas-fy2027\n", "\ntargets: "+target+"\n", 1),
		"\nname: ae-quarterly\n", "\nname: ae-quarterly-"+target+"\n", 1))
	f, diags := plans.Load("plan.yaml", src)
	if len(diags) > 0 || f.Comp == nil || f.Comp.Targets != target {
		t.Fatalf("reader of %s: %v", target, diags)
	}
	err = b.st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name,
			Version: f.Comp.Version, File: f.Path, Source: string(src)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Quota rows become one validated target plan version per target_plan;
// the same file again publishes nothing new.
func TestTargetsImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishReader(t, "ae-quotas")
	csv := `target_plan,person,role,measure,period,amount
ae-quotas,,AE,bookings,2027-Q1,250000
ae-quotas,,AE,bookings,2027-Q2,260000.50
ae-quotas,ae-2,,bookings,2027-Q1,150000
`
	res, err := importTargets(t, b, csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Published) != 1 || res.Rows != 3 {
		t.Fatalf("result %+v, want one published target plan from 3 rows", res)
	}
	again, err := importTargets(t, b, csv)
	if err != nil || len(again.Published) != 0 || len(again.Unchanged) != 1 {
		t.Fatalf("same file again: %+v, %v; want unchanged", again, err)
	}
	v, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "ae-quotas")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f.Target == nil {
		t.Fatalf("stored target plan does not load: %v", diags)
	}
	half := period.Calendar{FiscalYearStartMonth: 1}
	q1, _ := half.Parse("2027-Q1")
	h1 := period.Range{Start: q1.Year.Start, End: q1.Year.Start.AddDays(180)}
	for _, tc := range []struct {
		person, role string
		span         period.Range
		want         string
	}{
		{"ae-1", "AE", q1.Range, "250000"},
		{"ae-2", "AE", q1.Range, "150000"},
		{"ae-1", "AE", h1, "510000.5"},
	} {
		got, ok, err := f.Target.Target(tc.person, tc.role, "bookings", tc.span)
		if err != nil || !ok || got.String() != tc.want {
			t.Errorf("target of %s over %s = %s, %v, %v; want %s", tc.person, tc.span, got, ok, err, tc.want)
		}
	}
}

// A file with any bad row publishes nothing and names each row and field.
func TestTargetsImportProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishReader(t, "q")
	_, err := importTargets(t, b, `target_plan,person,role,measure,period,amount
Bad Plan,,AE,bookings,2027-Q1,1
q,ae-1,AE,bookings,2027-Q1,1
q,,AE,bookings,2027-Q5,1
q,,AE,bookings,2027-Q2,-1
q,,AE,bookings,2027-M01,1
`)
	var ie *imports.Error
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *imports.Error", err)
	}
	wantProblems(t, problems(t, err), []string{
		`targets.csv:2: target_plan: "Bad Plan" is not a valid name; want letters, digits, '-', '_' or '.', starting with a letter`,
		`targets.csv:3: person: give exactly one of person or role`,
		`targets.csv:4: period: period "2027-Q5": want YYYY, YYYY-Qn (n 1-4), YYYY-Mnn (nn 01-12), YYYY-SMnn (nn 01-24) or YYYY-BWnn (nn 01-27)`,
		`targets.csv:5: amount: a target cannot be negative`,
	})
	if vs, err := b.st.PlanVersionListLatest(t.Context(), plans.KindTargetPlan); err != nil || len(vs) != 0 {
		t.Fatalf("target plans after a refused file: %v, %v; want none", vs, err)
	}
	// One target plan has one frequency.
	_, err = importTargets(t, b, `target_plan,person,role,measure,period,amount
q,,AE,bookings,2027-Q1,1
q,,AE,bookings,2027-M04,1
`)
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "targets.csv:3: period: 2027-M04 is a monthly period, but 2027-Q1 (line 2) is quarterly") {
		t.Fatalf("mixed frequencies: %v", err)
	}
}

// targetOf returns the target of the latest version of target plan name
// for person (with role) and measure bookings over the period label, "-"
// when there is none.
func targetOf(t *testing.T, b *testBundle, name, person, role, label string) string {
	t.Helper()
	v, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, name)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f.Target == nil {
		t.Fatalf("stored target plan does not load: %v", diags)
	}
	p, err := f.Target.Calendar.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.Target.Target(person, role, "bookings", p.Range)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "-"
	}
	return got.String()
}

// A targets file for a published target plan adds and changes the
// targets it gives and keeps the others; with Replace the new version
// holds the file's rows only.
func TestTargetsImportMerges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishReader(t, "ae-quotas")
	b.publishReader(t, "other")
	first := `target_plan,person,role,measure,period,amount
ae-quotas,,AE,bookings,2027-Q1,250000
ae-quotas,,AE,bookings,2027-Q2,260000.50
ae-quotas,ae-2,,bookings,2027-Q1,150000
`
	if _, err := importTargets(t, b, first); err != nil {
		t.Fatal(err)
	}
	update := `target_plan,person,role,measure,period,amount
ae-quotas,ae-2,,bookings,2027-Q2,170000
ae-quotas,,AE,bookings,2027-Q1,255000
ae-quotas,ae-1,,bookings,2027-Q3,90000
`
	res, err := importTargets(t, b, update)
	if err != nil || len(res.Published) != 1 {
		t.Fatalf("update: %+v, %v; want one version published", res, err)
	}
	type want struct{ person, role, label, amount string }
	check := func(how string, wants []want) {
		t.Helper()
		for _, w := range wants {
			if got := targetOf(t, b, "ae-quotas", w.person, w.role, w.label); got != w.amount {
				t.Errorf("%s: target of %s/%s in %s = %s, want %s", how, w.person, w.role, w.label, got, w.amount)
			}
		}
	}
	check("merged", []want{
		{"ae-9", "AE", "2027-Q1", "255000"},   // changed
		{"ae-9", "AE", "2027-Q2", "260000.5"}, // kept
		{"ae-2", "AE", "2027-Q1", "150000"},   // kept
		{"ae-2", "AE", "2027-Q2", "170000"},   // added to a kept entry
		{"ae-1", "AE", "2027-Q3", "90000"},    // a new entry
		{"ae-1", "AE", "2027-Q2", "-"},        // ae-1's own entry wins over the role's
	})
	if again, err := importTargets(t, b, update); err != nil || len(again.Published) != 0 || len(again.Unchanged) != 1 {
		t.Fatalf("update again: %+v, %v; want unchanged", again, err)
	}

	res, err = imports.Targets(t.Context(), b.st, strings.NewReader(update), imports.Options{File: "targets.csv", Format: imports.CSV, Replace: true})
	if err != nil || len(res.Published) != 1 {
		t.Fatalf("replace: %+v, %v; want one version published", res, err)
	}
	check("replaced", []want{
		{"ae-9", "AE", "2027-Q1", "255000"},
		{"ae-9", "AE", "2027-Q2", "-"},
		{"ae-2", "AE", "2027-Q1", "-"}, // ae-2's entry now holds Q2 only
		{"ae-2", "AE", "2027-Q2", "170000"},
		{"ae-1", "AE", "2027-Q3", "90000"},
	})

	// Monthly targets cannot merge into a quarterly target plan.
	before, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "ae-quotas")
	if err != nil {
		t.Fatal(err)
	}
	_, err = importTargets(t, b, "target_plan,person,role,measure,period,amount\nother,,AE,bookings,2027-Q1,1\nae-quotas,,AE,bookings,2027-M04,1\n")
	wantProblems(t, problems(t, err), []string{
		"targets.csv:3: period: 2027-M04 is a monthly period, but the published target plan ae-quotas (version " + before.Version + ") is quarterly; its targets cannot be merged with these (import with --replace to replace them)",
	})
	if after, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "ae-quotas"); err != nil || after.Hash != before.Hash {
		t.Fatalf("a refused file published %s (%v), want the latest still %s", after.Hash, err, before.Hash)
	}
	if _, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "other"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a refused file published target plan other: %v", err)
	}
}

// publishTargets publishes the target plan src as it is.
func (b *testBundle) publishTargets(t *testing.T, src string) {
	t.Helper()
	f, diags := plans.Load("targets.yaml", []byte(src))
	if len(diags) > 0 || f.Target == nil {
		t.Fatalf("target plan: %v", diags)
	}
	err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: f.Target.Name,
			Version: f.Target.Version, File: "targets.yaml", Source: src})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// latestTargets loads the latest version of target plan name.
func latestTargets(t *testing.T, b *testBundle, name string) *plans.TargetPlan {
	t.Helper()
	v, err := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, name)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f.Target == nil {
		t.Fatalf("stored target plan does not load: %v", diags)
	}
	return f.Target
}

const rampedTargets = `kind: target_plan
name: ae-quotas
version: "1"
description: Quotas; new hires ramp.
period: quarterly
proration: months
targets:
  # The role quota, ramped for new hires.
  - role: AE
    measure: bookings
    periods: {2027-Q1: 250000, 2027-Q2: 250000}
    ramp: [0.25, 0.5]
  - person: ae-2
    measure: bookings
    annual: 1000000
    fiscal_year: 2027
    seasonality: [0.2, 0.25, 0.25, 0.3]
    ramp: [0.5]
`

// A targets import keeps everything of the published version the file
// does not change: proration, description, ramps, entries written with
// annual and seasonality; a row changing nothing publishes nothing.
// Regression test: the new version was rebuilt without ramp and
// proration, so a new hire's ramped quota became the full one.
func TestTargetsImportKeepsSettings(t *testing.T) {
	t.Parallel()
	type entry struct{ who, periods, ramp string }
	for _, tc := range []struct {
		name, rows string
		replace    bool
		published  bool
		want       []entry
	}{
		{"a row already published", "ae-quotas,,AE,bookings,2027-Q2,250000.00\n", false, false,
			[]entry{{"AE", "2027-Q1=250000 2027-Q2=250000", "[0.25 0.5]"}, {"ae-2", "2027-Q1=200000 2027-Q2=250000 2027-Q3=250000 2027-Q4=300000", "[0.5]"}}},
		{"a changed role target", "ae-quotas,,AE,bookings,2027-Q2,260000\n", false, true,
			[]entry{{"AE", "2027-Q1=250000 2027-Q2=260000", "[0.25 0.5]"}, {"ae-2", "2027-Q1=200000 2027-Q2=250000 2027-Q3=250000 2027-Q4=300000", "[0.5]"}}},
		{"a changed period of an annual entry", "ae-quotas,ae-2,,bookings,2027-Q4,350000\n", false, true,
			[]entry{{"AE", "2027-Q1=250000 2027-Q2=250000", "[0.25 0.5]"}, {"ae-2", "2027-Q1=200000 2027-Q2=250000 2027-Q3=250000 2027-Q4=350000", "[0.5]"}}},
		{"a new entry", "ae-quotas,ae-1,,bookings,2027-Q3,90000\n", false, true,
			[]entry{{"AE", "2027-Q1=250000 2027-Q2=250000", "[0.25 0.5]"}, {"ae-2", "2027-Q1=200000 2027-Q2=250000 2027-Q3=250000 2027-Q4=300000", "[0.5]"}, {"ae-1", "2027-Q3=90000", "[]"}}},
		{"replace", "ae-quotas,,AE,bookings,2027-Q3,300000\n", true, true,
			[]entry{{"AE", "2027-Q3=300000", "[0.25 0.5]"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.publishReader(t, "ae-quotas")
			b.publishTargets(t, rampedTargets)
			res, err := imports.Targets(t.Context(), b.st, strings.NewReader("target_plan,person,role,measure,period,amount\n"+tc.rows),
				imports.Options{File: "targets.csv", Format: imports.CSV, Replace: tc.replace})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Published) == 1; got != tc.published {
				t.Fatalf("published %+v, want a version published: %v", res, tc.published)
			}
			tp := latestTargets(t, b, "ae-quotas")
			if tp.Proration != plans.ProrationMonths || tp.Description != "Quotas; new hires ramp." {
				t.Errorf("proration %q, description %q; want the published ones", tp.Proration, tp.Description)
			}
			var got []entry
			for _, e := range tp.Entries {
				var ps []string
				for _, pt := range e.Periods {
					ps = append(ps, pt.Period.Label+"="+pt.Amount.String())
				}
				got = append(got, entry{e.Person + e.Role, strings.Join(ps, " "), fmt.Sprint(e.Ramp)})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("entries\n%v\nwant\n%v", got, tc.want)
			}
			if v, _ := b.st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "ae-quotas"); tc.name == "a changed role target" &&
				(!strings.Contains(v.Source, "annual: 1000000") || !strings.Contains(v.Source, "# The role quota, ramped for new hires.")) {
				t.Errorf("an entry the file does not name, or a comment, was rewritten:\n%s", v.Source)
			}
		})
	}
}

// Rows that could never apply are refused, naming row and field, and
// nothing is published; a published target plan that no comp plan reads
// yet still takes targets. Regression test: an unknown person, a role
// nobody has, a measure the plans lack, a misspelt target plan name (a
// new target plan for ever) and sub-cent amounts were all published.
func TestTargetsImportRefusesRowsThatNeverApply(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishReader(t, "ae-quotas-fy2027")
	b.publishTargets(t, "kind: target_plan\nname: spare-quotas\nversion: \"1\"\nperiod: quarterly\ntargets:\n  - role: AE\n    measure: anything\n    periods: {2027-Q1: 1}\n")
	for _, tc := range []struct{ row, want string }{
		{"ae-quotas-fy2O27,,AE,bookings,2027-Q4,300000",
			`target_plan: no published comp plan reads target plan "ae-quotas-fy2O27" (with targets: ae-quotas-fy2O27) and none of that name is published, so its targets would never apply; did you mean "ae-quotas-fy2027"?`},
		{"ae-quotas-fy2027,,ae,bookings,2027-Q4,300000",
			`role: no person has role "ae", so its targets would never apply; roles are case-sensitive: did you mean "AE"?`},
		{"ae-quotas-fy2027,,Sales,bookings,2027-Q4,300000",
			`role: no person has role "Sales", so its targets would never apply`},
		{"ae-quotas-fy2027,ae-7,,bookings,2027-Q4,300000",
			`person: unknown person "ae-7"; import people first; did you mean "ae-1"?`},
		{"ae-quotas-fy2027,,AE,booking,2027-Q4,300000",
			`measure: "booking" is not a measure of comp plan ae-quarterly-ae-quotas-fy2027, which reads target plan ae-quotas-fy2027; did you mean "bookings"?`},
		{"ae-quotas-fy2027,,AE,bookings,2027-Q4,300000.505",
			`amount: 300000.505 has more decimal places than USD allows (2), the currency of comp plan ae-quarterly-ae-quotas-fy2027`},
	} {
		_, err := importTargets(t, b, "target_plan,person,role,measure,period,amount\n"+tc.row+"\n")
		wantProblems(t, problems(t, err), []string{"targets.csv:2: " + tc.want})
	}
	if vs, err := b.st.PlanVersionListLatest(t.Context(), plans.KindTargetPlan); err != nil || len(vs) != 1 {
		t.Fatalf("target plans after refused files: %v, %v; want spare-quotas only", vs, err)
	}
	for _, row := range []string{
		"ae-quotas-fy2027,,AE,bookings,2027-Q4,300000.50",
		"ae-quotas-fy2027,ae-1,,bookings,2027-Q4,300000",
		"spare-quotas,,SDR,meetings,2027-Q1,40", // published, read by no comp plan yet: nothing to check the measure against
	} {
		if _, err := importTargets(t, b, "target_plan,person,role,measure,period,amount\n"+row+"\n"); err != nil {
			t.Errorf("%s: %v", row, err)
		}
	}
}
