package plans_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// holdBase is clawbackBase with typed attributes and a per-deal table;
// tests append a hold key.
var holdBase = strings.Replace(clawbackBase, "credit:\n", `attributes:
  transaction:
    paid_on: date
    invoiced_on: {type: date, default: 2027-01-01}
    terms: number
credit:
`, 1) + `  - name: steps
    type: rate_table
    measure: bookings
    per: deal
    tiers:
      - {from: 0, rate: 0.03}
`

func TestHoldCheck(t *testing.T) {
	tests := []struct {
		name  string
		hold  string
		want  []string // "line:col: start of message"
		lines []string // hold and release lines of a valid plan
	}{
		{"default components", "hold:\n  until: paid_on\n", nil, []string{"hold/commission", "release/commission", "hold/steps", "release/steps"}},
		{"listed, in plan order", "hold:\n  until: paid_on\n  components: [steps, commission]\n  max_days: 180\n", nil, []string{"hold/commission", "release/commission", "hold/steps", "release/steps"}},
		{"until missing", "hold:\n  components: [commission]\n", []string{`41:3: hold: missing required key "until"`}, nil},
		{"undeclared attribute", "hold:\n  until: paid\n", []string{`41:10: hold.until: transaction attribute "paid" is not declared; declare it as a date`}, nil},
		{"not a date", "hold:\n  until: terms\n", []string{`41:10: hold.until: transaction attribute "terms" is declared number at plan.yaml:11:5; the payment date must be declared date`}, nil},
		{"a default would read as paid", "hold:\n  until: invoiced_on\n", []string{`41:10: hold.until: transaction attribute "invoiced_on" has a default`}, nil},
		{"max_days zero", "hold:\n  until: paid_on\n  max_days: 0\n", []string{`42:13: hold.max_days: want a whole number from 1 to 3660, got "0"`}, nil},
		{"aggregate rate table", "hold:\n  until: paid_on\n  components: [accelerator]\n", []string{`42:16: hold.components: component "accelerator" is a rate_table without a per-deal basis`}, nil},
		{"formula", "hold:\n  until: paid_on\n  components: [bonus]\n", []string{`42:16: hold.components: component "bonus" is a formula without a per-deal basis`}, nil},
		{"cumulative", "hold:\n  until: paid_on\n  components: [ytd_commission]\n", []string{`42:16: hold.components: component "ytd_commission" is cumulative`}, nil},
		{"unknown component", "hold:\n  until: paid_on\n  components: [comission]\n", []string{`42:16: hold.components: no component named "comission" in this plan; did you mean "commission"?`}, nil},
		{"twice", "hold:\n  until: paid_on\n  components: [steps, steps]\n", []string{`42:23: hold.components: component "steps" is listed twice`}, nil},
		{"empty list", "hold:\n  until: paid_on\n  components: []\n", []string{`42:15: hold.components: the list is empty`}, nil},
		{"unknown key", "hold:\n  until: paid_on\n  on: paid_on\n", []string{`42:3: hold: unknown key "on"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := holdBase + tt.hold
			f, diags := plans.Load("plan.yaml", []byte(src))
			var got []string
			for _, dg := range diags {
				got = append(got, fmt.Sprintf("%d:%d: %s", dg.Line, dg.Column, dg.Message))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics:\n%s\nwant %d starting:\n%s", strings.Join(got, "\n"), len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("diagnostic %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
			}
			if tt.want == nil {
				if lines := f.Comp.HoldLines(); strings.Join(lines, ",") != strings.Join(tt.lines, ",") {
					t.Errorf("HoldLines = %v, want %v", lines, tt.lines)
				}
			}
		})
	}
}

// A once component, or one whose rules read payout of other components,
// cannot be held or clawed back: what one deal earned through it cannot be
// worked out again in a later period (regression: such plans passed plan
// check, took back 500 a once SPIFF never paid, and never released a
// kicker gated on an MBO payout).
func TestHoldAndClawbackRefuseWhatCannotBeRecomputed(t *testing.T) {
	extra := `  - name: first_deal
    type: per_credit
    amount: credit.amount * 0.1
    once: true
  - name: kicker
    type: per_credit
    gate: payout.commission > 0
    amount: credit.amount * 0.01
`
	for _, tt := range []struct{ section, want string }{
		{"hold:\n  until: paid_on\n  components: [first_deal]\n", `hold.components: component "first_deal" is paid once a year`},
		{"hold:\n  until: paid_on\n  components: [kicker]\n", `hold.components: component "kicker" has a rule (plan.yaml:`},
	} {
		_, diags := plans.Load("plan.yaml", []byte(holdBase+extra+tt.section))
		if len(diags) != 1 || !strings.Contains(diags[0].Message, tt.want) {
			t.Errorf("%q: diagnostics %v, want one saying %q", tt.section, diags, tt.want)
		}
	}
	// The defaults leave them out instead of refusing the plan.
	f, diags := plans.Load("plan.yaml", []byte(holdBase+extra+"hold:\n  until: paid_on\n"))
	if len(diags) != 0 {
		t.Fatalf("default hold: %v", diags)
	}
	for _, i := range f.Comp.Hold.Components {
		if n := f.Comp.Components[i].Name; n == "first_deal" || n == "kicker" {
			t.Errorf("the default hold list has %s", n)
		}
	}
	cb := strings.Replace(holdBase+extra, "attributes:", "clawback:\n  window_days: 90\n  components: [first_deal]\nattributes:", 1)
	if _, diags := plans.Load("plan.yaml", []byte(cb)); len(diags) != 1 || !strings.Contains(diags[0].Message, `clawback.components: component "first_deal" is paid once a year`) {
		t.Errorf("clawback of a once component: %v", diags)
	}
}
