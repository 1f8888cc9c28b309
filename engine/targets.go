package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// missingNamesMax is how many people a MissingTargetsError names per
// measure; the rest are counted.
const missingNamesMax = 20

// MissingTarget is a payee whose pay reads a target the target plan does
// not have for them.
type MissingTarget struct {
	Person  string
	Measure string
}

// MissingTargetsError lists the payees whose pay reads a target (an
// attainment-keyed rate table, or a rule reading target.X or
// attainment.X) that their target plan does not have: computing them
// would pay against a quota of 0. It wraps ErrInput.
type MissingTargetsError struct {
	Plan       string
	TargetPlan string
	Period     string
	// Missing is sorted by measure, then person.
	Missing []MissingTarget
}

func (e *MissingTargetsError) Error() string {
	byMeasure := map[string][]string{}
	var measures []string
	for _, m := range e.Missing {
		if byMeasure[m.Measure] == nil {
			measures = append(measures, m.Measure)
		}
		byMeasure[m.Measure] = append(byMeasure[m.Measure], m.Person)
	}
	var parts []string
	for _, m := range measures {
		people := byMeasure[m]
		names := people
		more := ""
		if len(names) > missingNamesMax {
			names = names[:missingNamesMax]
			more = fmt.Sprintf(" and %d more", len(people)-missingNamesMax)
		}
		parts = append(parts, fmt.Sprintf("measure %s: %d person(s) without a target: %s%s", m, len(people), strings.Join(names, ", "), more))
	}
	src := "it names no target plan"
	if e.TargetPlan != "" {
		src = "target plan " + e.TargetPlan + " has none for them"
	}
	return fmt.Sprintf("%v: plan %s reads targets in %s that %s (add them, e.g. icomp import targets, or make the plan not read them for these people): %s",
		ErrInput, e.Plan, e.Period, src, strings.Join(parts, "; "))
}

// Unwrap makes the error an ErrInput.
func (e *MissingTargetsError) Unwrap() error { return ErrInput }

// TargetMeasures lists, sorted, the measures whose target the plan's pay
// reads: those its attainment-keyed rate tables key on and those its
// component and step rules read as target.X or attainment.X.
func TargetMeasures(plan *plans.CompPlan) []string {
	seen := map[string]bool{}
	add := func(name string) {
		if _, ok := plan.MeasureByName(name); ok {
			seen[name] = true
		}
	}
	addRule := func(r *plans.Rule) {
		if r == nil {
			return
		}
		for _, v := range []string{"target", "attainment"} {
			for _, k := range r.Program.Keys(v) {
				add(k)
			}
		}
	}
	for i := range plan.Components {
		c := &plan.Components[i]
		if c.Type == plans.ComponentRateTable && c.Key == plans.KeyAttainment {
			add(c.Measure)
		}
		for _, r := range c.ComponentRules() {
			addRule(r)
		}
		if c.Curve != nil {
			addRule(c.Curve.Of)
			addRule(c.Curve.Times)
		}
	}
	for i := range plan.Steps {
		addRule(plan.Steps[i].Amount)
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// CheckTargets returns a *MissingTargetsError naming every one of people
// (the plan's payees in p) whose pay reads a target that targets (the
// plan's target plan, nil when it names none) does not have, and nil
// when every target the plan reads is there.
func CheckTargets(plan *plans.CompPlan, targets *plans.TargetPlan, p period.Period, people []facts.Person) error {
	measures := TargetMeasures(plan)
	annual := annualTargetMeasures(plan)
	if len(measures) == 0 && len(annual) == 0 {
		return nil
	}
	e := &MissingTargetsError{Plan: plan.Name, TargetPlan: plan.Targets, Period: p.Label}
	spans := make([]period.Range, 0, len(measures)+len(annual))
	for _, name := range measures {
		m, _ := plan.MeasureByName(name)
		spans = append(spans, p.Window(m.Window))
	}
	for range annual { // annual_target.X reads the whole fiscal year
		spans = append(spans, p.Year)
	}
	for k, name := range append(measures, annual...) {
		span := spans[k]
		for i := range people {
			person := &people[i]
			ok := false
			if targets != nil {
				var err error
				_, ok, err = targets.Target(person.ID, person.Role, name, span)
				if err != nil {
					return fmt.Errorf("%w: person %s, measure %s: %v", ErrInput, person.ID, name, err)
				}
			}
			if !ok {
				e.Missing = append(e.Missing, MissingTarget{Person: person.ID, Measure: name})
			}
		}
	}
	if len(e.Missing) == 0 {
		return nil
	}
	sort.Slice(e.Missing, func(i, j int) bool {
		a, b := e.Missing[i], e.Missing[j]
		if a.Measure != b.Measure {
			return a.Measure < b.Measure
		}
		return a.Person < b.Person
	})
	e.Missing = slices.Compact(e.Missing) // a measure read both as target and annual_target
	return e
}
