package engine

import (
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

var one = decimal.NewFromInt(1)

// RuleError is a rule that failed while running, with the plan position
// of the rule and the fact it was evaluating.
type RuleError struct {
	Pos plans.Pos
	// Subject names what the rule was evaluated for ("person ae-1",
	// "transaction T-17").
	Subject string
	Err     error
}

func (e *RuleError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Pos, e.Subject, e.Err) }
func (e *RuleError) Unwrap() error { return e.Err }

// ErrInput marks input that the engine cannot compute with (split shares
// that do not sum to 1, a transaction in another currency, a missing
// target); the error says which fact.
var ErrInput = errors.New("invalid input")

type calc struct {
	in       Input
	m        rules.Machine
	plan     *plans.CompPlan
	places   int32
	yearSpan period.Range
	eligible map[string]*facts.Person
	byTerr   map[string][]string
	credits  map[string][]credit // person → credits over the fiscal year to date
	prior    map[[2]string]decimal.Decimal
}

// credit is a Credit plus the transaction it came from, for rules.
type credit struct {
	Credit
	txn *facts.Transaction
}

// Compute runs the calculation. It returns a *RuleError when a rule fails
// and an error wrapping ErrInput when the input is unusable.
func Compute(in Input) (*Result, error) {
	c := &calc{
		in:       in,
		plan:     in.Plan,
		places:   in.Plan.Precision(),
		yearSpan: period.Range{Start: in.Period.Year.Start, End: in.Period.End},
		eligible: map[string]*facts.Person{},
		byTerr:   map[string][]string{},
		credits:  map[string][]credit{},
		prior:    map[[2]string]decimal.Decimal{},
	}
	if in.Plan.Targets != "" && in.Targets == nil {
		return nil, fmt.Errorf("%w: plan %s needs target plan %s", ErrInput, in.Plan.Name, in.Plan.Targets)
	}
	if err := c.selectPeople(); err != nil {
		return nil, err
	}
	for i := range in.Transactions {
		if err := c.credit(&in.Transactions[i]); err != nil {
			return nil, err
		}
	}
	for _, p := range in.Prior {
		k := [2]string{p.Person, p.Component}
		c.prior[k] = c.prior[k].Add(p.Amount)
	}
	res := &Result{}
	ids := make([]string, 0, len(c.eligible))
	for id := range c.eligible {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		cs := c.credits[id]
		sortCredits(cs)
		for _, cr := range cs {
			if in.Period.Contains(cr.Date) {
				res.Credits = append(res.Credits, cr.Credit)
			}
		}
		if err := c.person(c.eligible[id], cs, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func sortCredits(cs []credit) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].TxnID != cs[j].TxnID {
			return cs[i].TxnID < cs[j].TxnID
		}
		return cs[i].Rule < cs[j].Rule
	})
}

func periodEnv(p period.Period) rules.Period {
	return rules.Period{
		Label:      p.Label,
		FiscalYear: decimal.NewFromInt(int64(p.FiscalYear)),
		Index:      decimal.NewFromInt(int64(p.Index)),
		Start:      p.Start.String(),
		End:        p.End.String(),
	}
}

func personEnv(p *facts.Person) rules.Person {
	return rules.Person{ID: p.ID, Name: p.Name, Role: p.Role, Territory: p.Territory, Manager: p.Manager, Currency: p.Currency, Attrs: p.Attrs}
}

func txnEnv(t *facts.Transaction) rules.Txn {
	return rules.Txn{ID: t.ID, Date: t.Date.String(), Type: t.Type, Owner: t.Owner, Territory: t.Territory,
		Product: t.Product, Currency: t.Currency, Amount: t.Amount, Attrs: t.Attrs}
}

func (c *calc) selectPeople() error {
	pe := periodEnv(c.in.Period)
	for i := range c.in.People {
		p := &c.in.People[i]
		if _, dup := c.eligible[p.ID]; dup {
			return fmt.Errorf("%w: person %s appears twice", ErrInput, p.ID)
		}
		if r := c.plan.Eligibility; r != nil {
			ok, err := r.Program.Bool(&c.m, rules.PersonEnv{Person: personEnv(p), Period: pe})
			if err != nil {
				return &RuleError{Pos: r.Pos, Subject: "person " + p.ID, Err: err}
			}
			if !ok {
				continue
			}
		}
		c.eligible[p.ID] = p
		if p.Territory != "" {
			c.byTerr[p.Territory] = append(c.byTerr[p.Territory], p.ID)
		}
	}
	for _, ids := range c.byTerr {
		sort.Strings(ids)
	}
	return nil
}

func (c *calc) credit(t *facts.Transaction) error {
	if !c.yearSpan.Contains(t.Date) {
		return nil
	}
	if t.Currency != "" && t.Currency != c.plan.Currency {
		return fmt.Errorf("%w: transaction %s is in %s; plan %s pays in %s and currency conversion is not supported", ErrInput, t.ID, t.Currency, c.plan.Name, c.plan.Currency)
	}
	var env rules.TxnEnv
	envReady := false
	for i := range c.plan.Credits {
		rule := &c.plan.Credits[i]
		if (rule.When != nil || rule.Amount != nil) && !envReady {
			env = rules.TxnEnv{Txn: txnEnv(t)}
			envReady = true
		}
		if rule.When != nil {
			ok, err := rule.When.Program.Bool(&c.m, env)
			if err != nil {
				return &RuleError{Pos: rule.When.Pos, Subject: "transaction " + t.ID, Err: err}
			}
			if !ok {
				continue
			}
		}
		amount := t.Amount
		if rule.Amount != nil {
			a, err := rule.Amount.Program.Decimal(&c.m, env)
			if err != nil {
				return &RuleError{Pos: rule.Amount.Pos, Subject: "transaction " + t.ID, Err: err}
			}
			amount = a
		}
		switch rule.To {
		case plans.CreditToOwner:
			c.add(t, rule.Name, t.Owner, one, amount)
		case plans.CreditToTerritory:
			for _, id := range c.byTerr[t.Territory] {
				c.add(t, rule.Name, id, one, amount)
			}
		case plans.CreditToSplits:
			if len(t.Splits) == 0 {
				continue
			}
			weights := make([]decimal.Decimal, len(t.Splits))
			sum := decimal.Zero
			for j, s := range t.Splits {
				if s.Share.Sign() < 0 {
					return fmt.Errorf("%w: transaction %s: split share %s for %s is negative", ErrInput, t.ID, s.Share, s.Person)
				}
				weights[j] = s.Share
				sum = sum.Add(s.Share)
			}
			if !sum.Equal(one) {
				return fmt.Errorf("%w: transaction %s: split shares sum to %s; want 1 (100%%)", ErrInput, t.ID, sum)
			}
			shares := money.AllocateFloorRemainderInOrder(amount, weights, c.places)
			for j, s := range t.Splits {
				c.add(t, rule.Name, s.Person, s.Share, shares[j])
			}
		}
	}
	return nil
}

func (c *calc) add(t *facts.Transaction, rule, person string, share, amount decimal.Decimal) {
	if _, ok := c.eligible[person]; !ok {
		return
	}
	c.credits[person] = append(c.credits[person], credit{
		Credit: Credit{Person: person, TxnID: t.ID, Rule: rule, Date: t.Date, Type: t.Type, Share: share, Amount: amount},
		txn:    t,
	})
}

func (c *calc) creditEnv(cr *credit, pe rules.Person) rules.CreditEnv {
	return rules.CreditEnv{
		Txn:    txnEnv(cr.txn),
		Credit: rules.Credit{Amount: cr.Amount, Rule: cr.Rule, Share: cr.Share},
		Person: pe,
	}
}

// person computes one payee's measures, attainment and payout lines.
func (c *calc) person(p *facts.Person, cs []credit, res *Result) error {
	pe := personEnv(p)
	env := rules.ComponentEnv{
		Person:     pe,
		Period:     periodEnv(c.in.Period),
		Measure:    map[string]decimal.Decimal{},
		Target:     map[string]decimal.Decimal{},
		Attainment: map[string]decimal.Decimal{},
		Payout:     map[string]decimal.Decimal{},
	}
	for i := range c.plan.Measures {
		ms := &c.plan.Measures[i]
		span := c.in.Period.Window(ms.Window)
		mv := MeasureValue{Person: p.ID, Measure: ms.Name, Window: ms.Window, Range: span, Value: decimal.Zero}
		for j := range cs {
			cr := &cs[j]
			if !span.Contains(cr.Date) {
				continue
			}
			var cenv rules.CreditEnv
			if ms.Where != nil || ms.Value != nil {
				cenv = c.creditEnv(cr, pe)
			}
			if ms.Where != nil {
				ok, err := ms.Where.Program.Bool(&c.m, cenv)
				if err != nil {
					return &RuleError{Pos: ms.Where.Pos, Subject: fmt.Sprintf("person %s, transaction %s", p.ID, cr.TxnID), Err: err}
				}
				if !ok {
					continue
				}
			}
			mv.Credits++
			switch {
			case ms.Aggregate == plans.AggregateCount:
				mv.Value = mv.Value.Add(one)
			case ms.Value != nil:
				v, err := ms.Value.Program.Decimal(&c.m, cenv)
				if err != nil {
					return &RuleError{Pos: ms.Value.Pos, Subject: fmt.Sprintf("person %s, transaction %s", p.ID, cr.TxnID), Err: err}
				}
				mv.Value = mv.Value.Add(v)
			default:
				mv.Value = mv.Value.Add(cr.Amount)
			}
		}
		res.Measures = append(res.Measures, mv)
		env.Measure[ms.Name] = mv.Value
		if c.in.Targets == nil {
			continue
		}
		target, ok, err := c.in.Targets.Target(p.ID, p.Role, ms.Name, span)
		if err != nil {
			return fmt.Errorf("%w: person %s, measure %s: %v", ErrInput, p.ID, ms.Name, err)
		}
		if !ok {
			continue
		}
		env.Target[ms.Name] = target
		a := Attainment{Person: p.ID, Measure: ms.Name, Value: mv.Value, Target: target}
		if target.Sign() > 0 {
			a.Ratio = mv.Value.DivRound(target, rules.DivisionPlaces)
			env.Attainment[ms.Name] = a.Ratio
		}
		res.Attainment = append(res.Attainment, a)
	}
	for i := range c.plan.Components {
		comp := &c.plan.Components[i]
		line, err := c.component(p, comp, cs, env)
		if err != nil {
			return err
		}
		env.Payout[comp.Name] = line.Amount
		res.Payouts = append(res.Payouts, line)
	}
	for i := range c.plan.Steps {
		line, err := c.step(p, &c.plan.Steps[i], env)
		if err != nil {
			return err
		}
		env.Payout[line.Component] = line.Amount
		res.Payouts = append(res.Payouts, line)
	}
	return nil
}

func (c *calc) component(p *facts.Person, comp *plans.Component, cs []credit, env rules.ComponentEnv) (Payout, error) {
	subject := fmt.Sprintf("person %s, component %s", p.ID, comp.Name)
	tr := Trace{Component: comp.Name, Type: comp.Type, Computed: decimal.Zero}
	line := Payout{Person: p.ID, Component: comp.Name, EarningCode: comp.EarningCode, Currency: c.plan.Currency}
	if comp.Gate != nil {
		ok, err := comp.Gate.Program.Bool(&c.m, env)
		if err != nil {
			return line, &RuleError{Pos: comp.Gate.Pos, Subject: subject, Err: err}
		}
		tr.Gate = &GateTrace{Rule: comp.Gate.Source, Passed: ok}
	}
	if tr.Gate == nil || tr.Gate.Passed {
		var err error
		switch comp.Type {
		case plans.ComponentPerCredit:
			err = c.perCredit(p, comp, cs, &tr)
		case plans.ComponentRateTable:
			err = c.rateTable(p, comp, env, &tr)
		case plans.ComponentFormula:
			tr.Rule = comp.Amount.Source
			tr.Inputs = inputsOf(env)
			tr.Computed, err = comp.Amount.Program.Decimal(&c.m, env)
			if err != nil {
				err = &RuleError{Pos: comp.Amount.Pos, Subject: subject, Err: err}
			}
		}
		if err != nil {
			return line, err
		}
	}
	amount := tr.Computed
	if comp.Cap != nil {
		cp, err := comp.Cap.Program.Decimal(&c.m, env)
		if err != nil {
			return line, &RuleError{Pos: comp.Cap.Pos, Subject: subject, Err: err}
		}
		tr.Cap = &cp
		if amount.GreaterThan(cp) {
			amount = cp
			tr.Capped = true
		}
	}
	tr.Rounded = money.RoundHalfUp(amount, c.places)
	tr.Result = tr.Rounded
	if comp.Cumulative {
		prior := c.prior[[2]string{p.ID, comp.Name}]
		tr.Prior = &prior
		tr.Result = tr.Rounded.Sub(prior)
	}
	line.Amount = tr.Result
	line.Trace = tr
	return line, nil
}

// inputsOf lists the measures, targets and attainment of env, sorted by name.
func inputsOf(env rules.ComponentEnv) []TraceInput {
	var out []TraceInput
	for _, src := range []struct {
		prefix string
		m      map[string]decimal.Decimal
	}{{"measure", env.Measure}, {"target", env.Target}, {"attainment", env.Attainment}} {
		names := make([]string, 0, len(src.m))
		for k := range src.m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			out = append(out, TraceInput{Name: src.prefix + "." + k, Value: src.m[k]})
		}
	}
	return out
}

func (c *calc) perCredit(p *facts.Person, comp *plans.Component, cs []credit, tr *Trace) error {
	span := c.in.Period.Range
	if comp.Cumulative {
		span = c.in.Period.Window(period.WindowYTD)
	}
	tr.Rule = comp.Amount.Source
	ct := &CreditsTrace{Basis: decimal.Zero}
	pe := personEnv(p)
	sum := decimal.Zero
	for j := range cs {
		cr := &cs[j]
		if !span.Contains(cr.Date) {
			continue
		}
		cenv := c.creditEnv(cr, pe)
		if comp.Where != nil {
			ok, err := comp.Where.Program.Bool(&c.m, cenv)
			if err != nil {
				return &RuleError{Pos: comp.Where.Pos, Subject: fmt.Sprintf("person %s, transaction %s", p.ID, cr.TxnID), Err: err}
			}
			if !ok {
				continue
			}
		}
		v, err := comp.Amount.Program.Decimal(&c.m, cenv)
		if err != nil {
			return &RuleError{Pos: comp.Amount.Pos, Subject: fmt.Sprintf("person %s, transaction %s", p.ID, cr.TxnID), Err: err}
		}
		ct.Count++
		ct.Basis = ct.Basis.Add(cr.Amount)
		sum = sum.Add(v)
	}
	tr.Credits = ct
	tr.Computed = sum
	return nil
}

func (c *calc) rateTable(p *facts.Person, comp *plans.Component, env rules.ComponentEnv, tr *Trace) error {
	basis := env.Measure[comp.Measure]
	tr.Inputs = append(tr.Inputs, TraceInput{Name: "measure." + comp.Measure, Value: basis})
	scale := one
	if comp.Key == plans.KeyAttainment {
		target, ok := env.Target[comp.Measure]
		if !ok || target.Sign() <= 0 {
			return fmt.Errorf("%w: %s: person %s has no positive target for measure %s in %s, which component %s keys on", ErrInput, comp.Pos, p.ID, comp.Measure, c.in.Period.Label, comp.Name)
		}
		scale = target
		tr.Inputs = append(tr.Inputs,
			TraceInput{Name: "target." + comp.Measure, Value: target},
			TraceInput{Name: "attainment." + comp.Measure, Value: env.Attainment[comp.Measure]})
	}
	total := decimal.Zero
	for i, t := range comp.Tiers {
		from := t.From.Mul(scale)
		var to *decimal.Decimal
		if t.To != nil {
			v := t.To.Mul(scale)
			to = &v
		}
		inTier := (i == 0 || !basis.LessThan(from)) && (to == nil || basis.LessThan(*to))
		switch comp.Mode {
		case plans.ModeRetroactive:
			// The whole amount at the rate of the tier it reaches; an amount
			// below zero pays at the first tier's rate.
			if inTier {
				amt := basis.Mul(t.Rate)
				tr.Tiers = append(tr.Tiers, TierTrace{Tier: i + 1, From: from, To: to, Rate: t.Rate, Basis: basis, Amount: amt})
				total = amt
			}
		default:
			// Marginal: each tier pays its rate on the part of the amount
			// inside it; a negative amount falls in the first tier.
			lo := from
			if i == 0 {
				lo = decimal.Zero
			}
			if i > 0 && !basis.GreaterThan(lo) {
				continue
			}
			hi := basis
			if to != nil && hi.GreaterThan(*to) {
				hi = *to
			}
			portion := hi.Sub(lo)
			if portion.IsZero() {
				continue
			}
			amt := portion.Mul(t.Rate)
			tr.Tiers = append(tr.Tiers, TierTrace{Tier: i + 1, From: from, To: to, Rate: t.Rate, Basis: portion, Amount: amt})
			total = total.Add(amt)
		}
	}
	tr.Computed = total
	return nil
}

func (c *calc) step(p *facts.Person, s *plans.Step, env rules.ComponentEnv) (Payout, error) {
	line := Payout{Person: p.ID, Component: s.Name, EarningCode: s.Name, Currency: c.plan.Currency}
	tr := Trace{Component: s.Name, Type: s.Type, Rule: s.Amount.Source}
	limit, err := s.Amount.Program.Decimal(&c.m, env)
	if err != nil {
		return line, &RuleError{Pos: s.Amount.Pos, Subject: fmt.Sprintf("person %s, step %s", p.ID, s.Name), Err: err}
	}
	total := decimal.Zero
	names := make([]string, 0, len(env.Payout))
	for k := range env.Payout {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		total = total.Add(env.Payout[k])
		tr.Inputs = append(tr.Inputs, TraceInput{Name: "payout." + k, Value: env.Payout[k]})
	}
	tr.Cap = &limit
	tr.Computed = decimal.Zero
	if total.GreaterThan(limit) {
		tr.Computed = limit.Sub(total)
		tr.Capped = true
	}
	tr.Rounded = money.RoundHalfUp(tr.Computed, c.places)
	tr.Result = tr.Rounded
	line.Amount = tr.Result
	line.Trace = tr
	return line, nil
}
