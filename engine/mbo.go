package engine

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// MBOTrace shows how an mbo component paid: TargetAmount × Score, where
// Score is the sum of the objectives' weighted scores.
type MBOTrace struct {
	// TargetRule is the source of the target_amount rule.
	TargetRule   string              `json:"target_rule"`
	TargetAmount decimal.Decimal     `json:"target_amount"`
	Objectives   []MBOObjectiveTrace `json:"objectives"`
	Score        decimal.Decimal     `json:"score"`
	// Voided names the objective whose score below its threshold voided
	// the payout (threshold_scope: all).
	Voided string `json:"voided,omitempty"`
}

// MBOObjectiveTrace is one objective: its score, what of it counted
// (0 below the threshold, at most the cap) and Weighted = Counted × Weight.
type MBOObjectiveTrace struct {
	Objective string           `json:"objective"`
	Weight    decimal.Decimal  `json:"weight"`
	Score     decimal.Decimal  `json:"score"`
	Threshold *decimal.Decimal `json:"threshold,omitempty"`
	Cap       *decimal.Decimal `json:"cap,omitempty"`
	Counted   decimal.Decimal  `json:"counted"`
	Weighted  decimal.Decimal  `json:"weighted"`
}

// indexScores indexes Input.Scores, refusing a score given twice or below 0.
func (c *calc) indexScores() error {
	c.scores = make(map[[2]string]decimal.Decimal, len(c.in.Scores))
	var dup, neg *facts.Score
	for i := range c.in.Scores {
		s := &c.in.Scores[i]
		k := [2]string{s.Person, s.Objective}
		if _, ok := c.scores[k]; ok && (dup == nil || less(s, dup)) {
			dup = s
		}
		if s.Score.Sign() < 0 && (neg == nil || less(s, neg)) {
			neg = s
		}
		c.scores[k] = s.Score
	}
	switch {
	case dup != nil:
		return fmt.Errorf("%w: person %s has two scores for objective %s in %s", ErrInput, dup.Person, dup.Objective, c.in.Period.Label)
	case neg != nil:
		return fmt.Errorf("%w: person %s, objective %s: score %s is negative", ErrInput, neg.Person, neg.Objective, neg.Score)
	}
	return nil
}

func less(a, b *facts.Score) bool {
	if a.Person != b.Person {
		return a.Person < b.Person
	}
	return a.Objective < b.Objective
}

// mbo computes an mbo component: target_amount × Σ weight × counted score.
func (c *calc) mbo(p *facts.Person, comp *plans.Component, env *rules.ComponentEnv, tr *Trace) error {
	if c.scores == nil {
		if err := c.indexScores(); err != nil {
			return err
		}
	}
	m := comp.MBO
	target, err := m.TargetAmount.Program.Decimal(&c.m, env)
	if err != nil {
		return &RuleError{Pos: m.TargetAmount.Pos, Subject: fmt.Sprintf("person %s, component %s", p.ID, comp.Name), Err: err}
	}
	mt := &MBOTrace{TargetRule: m.TargetAmount.Source, TargetAmount: target, Score: decimal.Zero}
	for _, o := range m.Objectives {
		score, ok := c.scores[[2]string{p.ID, o.Name}]
		if !ok {
			return fmt.Errorf("%w: %s: person %s has no score for objective %s of component %s in %s; import it (icomp import mbo) or give it in the plan test's scores", ErrInput, o.Pos, p.ID, o.Name, comp.Name, c.in.Period.Label)
		}
		ot := MBOObjectiveTrace{Objective: o.Name, Weight: o.Weight, Score: score, Threshold: o.Threshold, Cap: o.Cap, Counted: score}
		if o.Threshold != nil && score.LessThan(*o.Threshold) {
			ot.Counted = decimal.Zero
			if m.ThresholdScope == plans.ThresholdAll && mt.Voided == "" {
				mt.Voided = o.Name
			}
		}
		if o.Cap != nil && ot.Counted.GreaterThan(*o.Cap) {
			ot.Counted = *o.Cap
		}
		ot.Weighted = ot.Counted.Mul(o.Weight)
		mt.Score = mt.Score.Add(ot.Weighted)
		mt.Objectives = append(mt.Objectives, ot)
	}
	tr.MBO = mt
	tr.Inputs = inputsOf(env)
	if mt.Voided != "" {
		tr.Computed = decimal.Zero
		return nil
	}
	tr.Computed = target.Mul(mt.Score)
	return nil
}
