package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// Proration, ramps and annual targets (docs/plans.md §20): a payee's
// targets are ramped and prorated by their target plan
// (plans.TargetPlan.TargetFor); rules read the employed fraction of the
// period as `proration` and the fiscal year's target as
// `annual_target.<measure>`; only deals dated inside a payee's employment
// credit them.

// TargetTrace shows how a measure's target was ramped or prorated: the
// target is the sum of the periods' amounts.
type TargetTrace struct {
	// Name is what the rule read: target.<measure> or annual_target.<measure>.
	Name    string                     `json:"name"`
	Target  decimal.Decimal            `json:"target"`
	Periods []plans.TargetPeriodDetail `json:"periods"`
}

// ProrationTrace is the fraction of the period a payee was employed:
// Factor = DaysWorked ÷ Days.
type ProrationTrace struct {
	DaysWorked int             `json:"days_worked"`
	Days       int             `json:"days"`
	Factor     decimal.Decimal `json:"factor"`
}

// adjusted holds one payee's target adjustments, for their traces.
type adjusted struct {
	targets   map[string]TargetTrace // by the name a rule reads
	proration *ProrationTrace
}

// annualTargetMeasures lists, sorted, the measures whose annual target the
// plan's component and step rules read.
func annualTargetMeasures(plan *plans.CompPlan) []string {
	seen := map[string]bool{}
	add := func(r *plans.Rule) {
		if r == nil {
			return
		}
		for _, k := range r.Program.Keys("annual_target") {
			if _, ok := plan.MeasureByName(k); ok {
				seen[k] = true
			}
		}
	}
	for i := range plan.Components {
		c := &plan.Components[i]
		for _, r := range c.ComponentRules() {
			add(r)
		}
	}
	for i := range plan.Steps {
		add(plan.Steps[i].Amount)
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// employmentEnv sets the payee's proration and annual targets in env and
// resets c.adj to the payee's adjustments.
func (c *calc) employmentEnv(pe *payee, env *rules.ComponentEnv) error {
	c.adj = adjusted{targets: map[string]TargetTrace{}}
	env.Proration = one
	days := plans.Days(c.in.Period.Range)
	if worked := plans.EmployedDays(pe.p, c.in.Period.Range); worked < days {
		f := decimal.NewFromInt(int64(worked)).DivRound(decimal.NewFromInt(int64(days)), rules.DivisionPlaces)
		env.Proration = f
		c.adj.proration = &ProrationTrace{DaysWorked: worked, Days: days, Factor: f}
	}
	if c.annualMeasures == nil {
		c.annualMeasures = annualTargetMeasures(c.plan)
	}
	if len(c.annualMeasures) == 0 || c.in.Targets == nil {
		return nil
	}
	env.AnnualTarget = make(map[string]decimal.Decimal, len(c.annualMeasures))
	for _, m := range c.annualMeasures {
		t, detail, ok, err := c.in.Targets.TargetFor(pe.p, m, c.in.Period.Year)
		if err != nil {
			return fmt.Errorf("%w: person %s, measure %s: %v", ErrInput, pe.p.ID, m, err)
		}
		if !ok {
			continue
		}
		env.AnnualTarget[m] = t
		if detail != nil {
			c.adj.targets["annual_target."+m] = TargetTrace{Name: "annual_target." + m, Target: t, Periods: detail}
		}
	}
	return nil
}

// traceAdjustments adds to tr how the targets it read were ramped or
// prorated, and the proration when one of rs reads it.
func (c *calc) traceAdjustments(tr *Trace, rs ...*plans.Rule) {
	seen := map[string]bool{}
	for _, in := range tr.Inputs {
		name := in.Name
		if m, ok := strings.CutPrefix(name, "attainment."); ok {
			name = "target." + m
		}
		if t, ok := c.adj.targets[name]; ok && !seen[name] {
			seen[name] = true
			tr.Targets = append(tr.Targets, t)
		}
	}
	sort.Slice(tr.Targets, func(i, j int) bool { return tr.Targets[i].Name < tr.Targets[j].Name })
	if c.adj.proration == nil {
		return
	}
	for _, r := range rs {
		if r != nil && r.Program.Reads("proration") {
			tr.Proration = c.adj.proration
			return
		}
	}
}
