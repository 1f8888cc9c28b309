package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
)

// TestMissingTargetsFailPlan: payees whose pay reads a target (a rule
// reading attainment.X or target.X) that the target plan lacks are all
// named, per measure, in one ErrInput, instead of being paid against a
// quota of 0; a plan that reads no target does not care.
func TestMissingTargetsFailPlan(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, planHeader+"targets: quotas\n"+ownerBookings+`components:
  - name: bonus
    type: formula
    gate: attainment.bookings >= 1
    amount: 5000
  - name: kicker
    type: formula
    amount: target.bookings * 0.001
`)
	targets := targetPlan(t, strings.Replace(quotas, "role: AE", "person: ae-1", 1))
	people := []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "ae-3", Role: "AE"}, {ID: "ae-2", Role: "AE"}}
	_, err := engine.Compute(engine.Input{Plan: plan, Targets: targets, Period: quarter(t, "2027-Q1"), People: people, Transactions: bookings("150000")})
	var me *engine.MissingTargetsError
	if !errors.Is(err, engine.ErrInput) || !errors.As(err, &me) {
		t.Fatalf("compute with two AEs without a target: %v, want a *MissingTargetsError", err)
	}
	for _, want := range []string{"plan test", "target plan quotas", "2027-Q1", "measure bookings: 2 person(s) without a target: ae-2, ae-3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := engine.TargetMeasures(plan); len(got) != 1 || got[0] != "bookings" {
		t.Errorf("TargetMeasures = %v, want [bookings]", got)
	}
	// The same people on a plan that reads no target compute.
	free := compPlan(t, planHeader+"targets: quotas\n"+ownerBookings+`components:
  - name: commission
    type: formula
    amount: measure.bookings * 0.1
`)
	if _, err := engine.Compute(engine.Input{Plan: free, Targets: targets, Period: quarter(t, "2027-Q1"), People: people}); err != nil {
		t.Fatalf("a plan reading no target: %v", err)
	}
}
