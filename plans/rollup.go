package plans

import (
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// CreditToManagers credits the transaction owner's managers, up the
// manager hierarchy as of the transaction's date (see CreditRule.Levels
// and CreditRule.Roles).
const CreditToManagers = "managers"

// ComponentOverride pays a percentage of what the payee's team earned
// from named components of another plan (see Component.Override).
const ComponentOverride = "override"

// OverrideOfTeamPayouts is the basis of an override component: the
// team's payout lines.
const OverrideOfTeamPayouts = "team_payouts"

// LevelsMax is the deepest roll-up or override a plan may ask for.
const LevelsMax = 20

// rolesMax bounds the roles a roll-up names.
const rolesMax = 20

// Rollup is how a `to: managers` credit rule climbs the hierarchy:
// Levels managers up (1 = the owner's manager), or, when Roles is set,
// every manager up the chain whose role is one of Roles.
type Rollup struct {
	Levels int
	Roles  []string
}

// Override is an override component's basis: Rate times what the
// payee's reports (down to Levels levels, as of the period's last day)
// earned from Components of Plan in the same period.
type Override struct {
	Of         string
	Plan       string
	Components []string
	Levels     int
	Rate       decimal.Decimal
}

// OverridePlans lists the plans whose payout lines p's override
// components read, in the order first named.
func (p *CompPlan) OverridePlans() []string {
	var out []string
	for _, c := range p.Components {
		if c.Override != nil && c.Override.Plan != "" && !contains(out, c.Override.Plan) {
			out = append(out, c.Override.Plan)
		}
	}
	return out
}

// RollupLevels is how many levels below a payee p's credit rules and
// override components reach (0: p reads no one else's transactions or
// payouts); -1 when a roll-up to roles climbs without a level limit.
func (p *CompPlan) RollupLevels() (credit, override int) {
	for _, c := range p.Credits {
		if c.Rollup == nil {
			continue
		}
		if len(c.Rollup.Roles) > 0 {
			credit = -1
		} else if credit >= 0 {
			credit = max(credit, c.Rollup.Levels)
		}
	}
	for _, c := range p.Components {
		if c.Override != nil {
			override = max(override, c.Override.Levels)
		}
	}
	return credit, override
}

// creditRollup reads the keys of a `to: managers` credit rule, and
// reports them on any other rule.
func (r *reader) creditRollup(cm *mapping, c *CreditRule) {
	levelsNode := cm.scalar("levels", false)
	roleNodes := cm.list("roles", false)
	if c.To != CreditToManagers {
		for _, k := range []string{"levels", "roles"} {
			if kn, ok := cm.keys[k]; ok {
				r.errorf(kn, "%s: key %q applies only to credit rules with to: %s, not to: %s", cm.what, k, CreditToManagers, c.To)
			}
		}
		return
	}
	ru := &Rollup{}
	c.Rollup = ru
	switch {
	case levelsNode != nil && cm.has("roles"):
		r.errorf(cm.keys["roles"], "%s: give levels or roles, not both: levels credits that many managers up, roles credits the managers holding those roles", cm.what)
	case levelsNode == nil && !cm.has("roles"):
		r.errorf(cm.node, "%s: to: %s needs levels (how many managers up the owner's chain to credit, e.g. levels: 1) or roles (which managers' roles to credit, e.g. roles: [Manager, Director])", cm.what, CreditToManagers)
	}
	ru.Levels = cm.integer("levels", 0, 1, LevelsMax)
	if len(roleNodes) > rolesMax {
		r.errorf(cm.values["roles"], "%s.roles: %d roles; the limit is %d", cm.what, len(roleNodes), rolesMax)
	}
	for _, n := range roleNodes {
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			r.errorf(n, "%s.roles: want a role name, got %s", cm.what, kindName(n))
			continue
		}
		if contains(ru.Roles, n.Value) {
			r.errorf(n, "%s.roles: %q appears twice", cm.what, n.Value)
			continue
		}
		ru.Roles = append(ru.Roles, n.Value)
	}
	if cm.has("roles") && len(roleNodes) == 0 && levelsNode == nil {
		r.errorf(cm.keys["roles"], "%s.roles: want a list of one or more role names", cm.what)
	}
}

// componentOverride reads the keys of an override component, and reports
// them on any other type.
func (r *reader) componentOverride(cm *mapping, c *Component, p *CompPlan) {
	planNode := cm.scalar("plan", c.Type == ComponentOverride)
	compNodes := cm.list("components", c.Type == ComponentOverride)
	rateNode := cm.value("rate", c.Type == ComponentOverride)
	// A curve's of is its input rule (curve.go), read there.
	var of string
	if c.Type != ComponentCurve {
		of = cm.enum("of", OverrideOfTeamPayouts, OverrideOfTeamPayouts)
	}
	levels := cm.integer("levels", 1, 1, LevelsMax)
	if c.Type != ComponentOverride {
		for _, k := range []string{"of", "plan", "components", "levels", "rate"} {
			if kn, ok := cm.keys[k]; ok && (k != "of" || c.Type != ComponentCurve) {
				r.errorf(kn, "%s: key %q applies only to %s components, not %s", cm.what, k, ComponentOverride, c.Type)
			}
		}
		return
	}
	o := &Override{Of: of, Levels: levels}
	c.Override = o
	for _, k := range []string{"where", "amount", "measure", "key", "mode", "tiers", "cumulative"} {
		if kn, ok := cm.keys[k]; ok {
			r.errorf(kn, "%s: key %q does not apply to %s components; an override pays rate × the team's payouts from the components named", cm.what, k, ComponentOverride)
		}
	}
	if planNode != nil {
		o.Plan = planNode.Value
		if !nameRE.MatchString(o.Plan) {
			r.errorf(planNode, "%s.plan: %q is not a valid plan name", cm.what, o.Plan)
		} else if o.Plan == p.Name {
			r.errorf(planNode, "%s.plan: an override reads the team's payouts from another plan (the plan that pays the reports), not from plan %q itself", cm.what, p.Name)
		}
	}
	for _, n := range compNodes {
		if n.Kind != yaml.ScalarNode || !nameRE.MatchString(n.Value) {
			r.errorf(n, "%s.components: want a component name of plan %s, got %s", cm.what, o.Plan, kindName(n))
			continue
		}
		if contains(o.Components, n.Value) {
			r.errorf(n, "%s.components: %q appears twice", cm.what, n.Value)
			continue
		}
		o.Components = append(o.Components, n.Value)
	}
	if cm.has("components") && len(compNodes) == 0 {
		r.errorf(cm.keys["components"], "%s.components: want a list of one or more component names of plan %s", cm.what, o.Plan)
	}
	if rateNode != nil {
		if v, ok := r.decimalNode(rateNode, cm.what+".rate"); ok {
			if v.Sign() < 0 || v.GreaterThan(one) {
				r.errorf(rateNode, "%s.rate: want a fraction from 0 to 1 (0.05 is 5%%), got %s", cm.what, v)
			}
			o.Rate = v
		}
	}
}

var one = decimal.NewFromInt(1)

// MissingComponents lists the names of names that are neither a
// component nor a step of p, and the names p has.
func MissingComponents(p *CompPlan, names []string) (missing, known []string) {
	for _, c := range p.Components {
		known = append(known, c.Name)
	}
	for _, s := range p.Steps {
		known = append(known, s.Name)
	}
	for _, n := range names {
		if !contains(known, n) {
			missing = append(missing, n)
		}
	}
	return missing, known
}
