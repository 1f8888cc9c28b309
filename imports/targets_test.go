package imports_test

import (
	"errors"
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

// Quota rows become one validated target plan version per target_plan;
// the same file again publishes nothing new.
func TestTargetsImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
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
