package engine_test

import (
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// TestProrationAndRamp: targets are ramped from the hire date's target
// period and prorated by days employed; rules read the employed fraction
// as proration and the year's target as annual_target; deals dated
// outside the employment credit nobody; the trace shows each step.
func TestProrationAndRamp(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, planHeader+"targets: quotas\n"+ownerBookings+`components:
  - name: kicker
    type: formula
    amount: target.bookings * 0.01
  - name: guarantee
    type: formula
    amount: 9000 * proration
  - name: year
    type: formula
    amount: annual_target.bookings * 0.001
`)
	const rampDays = `kind: target_plan
name: quotas
version: "1"
period: quarterly
proration: days
targets:
  - role: AE
    measure: bookings
    periods: {2027-Q1: 90000, 2027-Q2: 91000, 2027-Q3: 92000, 2027-Q4: 92000}
    ramp: [0.25, 0.5]
`
	hired := func(hire, term string) facts.Person {
		p := facts.Person{ID: "ae-1", Role: "AE"}
		if hire != "" {
			p.HireDate = period.MustDate(hire)
		}
		if term != "" {
			p.TerminationDate = period.MustDate(term)
		}
		return p
	}
	tests := []struct {
		name, targets, period      string
		person                     facts.Person
		kicker, guarantee, year    string
		measure                    string
		rampStep, worked, workedOf int
	}{
		// No dates: the whole target, a proration of 1.
		{"veteran", rampDays, "2027-Q1", hired("", ""), "900", "9000", "365", "300", 0, 0, 0},
		// Hired 2027-02-15: Q1 is ramp step 1 (25%) and 45 of 90 days:
		// 90,000 × 0.25 × 45/90 = 11,250. Q2 step 2 (50%): 45,500, Q3-Q4 full.
		{"mid-quarter hire", rampDays, "2027-Q1", hired("2027-02-15", ""), "112.5", "4500", "240.75", "200", 1, 45, 90},
		{"second quarter of the ramp", rampDays, "2027-Q2", hired("2027-02-15", ""), "455", "9000", "240.75", "300", 2, 0, 0},
		// Left 2027-05-15: 45 of 91 days of Q2; 91,000 × 45/91 = 45,000.
		{"leaver", rampDays, "2027-Q2", hired("2020-01-01", "2027-05-15"), "450", "4450.55", "135", "0", 0, 45, 91},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			txns := []facts.Transaction{
				txn("T0", "2027-01-05", "new", "ae-1", "100"), // before the mid-quarter hire
				txn("T1", "2027-03-01", "new", "ae-1", "200"),
				txn("T2", "2027-05-20", "new", "ae-1", "300"), // after the leaver left
			}
			res := mustCompute(t, engine.Input{Plan: plan, Targets: targetPlan(t, tt.targets), Period: quarter(t, tt.period),
				People: []facts.Person{tt.person}, Transactions: txns})
			for comp, want := range map[string]string{"kicker": tt.kicker, "guarantee": tt.guarantee, "year": tt.year} {
				if got := payout(t, res, "ae-1", comp).Amount; !got.Equal(d(want)) {
					t.Errorf("%s = %s, want %s", comp, got, want)
				}
			}
			if got := measure(t, res, "ae-1", "bookings").Value; !got.Equal(d(tt.measure)) {
				t.Errorf("bookings = %s, want %s (only deals inside the employment)", got, tt.measure)
			}
			var adj []engine.TargetTrace
			for _, tg := range payout(t, res, "ae-1", "kicker").Trace.Targets {
				if tg.Name == "target.bookings" {
					adj = append(adj, tg)
				}
			}
			if tt.rampStep == 0 && tt.worked == 0 {
				if len(adj) != 0 {
					t.Errorf("trace shows target adjustments %+v for an unadjusted target", adj)
				}
				return
			}
			if len(adj) != 1 || len(adj[0].Periods) != 1 {
				t.Fatalf("trace targets = %+v, want one target of one period", adj)
			}
			pd := adj[0].Periods[0]
			if pd.RampStep != tt.rampStep || pd.Worked != tt.worked || pd.Of != tt.workedOf {
				t.Errorf("trace period = %+v, want ramp step %d, %d of %d days", pd, tt.rampStep, tt.worked, tt.workedOf)
			}
			if g := payout(t, res, "ae-1", "guarantee").Trace.Proration; tt.worked != 0 && (g == nil || g.DaysWorked != tt.worked) {
				t.Errorf("guarantee trace proration = %+v, want %d days", g, tt.worked)
			}
		})
	}
}
