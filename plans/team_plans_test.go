package plans_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

const teamRepPlan = `kind: comp_plan
name: reps
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit: [{name: own, to: owner}]
components:
  - {name: commission, type: per_credit, amount: credit.amount * 0.1}
`

const teamMgrPlan = `kind: comp_plan
name: mgrs
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit: [{name: team, to: managers, levels: 1}]
components:
  - {name: override, type: override, of: team_payouts, plan: reps, components: [commission], rate: 0.05}
`

// A plan test of a plan with overrides must list the plans they read
// under team_plans; each listed plan is checked against the tested one.
func TestTeamPlans(t *testing.T) {
	monthly := strings.Replace(teamRepPlan, "period: quarterly", "period: monthly", 1)
	tests := []struct {
		name, team, rep, want string
	}{
		{"listed", "team_plans: [{plan: reps.yaml}]\n", teamRepPlan, ""},
		{"missing", "", teamRepPlan, `plan test: plan "mgrs" pays overrides on plan "reps"'s payouts; add team_plans:`},
		{"itself", "team_plans: [{plan: reps.yaml}, {plan: mgrs.yaml}]\n", teamRepPlan, "that is the tested plan itself"},
		{"twice", "team_plans: [{plan: reps.yaml}, {plan: reps.yaml}]\n", teamRepPlan, `plan "reps" is listed twice`},
		{"other frequency", "team_plans: [{plan: reps.yaml}]\n", monthly, `plan "reps" pays monthly and plan "mgrs" pays quarterly`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, src string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("reps.yaml", tt.rep)
			write("mgrs.yaml", teamMgrPlan)
			write("test.yaml", "kind: plan_test\nplan: mgrs.yaml\n"+tt.team+`cases:
  - name: one
    period: 2027-Q1
    people: [{id: m}, {id: r, manager: m}]
    transactions: [{id: T1, date: 2027-01-02, owner: r, amount: 100}]
    expect: {payouts: {m: {override: 0.5}}}
`)
			_, diags, err := plans.Check([]string{filepath.Join(dir, "test.yaml")})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(diags) > 0 {
					t.Fatalf("diagnostics: %v", diags)
				}
				return
			}
			if !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("diagnostics:\n%v\nwant one containing %q", diags, tt.want)
			}
		})
	}
}
