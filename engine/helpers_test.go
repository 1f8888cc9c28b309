package engine_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// d parses an exact decimal; tests write every amount as a string.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// compPlan loads a comp plan from YAML, failing the test on any diagnostic.
func compPlan(tb testing.TB, src string) *plans.CompPlan {
	tb.Helper()
	f, diags := plans.Load("plan.yaml", []byte(src))
	if len(diags) > 0 {
		tb.Fatalf("plan.yaml:\n%v", diags)
	}
	if f.Comp == nil {
		tb.Fatalf("plan.yaml is a %s, want a comp_plan", f.Kind)
	}
	return f.Comp
}

// targetPlan loads a target plan from YAML, failing the test on any diagnostic.
func targetPlan(tb testing.TB, src string) *plans.TargetPlan {
	tb.Helper()
	f, diags := plans.Load("targets.yaml", []byte(src))
	if len(diags) > 0 {
		tb.Fatalf("targets.yaml:\n%v", diags)
	}
	if f.Target == nil {
		tb.Fatalf("targets.yaml is a %s, want a target_plan", f.Kind)
	}
	return f.Target
}

// quarter parses a quarterly period label of a January fiscal year.
func quarter(tb testing.TB, label string) period.Period {
	tb.Helper()
	p, err := period.Calendar{FiscalYearStartMonth: 1}.Parse(label)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// txn builds a transaction; splits are given as person, share pairs.
func txn(id, date, typ, owner, amount string, splits ...string) facts.Transaction {
	t := facts.Transaction{ID: id, Date: period.MustDate(date), Type: typ, Owner: owner, Amount: d(amount)}
	for i := 0; i+1 < len(splits); i += 2 {
		t.Splits = append(t.Splits, facts.Split{Person: splits[i], Share: d(splits[i+1])})
	}
	return t
}

// mustCompute runs the engine and fails the test on error.
func mustCompute(tb testing.TB, in engine.Input) *engine.Result {
	tb.Helper()
	res, err := engine.Compute(in)
	if err != nil {
		tb.Fatalf("Compute: %v", err)
	}
	return res
}

// payout returns the line of person and component, failing the test when
// there is none.
func payout(tb testing.TB, res *engine.Result, person, component string) engine.Payout {
	tb.Helper()
	for _, p := range res.Payouts {
		if p.Person == person && p.Component == component {
			return p
		}
	}
	tb.Fatalf("no payout line for %s / %s", person, component)
	return engine.Payout{}
}

// measure returns the value of person's measure, failing the test when
// there is none.
func measure(tb testing.TB, res *engine.Result, person, name string) engine.MeasureValue {
	tb.Helper()
	for _, m := range res.Measures {
		if m.Person == person && m.Measure == name {
			return m
		}
	}
	tb.Fatalf("no measure %s for %s", name, person)
	return engine.MeasureValue{}
}
