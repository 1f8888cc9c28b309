package engine

import (
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// Eligible returns the people the plan's eligibility rule selects for
// period p, in input order. Compute applies the same rule; callers use
// this to leave out people a plan can never pay before loading their data.
func Eligible(plan *plans.CompPlan, p period.Period, people []facts.Person) ([]facts.Person, error) {
	if plan.Eligibility == nil {
		return people, nil
	}
	var m rules.Machine
	pe := periodEnv(p)
	out := make([]facts.Person, 0, len(people))
	for i := range people {
		env, err := typedPersonEnv(plan, &people[i])
		if err != nil {
			return nil, err
		}
		ok, err := plan.Eligibility.Program.Bool(&m, rules.PersonEnv{Person: env, Period: pe})
		if err != nil {
			return nil, &RuleError{Pos: plan.Eligibility.Pos, Subject: "person " + people[i].ID, Err: err}
		}
		if ok {
			out = append(out, people[i])
		}
	}
	return out, nil
}

// PersonMatches evaluates a person rule (nil matches everyone) for person
// in period p.
func PersonMatches(rule *plans.Rule, p period.Period, person facts.Person) (bool, error) {
	if rule == nil {
		return true, nil
	}
	var m rules.Machine
	ok, err := rule.Program.Bool(&m, rules.PersonEnv{Person: personEnv(&person), Period: periodEnv(p)})
	if err != nil {
		return false, &RuleError{Pos: rule.Pos, Subject: "person " + person.ID, Err: err}
	}
	return ok, nil
}
