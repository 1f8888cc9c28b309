package plans

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans/rules"
)

// ComponentMBO is the component type that pays weighted MBO objectives
// scored per person and period (docs/plans.md §20).
const ComponentMBO = "mbo"

// The scopes of an MBO objective's threshold.
const (
	// ThresholdObjective: a score below its objective's threshold counts 0
	// for that objective.
	ThresholdObjective = "objective"
	// ThresholdAll: a score below its objective's threshold voids the
	// whole MBO payout.
	ThresholdAll = "all"
)

const objectivesMax = 50

// Objective is one weighted MBO objective of an mbo component.
type Objective struct {
	Name string
	Pos  Pos
	// Weight is the objective's share of the payout; the weights of a
	// component sum to 1.
	Weight decimal.Decimal
	// Threshold, when set, is the lowest score that counts; Cap the
	// most a score counts for.
	Threshold *decimal.Decimal
	Cap       *decimal.Decimal
}

// MBO is what an mbo component adds to a Component.
type MBO struct {
	// TargetAmount is the payout at a weighted score of 1.
	TargetAmount *Rule
	Objectives   []Objective
	// ThresholdScope is ThresholdObjective or ThresholdAll.
	ThresholdScope string
}

// mboKeys reads an mbo component's keys (and reports them as misplaced
// on a component of another type), and the keys an mbo component does
// not take. Called before cm.done().
func (r *reader) mboKeys(cm *mapping, c *Component, names rules.Names) {
	isMBO := c.Type == ComponentMBO
	target := cm.rule("target_amount", isMBO, rules.ComponentEnv{}, rules.KindDecimal, names)
	scope := cm.enum("threshold_scope", ThresholdObjective, ThresholdObjective, ThresholdAll)
	objNodes := cm.list("objectives", isMBO)
	if !isMBO {
		for _, k := range []string{"target_amount", "objectives", "threshold_scope"} {
			if kn, ok := cm.keys[k]; ok && c.Type != "" {
				r.errorf(kn, "%s: key %q applies only to %s components, not %s", cm.what, k, ComponentMBO, c.Type)
			}
		}
		return
	}
	for _, k := range []string{"measure", "key", "mode", "tiers", "where", "amount"} {
		if kn, ok := cm.keys[k]; ok {
			r.errorf(kn, "%s: key %q does not apply to %s components, which pay target_amount × the weighted score of their objectives", cm.what, k, ComponentMBO)
		}
	}
	c.MBO = &MBO{TargetAmount: target, ThresholdScope: scope}
	if len(objNodes) > objectivesMax {
		r.errorf(cm.node, "%s: %d objectives; the limit is %d", cm.what, len(objNodes), objectivesMax)
		return
	}
	if cm.has("objectives") && len(objNodes) == 0 && cm.values["objectives"].Kind == yaml.SequenceNode {
		r.errorf(cm.values["objectives"], "%s.objectives: no objectives; give each a name and a weight", cm.what)
	}
	sum := decimal.Zero
	allWeights := true
	seen := map[string]int{}
	for i, on := range objNodes {
		om := r.mapping(on, fmt.Sprintf("%s objective %d", cm.what, i+1))
		o := Objective{Pos: r.pos(on), Name: om.name("name", true)}
		if o.Name != "" {
			om.what = fmt.Sprintf("%s objective %q", cm.what, o.Name)
			if line, dup := seen[o.Name]; dup {
				r.errorf(on, "%s: objective %q is already at line %d", cm.what, o.Name, line)
			}
			seen[o.Name] = on.Line
		}
		w, ok := om.decimal("weight", true)
		if ok && (w.Sign() <= 0 || w.GreaterThan(decimal.NewFromInt(1))) {
			r.errorf(om.values["weight"], "%s.weight: %s is not a fraction above 0 and at most 1 (write 40%% as 0.4)", om.what, w)
		}
		allWeights = allWeights && ok
		o.Weight = w
		sum = sum.Add(w)
		if t, ok := om.decimal("threshold", false); ok {
			if t.Sign() < 0 {
				r.errorf(om.values["threshold"], "%s.threshold: a score threshold cannot be negative", om.what)
			}
			o.Threshold = &t
		}
		if cp, ok := om.decimal("cap", false); ok {
			if cp.Sign() <= 0 {
				r.errorf(om.values["cap"], "%s.cap: %s caps every score at nothing; give the most a score counts for, such as 1.2", om.what, cp)
			} else if o.Threshold != nil && cp.LessThan(*o.Threshold) {
				r.errorf(om.values["cap"], "%s.cap: %s is below the threshold %s", om.what, cp, o.Threshold)
			}
			o.Cap = &cp
		}
		om.done()
		c.MBO.Objectives = append(c.MBO.Objectives, o)
	}
	if allWeights && len(objNodes) > 0 && !sum.Equal(decimal.NewFromInt(1)) {
		r.errorf(cm.values["objectives"], "%s.objectives: weights sum to %s; want exactly 1 (100%%)", cm.what, sum)
	}
}

// Objective returns the objective of the plan's mbo components named
// name, or false.
func (p *CompPlan) Objective(name string) bool {
	for i := range p.Components {
		if m := p.Components[i].MBO; m != nil {
			for _, o := range m.Objectives {
				if o.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// ComponentRules lists the component-level rules of c that are set (amount
// of a formula, gate, cap, an mbo component's target_amount), for code
// that asks what a component's rules read.
func (c *Component) ComponentRules() []*Rule {
	var out []*Rule
	for _, r := range []*Rule{c.Amount, c.Gate, c.Cap} {
		if r != nil {
			out = append(out, r)
		}
	}
	if c.MBO != nil && c.MBO.TargetAmount != nil {
		out = append(out, c.MBO.TargetAmount)
	}
	return out
}

// caseScores reads a plan test case's MBO scores: a list of {person,
// objective, score}, each person in the case, each objective one of the
// plan's, at most one score per person and objective.
func (r *reader) caseScores(cm *mapping, people map[string]bool, tf *TestFile) []facts.Score {
	var out []facts.Score
	seen := map[[2]string]bool{}
	for j, sn := range cm.list("scores", false) {
		sm := r.mapping(sn, fmt.Sprintf("%s score %d", cm.what, j+1))
		s := facts.Score{Person: sm.str("person", true), Objective: sm.str("objective", true)}
		score, ok := sm.decimal("score", true)
		sm.done()
		if ok && score.Sign() < 0 {
			r.errorf(sm.values["score"], "%s.score: a score cannot be negative", sm.what)
		}
		s.Score = score
		if s.Person != "" && !people[s.Person] {
			r.errorf(sm.values["person"], "%s: no person %q in this case%s", sm.what, s.Person, peopleHint(people))
		}
		if s.Objective != "" && tf.Plan != nil && !tf.Plan.Objective(s.Objective) {
			r.errorf(sm.values["objective"], "%s: plan %q has no mbo objective %q", sm.what, tf.Plan.Name, s.Objective)
		}
		k := [2]string{s.Person, s.Objective}
		if seen[k] {
			r.errorf(sn, "%s: %s already has a score for %s in this case", sm.what, s.Person, s.Objective)
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}
