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
		{"unknown component", "team_plans: [{plan: reps.yaml}]\n", strings.Replace(teamRepPlan, "name: commission", "name: comm", 1),
			`reads commission of plan "reps", which has no such component or step; did you mean "comm"?`},
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

// A plan test person's moves must be in date order, to a person of the
// case, and not to themselves.
func TestPersonMoves(t *testing.T) {
	for _, tt := range []struct {
		name, moves, want string
	}{
		{"fine", `[{from: 2027-02-01, manager: m2}, {from: 2027-03-01, manager: m, role: Lead}]`, ""},
		{"unknown manager", `[{from: 2027-02-01, manager: m9}]`, `r moves to manager "m9", who is not a person of this case`},
		{"out of order", `[{from: 2027-03-01, manager: m2}, {from: 2027-02-01, manager: m}]`, "is not after the move before it"},
		{"themselves", `[{from: 2027-02-01, manager: r}]`, "a person cannot manage themselves"},
		{"no date", `[{manager: m2}]`, `missing required key "from"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "reps.yaml"), []byte(teamRepPlan), 0o644); err != nil {
				t.Fatal(err)
			}
			test := `kind: plan_test
plan: reps.yaml
cases:
  - name: one
    period: 2027-Q1
    people: [{id: m}, {id: m2}, {id: r, manager: m, moves: ` + tt.moves + `}]
    transactions: [{id: T1, date: 2027-01-02, owner: r, amount: 100}]
    expect: {payouts: {r: {commission: 10}}}
`
			if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(test), 0o644); err != nil {
				t.Fatal(err)
			}
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
