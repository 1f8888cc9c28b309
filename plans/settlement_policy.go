package plans

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/money"
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
	caps := m.list("caps", true)
	m.done()
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
