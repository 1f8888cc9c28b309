package plans_test

import (
	"fmt"

	"github.com/icomp/icomp/plans"
)

// Load reports every problem in a plan at its file, line and column, with
// the offending line and a caret. In a rule the caret points into the
// rule, here on the second line of a block scalar.
func ExampleLoad() {
	src := []byte(`kind: comp_plan
name: example
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quartely
credit: [{name: owner}]
measures: [{name: bookings}]
components:
  - name: commission
    type: formula
    amount: |
      measure.bookings * 0.05
        + measure.bookigns * 0.01
`)
	_, diags := plans.Load("plan.yaml", src)
	fmt.Println(diags)
	// Output:
	// plan.yaml:6:9: plan.period: "quartely" is not one of monthly, quarterly, annual, semimonthly, biweekly; did you mean "quarterly"?
	//     6 | period: quartely
	//       |         ^
	// plan.yaml:14:19: component "commission".amount: unknown measure "bookigns"; did you mean "bookings"?
	//    14 |         + measure.bookigns * 0.01
	//       |                   ^
}
