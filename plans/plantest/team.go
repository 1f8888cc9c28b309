package plantest

import (
	"fmt"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
)

// teamPayouts computes the test file's team plans on the case's people
// and transactions: the payout lines the tested plan's overrides read.
func teamPayouts(tf *plans.TestFile, tc plans.TestCase) ([]facts.TeamPayout, error) {
	var out []facts.TeamPayout
	for _, tp := range tf.TeamPlans {
		res, err := engine.Compute(engine.Input{
			Plan: tp.Plan, Targets: tp.Targets, Period: tc.Period,
			People: tc.People, Transactions: tc.Transactions, Hierarchy: tc.Hierarchy(),
		})
		if err != nil {
			return nil, fmt.Errorf("team plan %s failed: %v", tp.Plan.Name, err)
		}
		for _, p := range res.Payouts {
			out = append(out, facts.TeamPayout{Person: p.Person, Plan: tp.Plan.Name, Component: p.Component, Amount: p.Amount})
		}
	}
	return out, nil
}
