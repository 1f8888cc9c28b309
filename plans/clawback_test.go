package plans_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// clawbackBase is a plan with one component of each kind; tests append a
// clawback key.
const clawbackBase = `kind: comp_plan
name: claw
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit:
  - name: direct
measures:
  - name: bookings
  - name: ytd_bookings
    window: ytd
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
  - name: accelerator
    type: rate_table
    measure: bookings
    tiers:
      - {from: 0, rate: 0.02}
  - name: bonus
    type: formula
    amount: 100
  - name: ytd_commission
    type: per_credit
    cumulative: true
    amount: credit.amount * 0.01
`

func TestClawbackCheck(t *testing.T) {
	tests := []struct {
		name     string
		clawback string
		want     []string // "line:col: start of message"
		lines    []string // clawback lines of a valid plan
	}{
		{"default components", "clawback:\n  window_days: 90\n", nil, []string{"clawback/commission", "clawback/accelerator"}},
		{"listed, in plan order", "clawback:\n  window_days: 30\n  components: [accelerator, commission]\n", nil, []string{"clawback/commission", "clawback/accelerator"}},
		{"window missing", "clawback:\n  components: [commission]\n", []string{`30:3: clawback: missing required key "window_days"`}, nil},
		{"window zero", "clawback:\n  window_days: 0\n", []string{`30:16: clawback.window_days: want a whole number from 1 to 3660, got "0"`}, nil},
		{"unknown key", "clawback:\n  window_days: 90\n  window: 90\n", []string{`31:3: clawback: unknown key "window"; known keys: window_days, components`}, nil},
		{"unknown component", "clawback:\n  window_days: 90\n  components: [comission]\n", []string{`31:16: clawback.components: no component named "comission" in this plan; did you mean "commission"?`}, nil},
		{"formula", "clawback:\n  window_days: 90\n  components: [bonus]\n", []string{`31:16: clawback.components: component "bonus" is a formula: its payout has no per-deal basis`}, nil},
		{"cumulative would net twice", "clawback:\n  window_days: 90\n  components: [commission, ytd_commission]\n", []string{`31:28: clawback.components: component "ytd_commission" is cumulative: it already nets returns year to date, so a clawback would take the deal back twice`}, nil},
		{"twice", "clawback:\n  window_days: 90\n  components: [commission, commission]\n", []string{`31:28: clawback.components: component "commission" is listed twice`}, nil},
		{"empty list", "clawback:\n  window_days: 90\n  components: []\n", []string{`31:15: clawback.components: the list is empty`}, nil},
		{"not a mapping", "clawback: 90\n", []string{`29:11: clawback: want a mapping of keys to values, got`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := clawbackBase + tt.clawback
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
				if lines := f.Comp.ClawbackLines(); strings.Join(lines, ",") != strings.Join(tt.lines, ",") {
					t.Errorf("ClawbackLines = %v, want %v", lines, tt.lines)
				}
			}
		})
	}
	// A plan whose only components cannot be clawed back.
	src := strings.Replace(clawbackBase, "  - name: commission\n    type: per_credit\n    amount: credit.amount * 0.1\n  - name: accelerator\n    type: rate_table\n    measure: bookings\n    tiers:\n      - {from: 0, rate: 0.02}\n", "", 1) + "clawback:\n  window_days: 90\n"
	_, diags := plans.Load("plan.yaml", []byte(src))
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "nothing could be clawed back") {
		t.Errorf("diagnostics %v, want one saying nothing could be clawed back", diags)
	}
}
