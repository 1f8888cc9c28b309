package engine_test

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
)

// TestRecorderAddsUp checks what `icomp explain` relies on: recording a
// person's credits changes no result; the credits recorded for each
// measure sum to its value and count its credits; the deals recorded for
// a per-credit component are the ones its trace counted and priced; and
// what is recorded does not depend on the order of the input.
func TestRecorderAddsUp(t *testing.T) {
	t.Parallel()
	targets := targetPlan(t, realisticTargets)
	planList := []*plans.CompPlan{compPlan(t, realisticPlan), compPlan(t, overlayPlan), compPlan(t, clawbackPlans[0]),
		compPlan(t, dealsPlan), compPlan(t, proratedPlan), compPlan(t, typedPlan), compPlan(t, allMechanicsPlan)}
	q2 := quarter(t, "2027-Q2")
	rapid.Check(t, func(t *rapid.T) {
		plan := planList[rapid.IntRange(0, len(planList)-1).Draw(t, "plan")]
		people, txns, _ := genFacts(t)
		if len(people) == 0 {
			return
		}
		var scores []facts.Score
		for _, p := range people {
			for _, obj := range []string{"csat", "pipeline"} {
				scores = append(scores, facts.Score{Person: p.ID, Objective: obj, Score: decimal.New(rapid.Int64Range(0, 200).Draw(t, "score"), -2)})
			}
		}
		in := engine.Input{Plan: plan, Targets: targets, Period: q2, People: people, Transactions: txns, Scores: scores, FX: propertyFX}
		want, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		person := people[rapid.IntRange(0, len(people)-1).Draw(t, "person")].ID
		rec := &engine.Recorder{Person: person}
		recorded := in
		recorded.Record = rec
		got, err := engine.Compute(recorded)
		if err != nil {
			t.Fatalf("Compute with a recorder: %v", err)
		}
		if diff := firstDifference(canonical(t, got), canonical(t, want)); diff != "" {
			t.Fatalf("recording changed the result: %s", diff)
		}
		for _, m := range got.Measures {
			if m.Person != person {
				continue
			}
			sum := decimal.Zero
			for _, c := range rec.Measures[m.Measure] {
				sum = sum.Add(c.Value)
			}
			if !sum.Equal(m.Value) || len(rec.Measures[m.Measure]) != m.Credits {
				t.Fatalf("measure %s of %s: %d recorded credits sum to %s; the measure is %s over %d credits", m.Measure, person, len(rec.Measures[m.Measure]), sum, m.Value, m.Credits)
			}
		}
		for _, p := range got.Payouts {
			if p.Person != person || p.Trace.Credits == nil {
				continue
			}
			deals := rec.Components[p.Component]
			sum, basis := decimal.Zero, decimal.Zero
			for _, c := range deals {
				sum, basis = sum.Add(c.Value), basis.Add(c.Amount)
			}
			if len(deals) != p.Trace.Credits.Count || !basis.Equal(p.Trace.Credits.Basis) || !sum.Equal(p.Trace.Computed) {
				t.Fatalf("component %s of %s: %d deals recorded (credited %s, priced %s); the trace says %d (credited %s, computed %s)",
					p.Component, person, len(deals), basis, sum, p.Trace.Credits.Count, p.Trace.Credits.Basis, p.Trace.Computed)
			}
		}
		shuffled := recorded
		shuffled.People = rapid.Permutation(people).Draw(t, "people order")
		shuffled.Transactions = rapid.Permutation(txns).Draw(t, "transaction order")
		rec2 := &engine.Recorder{Person: person}
		shuffled.Record = rec2
		if _, err := engine.Compute(shuffled); err != nil {
			t.Fatalf("Compute, shuffled: %v", err)
		}
		if !reflect.DeepEqual(rec2, rec) {
			t.Fatalf("the credits recorded depend on the input's order")
		}
	})
}
