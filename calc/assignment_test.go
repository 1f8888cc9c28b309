package calc

import (
	"testing"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// TestAssignment: the run of days a person is on a plan, from their
// versions over the fiscal year to date, bounds the plan's credits and
// proration; a person off the plan for the whole period is not a payee.
func TestAssignment(t *testing.T) {
	t.Parallel()
	f, diags := plans.Load("plan.yaml", []byte(`kind: comp_plan
name: ae-plan
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "AE"
credit:
  - {name: owner, to: owner}
measures:
  - name: bookings
components:
  - {name: c, type: formula, amount: measure.bookings}
`))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	plan := f.Comp
	v := func(eff, role string, planNames ...string) storage.PersonRecord {
		return storage.PersonRecord{Person: facts.Person{ID: "p1", Role: role}, EffectiveFrom: period.MustDate(eff), Plans: planNames}
	}
	tests := []struct {
		name     string
		period   string
		versions []storage.PersonRecord
		ok       bool
		from, to string
	}{
		{"off the plan from mid-Q1", "2027-Q1", []storage.PersonRecord{v("1900-01-01", "AE"), v("2027-02-15", "SE")}, true, "", "2027-02-14"},
		{"off the plan all of Q2", "2027-Q2", []storage.PersonRecord{v("1900-01-01", "AE"), v("2027-02-15", "SE")}, false, "", ""},
		{"onto the plan mid-Q1", "2027-Q1", []storage.PersonRecord{v("1900-01-01", "SE"), v("2027-02-15", "AE")}, true, "2027-02-15", ""},
		// In Q2 the year to date still starts on 2027-02-15 for ytd windows.
		{"onto the plan, next quarter", "2027-Q2", []storage.PersonRecord{v("1900-01-01", "SE"), v("2027-02-15", "AE")}, true, "2027-02-15", ""},
		{"assigned to another plan by name", "2027-Q1", []storage.PersonRecord{v("1900-01-01", "AE"), v("2027-03-01", "AE", "other")}, true, "", "2027-02-28"},
		// Back on the plan: the last run counts.
		{"off and back on", "2027-Q2", []storage.PersonRecord{v("1900-01-01", "AE"), v("2027-02-01", "SE"), v("2027-05-01", "AE")}, true, "2027-05-01", ""},
		{"a change that keeps the plan", "2027-Q1", []storage.PersonRecord{v("2027-01-10", "AE"), v("2027-02-01", "AE", "ae-plan")}, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := plan.Calendar.Parse(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			rec, ok, err := assignment(plan, p, period.Range{Start: p.Year.Start, End: p.End}, tt.versions)
			if err != nil || ok != tt.ok {
				t.Fatalf("assignment = %v, %v; want ok %v", ok, err, tt.ok)
			}
			if !ok {
				return
			}
			if got := dateOrEmpty(rec.AssignedFrom); got != tt.from {
				t.Errorf("AssignedFrom = %q, want %q", got, tt.from)
			}
			if got := dateOrEmpty(rec.AssignedUntil); got != tt.to {
				t.Errorf("AssignedUntil = %q, want %q", got, tt.to)
			}
		})
	}
}

func dateOrEmpty(d period.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
