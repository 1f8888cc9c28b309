package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine"
)

// TestComputeStop: a closed Stop channel stops the calculation with a
// *StoppedError naming the plan and the component (with its rule's
// position) and person it was evaluating.
func TestComputeStop(t *testing.T) {
	t.Parallel()
	in := stopInput(t)
	stop := make(chan struct{})
	close(stop)
	in.Stop = stop
	_, err := engine.Compute(in)
	var se *engine.StoppedError
	if !errors.As(err, &se) {
		t.Fatalf("compute with Stop closed: %v, want a *StoppedError", err)
	}
	if se.Plan != in.Plan.Name || !strings.Contains(err.Error(), "evaluating component ") || !strings.Contains(err.Error(), " for person ") {
		t.Fatalf("stopped error %q: want the plan, the component and the person", err)
	}
	in.Stop = nil
	if _, err := engine.Compute(in); err != nil {
		t.Fatalf("compute without Stop: %v", err)
	}
}

// stopInput is a one-component plan for ae-1 with no transactions, so
// that a stop is seen at the component.
func stopInput(t *testing.T) engine.Input {
	t.Helper()
	plan := compPlan(t, planHeader+ownerBookings+`components:
  - name: commission
    type: formula
    amount: measure.bookings * 0.1
`)
	return engine.Input{Plan: plan, Period: quarter(t, "2027-Q1"), People: ae1}
}
