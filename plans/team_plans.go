package plans

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// TeamPlan is a plan a plan test computes first, on each case's people
// and transactions, for the payout lines the tested plan's override
// components read.
type TeamPlan struct {
	PlanPath    string
	TargetsPath string
	Plan        *CompPlan
	Targets     *TargetPlan
}

// teamPlans reads a plan test's team_plans: the plans whose payouts the
// tested plan's overrides read, each computed in every case.
func (r *reader) teamPlans(root *yaml.Node, nodes []*yaml.Node, tf *TestFile, load func(path string) (*File, Diagnostics)) {
	dir := filepath.Dir(r.file)
	names := map[string]bool{}
	for i, n := range nodes {
		m := r.mapping(n, fmt.Sprintf("team_plans %d", i+1))
		planNode := m.scalar("plan", true)
		targetsNode := m.scalar("targets", false)
		m.done()
		var tp TeamPlan
		if planNode != nil {
			var f *File
			if tp.PlanPath, f = r.referenced(planNode, "plan", dir, KindCompPlan, load); f != nil {
				tp.Plan = f.Comp
			}
		}
		if targetsNode != nil {
			var f *File
			if tp.TargetsPath, f = r.referenced(targetsNode, "targets", dir, KindTargetPlan, load); f != nil {
				tp.Targets = f.Target
			}
		}
		if tp.Plan == nil {
			continue
		}
		switch {
		case tp.Plan.Targets != "" && tp.Targets == nil && targetsNode == nil:
			r.errorf(n, "%s: plan %q uses targets %q; add targets: with the path of that target plan file", m.what, tp.Plan.Name, tp.Plan.Targets)
		case tp.Targets != nil && tp.Plan.Targets != tp.Targets.Name:
			r.errorf(targetsNode, "%s.targets: %s is target plan %q, but plan %q names targets %q", m.what, targetsNode.Value, tp.Targets.Name, tp.Plan.Name, tp.Plan.Targets)
		case tf.Plan != nil && tp.Plan.Name == tf.Plan.Name:
			r.errorf(planNode, "%s.plan: that is the tested plan itself", m.what)
		case names[tp.Plan.Name]:
			r.errorf(planNode, "%s.plan: plan %q is listed twice", m.what, tp.Plan.Name)
		case tf.Plan != nil && tp.Plan.Calendar != tf.Plan.Calendar:
			r.errorf(planNode, "%s.plan: plan %q's fiscal_year_start %d differs from plan %q's %d; a case computes one period of both", m.what, tp.Plan.Name, tp.Plan.Calendar.FiscalYearStartMonth, tf.Plan.Name, tf.Plan.Calendar.FiscalYearStartMonth)
		case tf.Plan != nil && tp.Plan.Frequency != tf.Plan.Frequency:
			r.errorf(planNode, "%s.plan: plan %q pays %s and plan %q pays %s; a case computes one period of both", m.what, tp.Plan.Name, tp.Plan.Frequency, tf.Plan.Name, tf.Plan.Frequency)
		}
		names[tp.Plan.Name] = true
		tf.TeamPlans = append(tf.TeamPlans, tp)
	}
	if tf.Plan == nil {
		return
	}
	for _, src := range tf.Plan.OverridePlans() {
		if !names[src] {
			r.errorf(root, "plan test: plan %q pays overrides on plan %q's payouts; add team_plans: [{plan: PATH of plan %s}] so that each case computes them", tf.Plan.Name, src, src)
		}
	}
	for _, c := range tf.Plan.Components {
		if c.Override == nil {
			continue
		}
		for _, tp := range tf.TeamPlans {
			if tp.Plan.Name != c.Override.Plan {
				continue
			}
			if missing, known := MissingComponents(tp.Plan, c.Override.Components); len(missing) > 0 {
				r.errorf(root, "plan test: %s: component %q of plan %q reads %s of plan %q, which has no such component or step%s", c.Pos, c.Name, tf.Plan.Name,
					strings.Join(missing, ", "), tp.Plan.Name, didYouMean(missing[0], known))
			}
		}
	}
}
