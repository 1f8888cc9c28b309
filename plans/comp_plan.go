package plans

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// The file kinds, named by each file's top-level kind key.
const (
	KindCompPlan   = "comp_plan"
	KindTargetPlan = "target_plan"
	KindPlanTest   = "plan_test"
)

// Crediting targets: who a credit rule credits.
const (
	CreditToOwner     = "owner"     // the transaction's owner
	CreditToSplits    = "splits"    // each person in the transaction's splits, by share
	CreditToTerritory = "territory" // every plan participant whose territory is the transaction's
)

// Measure aggregates.
const (
	AggregateSum   = "sum"
	AggregateCount = "count"
)

// Component types.
const (
	ComponentPerCredit = "per_credit"
	ComponentRateTable = "rate_table"
	ComponentFormula   = "formula"
)

// Rate table keys and modes.
const (
	KeyAmount       = "amount"
	KeyAttainment   = "attainment"
	ModeMarginal    = "marginal"
	ModeRetroactive = "retroactive"
	StepCapTotal    = "cap_total"
	componentsMax   = 100
	tiersMax        = 50
	measuresMax     = 100
	creditRulesMax  = 50
	stepsMax        = 20
)

// CompPlan is a validated, compiled compensation plan version.
type CompPlan struct {
	File        string
	Name        string
	Version     string
	Description string
	// Hash is the SHA-256 of the plan's source bytes: the plan version's identity.
	Hash      string
	Source    []byte
	Effective period.Range // End is zero when open-ended
	Currency  string
	Frequency period.Frequency
	Calendar  period.Calendar
	// Targets names the target plan that holds this plan's quotas, if any.
	Targets string
	// Attributes declares typed transaction and person attributes.
	Attributes  *Attributes
	Eligibility *Rule
	Credits     []CreditRule
	Measures    []Measure
	Components  []Component
	Steps       []Step
	// Clawback, if set, takes back what cancelled deals paid (clawback.go).
	Clawback *Clawback
	// Hold, if set, holds what deals not yet paid for earned until their
	// payment arrives (hold.go).
	Hold *Hold
}

// CreditRule turns a transaction into credits.
type CreditRule struct {
	Name string
	Pos  Pos
	// To is one of CreditToOwner, CreditToSplits, CreditToTerritory.
	To string
	// When, if set, selects the transactions the rule credits.
	When *Rule
	// Amount, if set, is the amount credited (default txn.amount).
	Amount *Rule
	// Rollup is set for CreditToManagers rules (plans/rollup.go).
	Rollup *Rollup
}

// Measure aggregates a person's credits over a window.
type Measure struct {
	Name      string
	Pos       Pos
	Aggregate string
	// Value is what a sum adds per credit (default credit.amount).
	Value  *Rule
	Where  *Rule
	Window period.Window
}

// Tier is one row of a rate table: [From, To) pays Rate. To is nil for
// the open-ended top tier.
type Tier struct {
	Pos  Pos
	From decimal.Decimal
	To   *decimal.Decimal
	Rate decimal.Decimal
}

// Component turns credits, measures and attainment into one payout line per
// person and period.
type Component struct {
	Name        string
	Pos         Pos
	Description string
	// EarningCode is the payroll earning code (default the component name).
	EarningCode string
	Type        string

	// Rate tables.
	Measure string
	Key     string
	Mode    string
	Tiers   []Tier

	// Per-credit components: Where filters credits, Amount prices one credit.
	// Formula components: Amount is the whole payout.
	Where  *Rule
	Amount *Rule

	Gate *Rule
	Cap  *Rule
	// Cumulative components compute on year-to-date measures and pay the
	// result less what earlier periods of the fiscal year already earned.
	Cumulative bool
	// Override is set for ComponentOverride components (plans/rollup.go).
	Override *Override

	// Per is PerTotal or PerDeal (rate tables only; see per_deal.go).
	Per string
	// Window, if set, limits the deals the component pays on to those
	// dated inside it (per-credit components and per-deal rate tables).
	Window *DealWindow
	// Once components pay in the first period of the fiscal year whose
	// amount is not zero, and 0 in every later period.
	Once bool
	// Curve is a curve component's function (see curve.go).
	Curve *Curve

	// MBO is set on mbo components (mbo.go).
	MBO *MBO
}

// Step is a plan-level step applied after the components.
type Step struct {
	Name   string
	Pos    Pos
	Type   string
	Amount *Rule
}

// MeasureByName returns the named measure.
func (p *CompPlan) MeasureByName(name string) (*Measure, bool) {
	for i := range p.Measures {
		if p.Measures[i].Name == name {
			return &p.Measures[i], true
		}
	}
	return nil, false
}

// EffectiveIn reports whether the plan is in effect on any day of p.
func (p *CompPlan) EffectiveIn(per period.Period) bool {
	if p.Effective.End.IsZero() {
		return !p.Effective.Start.After(per.End)
	}
	return p.Effective.Overlaps(per.Range)
}

// EffectiveText formats the effective dates, "from 2027-01-01" when open-ended.
func (p *CompPlan) EffectiveText() string {
	if p.Effective.End.IsZero() {
		return "from " + p.Effective.Start.String()
	}
	return p.Effective.String()
}

// Precision is the number of decimal places of the plan's currency.
func (p *CompPlan) Precision() int32 { return money.MustPrecision(p.Currency) }

func hashSource(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

func (r *reader) compPlan(root *yaml.Node, src []byte) *CompPlan {
	m := r.mapping(root, "plan")
	m.value("kind", true)
	p := &CompPlan{File: r.file, Source: src, Hash: hashSource(src)}
	p.Name = m.name("name", true)
	p.Version = m.str("version", true)
	p.Description = m.str("description", false)
	if eff := m.value("effective", true); eff != nil {
		em := r.mapping(eff, "effective")
		p.Effective.Start = em.date("from", true)
		p.Effective.End = em.date("to", false)
		if !p.Effective.End.IsZero() && p.Effective.End.Before(p.Effective.Start) {
			r.errorf(eff, "effective: to %s is before from %s", p.Effective.End, p.Effective.Start)
		}
		em.done()
	}
	p.Currency = m.currency("currency")
	p.Calendar.FiscalYearStartMonth = m.integer("fiscal_year_start", 1, 1, 12)
	p.Targets = m.name("targets", false)
	r.payFrequency(m, p)
	p.Attributes = r.attributes(m.value("attributes", false))
	p.Eligibility = m.rule("eligibility", false, rules.PersonEnv{}, rules.KindBool, nil)

	creditNames := map[string]bool{}
	creditNodes := m.list("credit", true)
	if len(creditNodes) > creditRulesMax {
		r.errorf(root, "plan: %d credit rules; the limit is %d", len(creditNodes), creditRulesMax)
	}
	for _, n := range creditNodes {
		cm := r.mapping(n, "credit rule")
		c := CreditRule{Pos: r.pos(n)}
		c.Name = cm.name("name", true)
		if c.Name != "" {
			cm.what = fmt.Sprintf("credit rule %q", c.Name)
			if creditNames[c.Name] {
				r.errorf(n, "credit rule %q is defined twice", c.Name)
			}
			creditNames[c.Name] = true
		}
		c.To = cm.enum("to", CreditToOwner, CreditToOwner, CreditToSplits, CreditToTerritory, CreditToManagers)
		c.When = cm.rule("when", false, rules.TxnEnv{}, rules.KindBool, nil)
		c.Amount = cm.rule("amount", false, rules.TxnEnv{}, rules.KindDecimal, nil)
		r.creditRollup(cm, &c)
		cm.done()
		p.Credits = append(p.Credits, c)
	}

	measureNodes := m.list("measures", false)
	if len(measureNodes) > measuresMax {
		r.errorf(root, "plan: %d measures; the limit is %d", len(measureNodes), measuresMax)
	}
	for _, n := range measureNodes {
		mm := r.mapping(n, "measure")
		ms := Measure{Pos: r.pos(n)}
		ms.Name = mm.name("name", true)
		if ms.Name != "" {
			mm.what = fmt.Sprintf("measure %q", ms.Name)
			if _, dup := p.MeasureByName(ms.Name); dup {
				r.errorf(n, "measure %q is defined twice", ms.Name)
			}
		}
		ms.Aggregate = mm.enum("aggregate", AggregateSum, AggregateSum, AggregateCount)
		ms.Value = mm.rule("value", false, rules.CreditEnv{}, rules.KindDecimal, nil)
		if ms.Value != nil && ms.Aggregate == AggregateCount {
			r.errorAtRule(ms.Value, "%s.value: a count measure counts credits and takes no value", mm.what)
		}
		ms.Where = mm.rule("where", false, rules.CreditEnv{}, rules.KindBool, nil)
		ms.Window = r.measureWindow(mm, p)
		mm.done()
		p.Measures = append(p.Measures, ms)
	}
	measureNames := make([]string, len(p.Measures))
	for i, ms := range p.Measures {
		measureNames[i] = ms.Name
	}
	componentNames := []string{}
	names := func() rules.Names {
		return rules.Names{"measure": measureNames, "target": measureNames, "attainment": measureNames, "annual_target": measureNames, "payout": append([]string(nil), componentNames...)}
	}

	componentNodes := m.list("components", true)
	if len(componentNodes) > componentsMax {
		r.errorf(root, "plan: %d components; the limit is %d", len(componentNodes), componentsMax)
	}
	for _, n := range componentNodes {
		c := r.component(n, p, measureNames, names())
		if c.Name != "" {
			for _, prev := range componentNames {
				if prev == c.Name {
					r.errorf(n, "component %q is defined twice", c.Name)
				}
			}
			componentNames = append(componentNames, c.Name)
		}
		p.Components = append(p.Components, c)
	}

	stepNodes := m.list("steps", false)
	if len(stepNodes) > stepsMax {
		r.errorf(root, "plan: %d steps; the limit is %d", len(stepNodes), stepsMax)
	}
	for _, n := range stepNodes {
		sm := r.mapping(n, "step")
		s := Step{Pos: r.pos(n)}
		s.Name = sm.name("name", true)
		if s.Name != "" {
			sm.what = fmt.Sprintf("step %q", s.Name)
			// Steps post payout lines beside the components', by name.
			for _, prev := range componentNames {
				if prev == s.Name {
					r.errorf(n, "step %q: a component or an earlier step already has that name; payout lines are named by it", s.Name)
				}
			}
		}
		s.Type = sm.enum("type", StepCapTotal, StepCapTotal)
		s.Amount = sm.rule("amount", true, rules.ComponentEnv{}, rules.KindDecimal, names())
		if s.Type == StepCapTotal {
			r.negativeCap(s.Amount, sm.what+".amount", "a cap_total step is the most the person's lines add up to")
		}
		sm.done()
		if s.Name != "" {
			componentNames = append(componentNames, s.Name)
		}
		p.Steps = append(p.Steps, s)
	}
	p.Clawback = r.clawback(m.value("clawback", false), p)
	p.Hold = r.hold(m.value("hold", false), p)
	m.done()
	return p
}

// negativeCap reports a cap rule that always gives less than 0 (-100, or
// 0 - 100): a cap is the most a line pays, so a negative one turns what a
// person earned into a deduction. A cap of 0 is allowed: it pays nothing
// above 0, as a computed cap can (a target of 0 times a rate), and takes
// nothing. A cap that reads variables is checked when it runs.
func (r *reader) negativeCap(rule *Rule, what, is string) {
	if rule == nil {
		return
	}
	if v, ok := rule.Program.Constant(); ok && v.Sign() < 0 {
		r.errorAtRule(rule, "%s: %s is below 0; %s, so it would turn every amount above it, even 0, into a deduction of %s: give 0 or more", what, v, is, v.Neg())
	}
}

func (r *reader) errorAtRule(rule *Rule, format string, args ...any) {
	r.errAt(rule.Pos.Line, rule.Pos.Column, format, args...)
}

func (r *reader) component(n *yaml.Node, p *CompPlan, measureNames []string, names rules.Names) Component {
	cm := r.mapping(n, "component")
	c := Component{Pos: r.pos(n)}
	c.Name = cm.name("name", true)
	if c.Name != "" {
		cm.what = fmt.Sprintf("component %q", c.Name)
	}
	c.Description = cm.str("description", false)
	c.EarningCode = cm.name("earning_code", false)
	if c.EarningCode == "" {
		c.EarningCode = c.Name
	}
	c.Type = cm.enum("type", "", ComponentPerCredit, ComponentRateTable, ComponentFormula, ComponentOverride, ComponentCurve, ComponentMBO)
	if !cm.has("type") {
		cm.value("type", true)
	}
	// Every key is asked for whatever the type, so that a key in the wrong
	// kind of component gets a precise message instead of "unknown key".
	measureNode := cm.scalar("measure", c.Type == ComponentRateTable)
	c.Key = cm.enum("key", KeyAmount, KeyAmount, KeyAttainment)
	c.Mode = cm.enum("mode", ModeMarginal, ModeMarginal, ModeRetroactive)
	tierNodes := cm.list("tiers", c.Type == ComponentRateTable)
	c.Where = cm.rule("where", false, rules.CreditEnv{}, rules.KindBool, nil)
	if c.Type == ComponentPerCredit {
		c.Amount = cm.rule("amount", true, rules.CreditEnv{}, rules.KindDecimal, nil)
	} else {
		c.Amount = cm.rule("amount", c.Type == ComponentFormula, rules.ComponentEnv{}, rules.KindDecimal, names)
	}
	c.Gate = cm.rule("gate", false, rules.ComponentEnv{}, rules.KindBool, names)
	c.Cap = cm.rule("cap", false, rules.ComponentEnv{}, rules.KindDecimal, names)
	r.negativeCap(c.Cap, cm.what+".cap", "a cap is the most the component pays")
	c.Cumulative = cm.boolean("cumulative")
	r.componentOverride(cm, &c, p)
	r.componentDeals(cm, &c, p)
	r.componentCurve(cm, &c, p, names)
	r.mboKeys(cm, &c, names)
	cm.done()

	misplaced := func(key string, types string) {
		if k, ok := cm.keys[key]; ok {
			r.errorf(k, "%s: key %q applies only to %s components, not %s", cm.what, key, types, c.Type)
		}
	}
	switch c.Type {
	case ComponentRateTable:
		misplaced("where", ComponentPerCredit)
		misplaced("amount", ComponentPerCredit+" and "+ComponentFormula)
	case ComponentPerCredit:
		for _, k := range []string{"measure", "key", "mode", "tiers"} {
			misplaced(k, ComponentRateTable)
		}
	case ComponentFormula:
		for _, k := range []string{"measure", "key", "mode", "tiers"} {
			misplaced(k, ComponentRateTable)
		}
		misplaced("where", ComponentPerCredit)
	}

	if measureNode != nil && c.Type == ComponentRateTable {
		c.Measure = measureNode.Value
		if ms, ok := p.MeasureByName(c.Measure); !ok {
			msg := fmt.Sprintf("%s.measure: no measure named %q in this plan", cm.what, c.Measure)
			if sug := rules.Suggest(c.Measure, measureNames); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			r.errorf(measureNode, "%s", msg)
		} else if c.Cumulative && ms.Window != period.WindowYTD {
			// Netting what earlier periods earned only adds up when the
			// table is priced on the year to date.
			r.errorf(measureNode, "%s.measure: a cumulative component nets year-to-date earnings, but measure %q has window %s; give it window: ytd", cm.what, c.Measure, ms.Window)
		}
	}
	if c.Type == ComponentRateTable && c.Key == KeyAttainment && p.Targets == "" {
		r.errorf(n, "%s: key attainment needs the plan's targets key to name a target plan", cm.what)
	}
	if len(tierNodes) > tiersMax {
		r.errorf(n, "%s: %d tiers; the limit is %d", cm.what, len(tierNodes), tiersMax)
	}
	// valid[i] is whether tier i's bounds were read; the order of tiers is
	// checked only between valid tiers, so that one bad bound is reported
	// once rather than again as a gap or an open tier.
	valid := make([]bool, 0, len(tierNodes))
	for i, tn := range tierNodes {
		tm := r.mapping(tn, fmt.Sprintf("%s tier %d", cm.what, i+1))
		t := Tier{Pos: r.pos(tn)}
		var fromOK, toOK bool
		t.From, fromOK = tm.decimal("from", true)
		if to, ok := tm.decimal("to", false); ok {
			t.To = &to
			toOK = true
		}
		var rateOK bool
		if t.Rate, rateOK = tm.decimal("rate", true); rateOK && t.Rate.Sign() < 0 {
			r.errorf(tm.values["rate"], "%s tier %d: rate %s is below 0, so the tier would take money back on every amount in it; give 0 or more (the clawback: section takes back what cancelled deals paid)", cm.what, i+1, t.Rate)
		}
		valid = append(valid, tn.Kind == yaml.MappingNode && fromOK && (toOK || tm.value("to", false) == nil))
		tm.done()
		if !valid[i] {
			c.Tiers = append(c.Tiers, t)
			continue
		}
		if t.To != nil && !t.To.GreaterThan(t.From) {
			r.errorf(tn, "%s tier %d: to %s must be above from %s", cm.what, i+1, t.To, t.From)
		}
		if i == 0 && t.From.Sign() != 0 && tm.has("from") {
			r.errorf(tn, "%s tier 1: from must be 0, got %s; tiers cover every amount from 0 up", cm.what, t.From)
		}
		if i > 0 && valid[i-1] {
			prev := c.Tiers[i-1]
			switch {
			case prev.To == nil:
				r.errorf(tn, "%s tier %d: tier %d above has no upper bound, so this tier can never apply; only the last tier may omit to", cm.what, i+1, i)
			case t.From.LessThan(*prev.To):
				r.errorf(tn, "%s tier %d: from %s overlaps tier %d, which runs to %s; tiers must be in increasing order without overlap", cm.what, i+1, t.From, i, prev.To)
			case t.From.GreaterThan(*prev.To):
				r.errorf(tn, "%s tier %d: from %s leaves a gap after tier %d, which ends at %s; want from %s", cm.what, i+1, t.From, i, prev.To, prev.To)
			}
		}
		c.Tiers = append(c.Tiers, t)
	}
	// A cumulative component nets what earlier periods earned, which only
	// adds up when every measure its rules read runs from the start of the
	// fiscal year.
	if c.Cumulative {
		for _, rule := range []*Rule{c.Amount, c.Gate, c.Cap} {
			if rule == nil || c.Type == ComponentPerCredit && rule == c.Amount {
				continue
			}
			var keys []string
			for _, v := range []string{"measure", "target", "attainment"} {
				keys = append(keys, rule.Program.Keys(v)...)
			}
			for _, k := range keys {
				if ms, ok := p.MeasureByName(k); ok && ms.Window != period.WindowYTD {
					r.errAt(rule.Pos.Line, rule.Pos.Column, "%s: a cumulative component nets year-to-date earnings, but this rule reads measure %q, which has window %s; give it window: ytd", cm.what, k, ms.Window)
					break
				}
			}
		}
	}
	// An amount above a bounded top tier would fall in no tier and pay
	// nothing (retroactive) or nothing more (marginal), silently: a limit
	// on pay is what cap is for.
	if n := len(c.Tiers); n > 0 && c.Tiers[n-1].To != nil {
		r.errAt(c.Tiers[n-1].Pos.Line, c.Tiers[n-1].Pos.Column, "%s tier %d: the last tier must have no to, so that every amount above it is paid; use cap to limit the payout", cm.what, n)
	}
	return c
}
