package imports_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/plans"
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
		`targets.csv:4: period: period "2027-Q5": want YYYY, YYYY-Qn (n 1-4) or YYYY-Mnn (nn 01-12)`,
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
