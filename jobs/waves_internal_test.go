package jobs

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/plans"
)

// overridePlan is a plan named name whose override reads plan src ("":
// no override).
func overridePlan(t *testing.T, name, src string) *plans.CompPlan {
	t.Helper()
	y := "kind: comp_plan\nname: " + name + "\nversion: \"1\"\neffective: {from: 2027-01-01}\ncurrency: USD\nperiod: quarterly\ncredit: [{name: own, to: owner}]\ncomponents:\n"
	if src == "" {
		y += "  - {name: pay, type: formula, amount: 1}\n"
	} else {
		y += "  - {name: pay, type: override, of: team_payouts, plan: " + src + ", components: [pay], rate: 0.1}\n"
	}
	f, diags := plans.Load(name+".yaml", []byte(y))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return f.Comp
}

// An override naming a component its source plan lacks is a plan error
// naming both.
func TestCheckOverrideComponents(t *testing.T) {
	mgr := overridePlan(t, "mgr", "ae")
	ae := overridePlan(t, "ae", "")
	if err := checkOverrideComponents(mgr, map[string]*plans.CompPlan{"ae": ae}); err != nil {
		t.Fatalf("pay of ae: %v", err)
	}
	ae.Components[0].Name = "commission"
	err := checkOverrideComponents(mgr, map[string]*plans.CompPlan{"ae": ae})
	if !errors.Is(err, calc.ErrPlan) || !strings.Contains(err.Error(), "plan mgr, component pay reads pay of plan ae, which has no such component or step (it has commission)") {
		t.Fatalf("err = %v", err)
	}
	// A source plan the run does not know is not checked here.
	if err := checkOverrideComponents(mgr, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPlanWaves(t *testing.T) {
	tests := []struct {
		name  string
		plans [][2]string // name, source
		want  string      // name=wave ..., or the error
		waves int
	}{
		{"no overrides", [][2]string{{"a", ""}, {"b", ""}}, "a=0 b=0", 1},
		{"chain", [][2]string{{"vp", "mgr"}, {"mgr", "ae"}, {"ae", ""}}, "ae=0 mgr=1 vp=2", 3},
		{"source not in the run", [][2]string{{"mgr", "ae"}}, "mgr=0", 1},
		{"cycle", [][2]string{{"a", "b"}, {"b", "c"}, {"c", "a"}, {"d", ""}}, "plans a, b, c read each other's payouts through their override components (a → b → c → a)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []*plans.CompPlan
			for _, p := range tt.plans {
				ps = append(ps, overridePlan(t, p[0], p[1]))
			}
			wave, waves, err := planWaves(ps)
			if tt.waves == 0 {
				if !errors.Is(err, calc.ErrPlan) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range tt.plans {
				got = append(got, p[0]+"="+strconv.Itoa(wave[p[0]]))
			}
			if s := strings.Join(slices.Sorted(slices.Values(got)), " "); s != tt.want || waves != tt.waves {
				t.Fatalf("waves %s (%d), want %s (%d)", s, waves, tt.want, tt.waves)
			}
		})
	}
}
