package plans

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// KindSettlementPolicy is the kind of a settlement policy file: rules
// that settlement applies to what a person earned across all plans.
const KindSettlementPolicy = "settlement_policy"

// settlementCapsMax bounds a policy's caps.
const settlementCapsMax = 100

// SettlementPolicy is a validated settlement policy version.
type SettlementPolicy struct {
	File        string
	Name        string
	Version     string
	Description string
	Hash        string
	Source      []byte
	Currency    string
	Caps        []SettlementCap
	// Draws are the draws against earnings the policy pays.
	Draws []Draw
	// Deficits says what settlement does with a negative payable total;
	// nil leaves the default (carry it forward).
	Deficits *DeficitRule
}

// SettlementCap limits what a person can be paid for one period across
// all their plans.
type SettlementCap struct {
	Pos  Pos
	Name string
	// Eligibility selects the people the cap applies to (nil: everyone).
	Eligibility *Rule
	// Amount is the most a person is paid per period from the counted
	// earnings, in the policy's currency.
	Amount decimal.Decimal
	// EarningCodes limits the earnings counted (empty: every code).
	EarningCodes []string
	// Plans limits the earnings counted to these comp plans (empty: every
	// plan), for a cap on a group of plans.
	Plans []string
}

// Counts reports whether earnings of plan under code count toward the cap.
func (c SettlementCap) Counts(plan, code string) bool {
	return (len(c.EarningCodes) == 0 || contains(c.EarningCodes, code)) && (len(c.Plans) == 0 || contains(c.Plans, plan))
}

func (r *reader) settlementPolicy(root *yaml.Node, src []byte) *SettlementPolicy {
	m := r.mapping(root, "settlement policy")
	m.value("kind", true)
	sp := &SettlementPolicy{File: r.file, Source: src, Hash: hashSource(src)}
	sp.Name = m.name("name", true)
	sp.Version = m.str("version", true)
	sp.Description = m.str("description", false)
	sp.Currency = m.currency("currency")
	caps := m.list("caps", false)
	draws := m.list("draws", false)
	if dn := m.value("deficits", false); dn != nil {
		sp.Deficits = r.deficitRule(dn)
	}
	m.done()
	if caps == nil && draws == nil && sp.Deficits == nil && root.Kind == yaml.MappingNode {
		r.errorf(root, "settlement policy: nothing to apply; want caps, draws or deficits")
	}
	sp.Draws = r.draws(draws, sp.Currency)
	if len(caps) > settlementCapsMax {
		r.errorf(root, "settlement policy: %d caps; the limit is %d", len(caps), settlementCapsMax)
		return sp
	}
	names := map[string]Pos{}
	for i, n := range caps {
		cm := r.mapping(n, fmt.Sprintf("cap %d", i+1))
		c := SettlementCap{Pos: r.pos(n)}
		c.Name = cm.name("name", true)
		if prev, dup := names[c.Name]; dup && c.Name != "" {
			r.errorf(n, "%s: a cap named %q is already defined at line %d", cm.what, c.Name, prev.Line)
		}
		names[c.Name] = c.Pos
		c.Eligibility = cm.rule("eligibility", false, rules.PersonEnv{}, rules.KindBool, nil)
		if amount, ok := cm.decimal("amount", true); ok {
			if amount.Sign() <= 0 {
				r.errorf(cm.value("amount", false), "%s.amount: a cap must be more than 0", cm.what)
			}
			if p, ok := money.Precision(sp.Currency); ok && -amount.Exponent() > int32(p) {
				r.errorf(cm.value("amount", false), "%s.amount: %s has more decimals than %s's %d", cm.what, amount, sp.Currency, p)
			}
			c.Amount = amount
		}
		for _, cn := range cm.list("earning_codes", false) {
			if cn.Kind != yaml.ScalarNode || cn.Value == "" {
				r.errorf(cn, "%s.earning_codes: want earning codes such as COMM", cm.what)
				continue
			}
			c.EarningCodes = append(c.EarningCodes, cn.Value)
		}
		for _, pn := range cm.list("plans", false) {
			if pn.Kind != yaml.ScalarNode || !nameRE.MatchString(pn.Value) {
				r.errorf(pn, "%s.plans: want comp plan names such as ae-quarterly", cm.what)
				continue
			}
			c.Plans = append(c.Plans, pn.Value)
		}
		cm.done()
		sp.Caps = append(sp.Caps, c)
	}
	return sp
}

// Draw limits, and the choices of a draw's termination and of what a
// negative payable total does.
const (
	settlementDrawsMax = 20
	// drawPeriodsMax bounds a draw's length: ten years of months.
	drawPeriodsMax = 120
	// DrawFromHire starts a draw in the period that holds the person's
	// hire date.
	DrawFromHire = "hire"
	// OnTerminationRecover recovers a draw's whole balance from the
	// person's last period (what cannot be recovered becomes a deficit).
	OnTerminationRecover = "recover"
	// OnTerminationWriteOff forgives a draw's balance when the person leaves.
	OnTerminationWriteOff = "write_off"
	// DeficitCarry carries a negative payable total forward as a deficit,
	// recovered from later periods (the default).
	DeficitCarry = "carry"
	// DeficitPay exports a negative payable total as it is.
	DeficitPay = "pay"
)

// Draw is an amount paid per period against a person's earnings: when
// the counted earnings of a period are below it, the draw tops them up.
// A recoverable draw's top-ups are a balance the person owes, recovered
// from later earnings above the draw.
type Draw struct {
	Pos  Pos
	Name string
	// Eligibility selects the people the draw applies to (nil: everyone).
	Eligibility *Rule
	// Frequency is the length of the periods the draw is paid for; a run
	// of another frequency leaves the draw alone.
	Frequency period.Frequency
	// Amount is the draw per period, in the policy's currency.
	Amount decimal.Decimal
	// Recoverable makes top-ups a balance recovered from later earnings.
	Recoverable bool
	// From is the first period of the draw (a label of Frequency), or
	// DrawFromHire.
	From string
	// Periods is the number of periods the draw is paid for.
	Periods int
	// MaxRecovery is the most recovered in one period (zero: no limit).
	MaxRecovery decimal.Decimal
	// OnTermination is OnTerminationRecover or OnTerminationWriteOff
	// (recoverable draws only).
	OnTermination string
	// EarningCodes limits the earnings counted against the draw (empty:
	// every code). Adjustments are never counted.
	EarningCodes []string
	// Plans limits the earnings counted to these comp plans (empty: all).
	Plans []string
	// EarningCode is the code of the draw's payable lines (default DRAW).
	EarningCode string
}

// Counts reports whether earnings of plan under code count against the draw.
func (d Draw) Counts(plan, code string) bool {
	return (len(d.EarningCodes) == 0 || contains(d.EarningCodes, code)) && (len(d.Plans) == 0 || contains(d.Plans, plan))
}

// DeficitRule says what settlement does when a person's payable lines
// of a period add up to less than zero.
type DeficitRule struct {
	Pos Pos
	// Action is DeficitCarry or DeficitPay.
	Action string
	// EarningCode is the code of the carry and recovery lines (default
	// DEFICIT).
	EarningCode string
}

func (r *reader) deficitRule(n *yaml.Node) *DeficitRule {
	m := r.mapping(n, "deficits")
	d := &DeficitRule{Pos: r.pos(n)}
	d.Action = m.enum("action", DeficitCarry, DeficitCarry, DeficitPay)
	d.EarningCode = r.earningCode(m, "DEFICIT")
	m.done()
	return d
}

func (r *reader) earningCode(m *mapping, def string) string {
	if c := m.name("earning_code", false); c != "" {
		return c
	}
	return def
}

func (r *reader) draws(nodes []*yaml.Node, currency string) []Draw {
	if len(nodes) > settlementDrawsMax {
		r.errorf(nodes[0], "settlement policy: %d draws; the limit is %d", len(nodes), settlementDrawsMax)
		return nil
	}
	var out []Draw
	names := map[string]Pos{}
	for i, n := range nodes {
		m := r.mapping(n, fmt.Sprintf("draw %d", i+1))
		d := Draw{Pos: r.pos(n)}
		d.Name = m.name("name", true)
		if prev, dup := names[d.Name]; dup && d.Name != "" {
			r.errorf(n, "%s: a draw named %q is already defined at line %d", m.what, d.Name, prev.Line)
		}
		names[d.Name] = d.Pos
		d.Eligibility = m.rule("eligibility", false, rules.PersonEnv{}, rules.KindBool, nil)
		d.Frequency = period.Frequency(m.enum("period", "", string(period.Monthly), string(period.Quarterly), string(period.Annual)))
		if !m.has("period") {
			m.value("period", true)
		}
		d.Amount = r.positiveMoney(m, "amount", true, currency)
		d.Recoverable = m.boolean("recoverable")
		if v := m.scalar("from", true); v != nil {
			d.From = v.Value
			if d.From != DrawFromHire {
				p, err := period.Calendar{}.Parse(d.From)
				switch {
				case err != nil:
					r.errorf(v, "%s.from: %v, or hire", m.what, err)
				case d.Frequency != "" && p.Frequency != d.Frequency:
					r.errorf(v, "%s.from: %s is not a %s period", m.what, d.From, d.Frequency)
				}
			}
		}
		if m.value("periods", true) != nil {
			d.Periods = m.integer("periods", 0, 1, drawPeriodsMax)
		}
		if m.has("max_recovery") {
			d.MaxRecovery = r.positiveMoney(m, "max_recovery", false, currency)
			if !d.Recoverable {
				r.errorf(m.keys["max_recovery"], "%s.max_recovery: only a recoverable draw is recovered; add recoverable: true or remove max_recovery", m.what)
			}
		}
		if d.Recoverable {
			if m.value("on_termination", true) != nil {
				d.OnTermination = m.enum("on_termination", "", OnTerminationRecover, OnTerminationWriteOff)
			}
		} else if v := m.value("on_termination", false); v != nil {
			r.errorf(m.keys["on_termination"], "%s.on_termination: a non-recoverable draw leaves no balance; remove on_termination or add recoverable: true", m.what)
		}
		for _, cn := range m.list("earning_codes", false) {
			if cn.Kind != yaml.ScalarNode || cn.Value == "" {
				r.errorf(cn, "%s.earning_codes: want earning codes such as COMM", m.what)
				continue
			}
			d.EarningCodes = append(d.EarningCodes, cn.Value)
		}
		for _, pn := range m.list("plans", false) {
			if pn.Kind != yaml.ScalarNode || !nameRE.MatchString(pn.Value) {
				r.errorf(pn, "%s.plans: want comp plan names such as ae-quarterly", m.what)
				continue
			}
			d.Plans = append(d.Plans, pn.Value)
		}
		d.EarningCode = r.earningCode(m, "DRAW")
		m.done()
		out = append(out, d)
	}
	return out
}

// positiveMoney reads an amount above 0 at the currency's precision.
func (r *reader) positiveMoney(m *mapping, key string, required bool, currency string) decimal.Decimal {
	amount, ok := m.decimal(key, required)
	if !ok {
		return decimal.Zero
	}
	v := m.value(key, false)
	if amount.Sign() <= 0 {
		r.errorf(v, "%s.%s: must be more than 0", m.what, key)
	}
	if p, ok := money.Precision(currency); ok && -amount.Exponent() > int32(p) {
		r.errorf(v, "%s.%s: %s has more decimals than %s's %d", m.what, key, amount, currency, p)
	}
	return amount
}
