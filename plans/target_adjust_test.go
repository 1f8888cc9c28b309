package plans_test

import (
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// TestRampAndProrationErrors: mistakes in a ramp or a proration method are
// plan check errors at their line and column.
func TestRampAndProrationErrors(t *testing.T) {
	t.Parallel()
	const head = `kind: target_plan
name: q
version: "1"
period: quarterly
`
	const entry = `targets:
  - role: AE
    measure: bookings
    periods: {2027-Q1: 100}
`
	tests := []struct {
		name, src, want string
	}{
		{"ramp in percent", head + entry + "    ramp: [25, 50]\n", `9:12: target 1.ramp[0]: 25 is not a fraction from 0 to 1 of the full target (write 25% as 0.25)`},
		{"negative step", head + entry + "    ramp: [0.5, -0.1]\n", `9:17: target 1.ramp[1]: -0.1 is not a fraction`},
		{"empty ramp", head + entry + "    ramp: []\n", `9:11: target 1.ramp: an empty ramp`},
		{"ramp not a list", head + entry + "    ramp: 0.5\n", `9:11: target 1.ramp: want a list`},
		{"ramp not a number", head + entry + "    ramp: [half]\n", `9:12: target 1.ramp[0]: want a decimal number`},
		{"unknown method", head + "proration: weeks\n" + entry, `5:12: target plan.proration: "weeks" is not one of none, days, months`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, diags := plans.Load("targets.yaml", []byte(tt.src))
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diagnostics:\n%v\nwant one containing %q", diags, tt.want)
			}
		})
	}
	// The valid forms load.
	for _, ok := range []string{head + "proration: days\n" + entry + "    ramp: [0, 0.5, 1]\n", head + "proration: months\n" + entry, head + "proration: none\n" + entry} {
		if _, diags := plans.Load("targets.yaml", []byte(ok)); len(diags) > 0 {
			t.Errorf("%s:\n%v", ok, diags)
		}
	}
}

// TestMBOErrors: mistakes in an mbo component are plan check errors.
func TestMBOErrors(t *testing.T) {
	t.Parallel()
	const head = `kind: comp_plan
name: p
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit:
  - {name: owner, to: owner}
measures:
  - name: bookings
components:
`
	tests := []struct {
		name, comp, want string
	}{
		{"weights do not sum to 1", "  - {name: m, type: mbo, target_amount: 100, objectives: [{name: a, weight: 0.5}, {name: b, weight: 0.4}]}\n",
			`component "m".objectives: weights sum to 0.9; want exactly 1 (100%)`},
		{"weight in percent", "  - {name: m, type: mbo, target_amount: 100, objectives: [{name: a, weight: 100}]}\n",
			`component "m" objective "a".weight: 100 is not a fraction above 0 and at most 1 (write 40% as 0.4)`},
		{"cap below threshold", "  - {name: m, type: mbo, target_amount: 100, objectives: [{name: a, weight: 1, threshold: 0.8, cap: 0.5}]}\n",
			`component "m" objective "a".cap: 0.5 is below the threshold 0.8`},
		{"duplicate objective", "  - {name: m, type: mbo, target_amount: 100, objectives: [{name: a, weight: 0.5}, {name: a, weight: 0.5}]}\n",
			`component "m": objective "a" is already at line 12`},
		{"no target amount", "  - {name: m, type: mbo, objectives: [{name: a, weight: 1}]}\n",
			`component "m": missing required key "target_amount"`},
		{"amount on an mbo", "  - {name: m, type: mbo, amount: 5, target_amount: 100, objectives: [{name: a, weight: 1}]}\n",
			`component "m": key "amount" does not apply to mbo components`},
		{"objectives on a formula", "  - {name: m, type: formula, amount: 5, objectives: [{name: a, weight: 1}]}\n",
			`component "m": key "objectives" applies only to mbo components, not formula`},
		{"unknown objective key", "  - {name: m, type: mbo, target_amount: 100, objectives: [{name: a, weight: 1, floor: 0.5}]}\n",
			`unknown key "floor"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, diags := plans.Load("plan.yaml", []byte(head+tt.comp))
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diagnostics:\n%v\nwant one containing %q", diags, tt.want)
			}
		})
	}
}
