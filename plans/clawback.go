package plans

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// CancelsAttr is the transaction attribute that makes a transaction a
// cancellation: the ID of the deal it cancels (in full, or in part for a
// partial return).
const CancelsAttr = "cancels"

// ClawbackLinePrefix starts the name of a clawback payout line:
// "clawback/commission" takes back what component commission paid.
const ClawbackLinePrefix = "clawback/"

// clawbackWindowDaysMax bounds clawback.window_days (ten years).
const clawbackWindowDaysMax = 3660

// Clawback is a plan's clawback of cancelled deals: a cancellation dated at
// most WindowDays after the deal it cancels takes back, in the period the
// cancellation is dated in, what the deal paid through each of Components,
// in proportion to the amount returned.
type Clawback struct {
	Pos        Pos
	WindowDays int
	// Components are the indexes (into CompPlan.Components) of the
	// components clawed back, in plan order.
	Components []int
}

// ClawbackLine is the name of the payout line that claws back component.
func ClawbackLine(component string) string { return ClawbackLinePrefix + component }

// ClawbackLines lists the names of the plan's clawback lines, in plan
// order (none without a clawback).
func (p *CompPlan) ClawbackLines() []string {
	if p.Clawback == nil {
		return nil
	}
	out := make([]string, len(p.Clawback.Components))
	for i, ci := range p.Clawback.Components {
		out[i] = ClawbackLine(p.Components[ci].Name)
	}
	return out
}

// clawback reads the plan's clawback key (n is nil when the plan has
// none). Only per_credit and rate_table components that are not cumulative
// can be clawed back: a formula has no per-deal basis, and a cumulative
// component already nets returns year to date, so clawing it back too
// would take the deal back twice.
func (r *reader) clawback(n *yaml.Node, p *CompPlan) *Clawback {
	if n == nil {
		return nil
	}
	m := r.mapping(n, "clawback")
	cb := &Clawback{Pos: r.pos(n)}
	if m.value("window_days", true) != nil {
		cb.WindowDays = m.integer("window_days", 0, 1, clawbackWindowDaysMax)
	}
	compNodes := m.list("components", false)
	listed := m.has("components")
	m.done()
	if n.Kind != yaml.MappingNode {
		return cb
	}
	eligible := func(c *Component) string {
		switch {
		case c.Type != ComponentPerCredit && c.Type != ComponentRateTable:
			return fmt.Sprintf("component %q is a %s: its payout has no per-deal basis to take back; clawback takes back %s and %s components", c.Name, c.Type, ComponentPerCredit, ComponentRateTable)
		case c.Cumulative:
			return fmt.Sprintf("component %q is cumulative: it already nets returns year to date, so a clawback would take the deal back twice; import the return as a refund (a negative transaction without %s) or drop the component from this list", c.Name, CancelsAttr)
		}
		return dealPartProblem(c, "clawed back")
	}
	if !listed {
		for i := range p.Components {
			if eligible(&p.Components[i]) == "" {
				cb.Components = append(cb.Components, i)
			}
		}
		if len(cb.Components) == 0 {
			r.errorf(n, "clawback: the plan has no %s or %s component that is not cumulative, so nothing could be clawed back; remove clawback or list the components", ComponentPerCredit, ComponentRateTable)
		}
		return cb
	}
	cb.Components = r.listedComponents(m, "clawback", compNodes, p, eligible, "list the components to claw back, or remove the key to claw back every per_credit and rate_table component")
	return cb
}

// listedComponents reads the component names listed under key (a plan
// section's components), each checked by eligible (an empty string when
// the component may be listed, else why not), and returns their indexes
// in plan order. emptyHint is what an empty list should say instead.
func (r *reader) listedComponents(m *mapping, key string, compNodes []*yaml.Node, p *CompPlan, eligible func(*Component) string, emptyHint string) []int {
	if len(compNodes) == 0 && m.value("components", false) != nil {
		r.errorf(m.value("components", false), "%s.components: the list is empty; %s", key, emptyHint)
	}
	var names []string
	for i := range p.Components {
		names = append(names, p.Components[i].Name)
	}
	seen := map[int]bool{}
	for _, cn := range compNodes {
		if cn.Kind != yaml.ScalarNode || cn.Value == "" {
			r.errorf(cn, "%s.components: want component names, got %s", key, kindName(cn))
			continue
		}
		idx := slices.IndexFunc(p.Components, func(c Component) bool { return c.Name == cn.Value })
		switch {
		case idx < 0:
			r.errorf(cn, "%s.components: no component named %q in this plan%s", key, cn.Value, didYouMean(cn.Value, names))
		case seen[idx]:
			r.errorf(cn, "%s.components: component %q is listed twice", key, cn.Value)
		case eligible(&p.Components[idx]) != "":
			r.errorf(cn, "%s.components: %s", key, eligible(&p.Components[idx]))
		default:
			seen[idx] = true
		}
	}
	// Plan order, whatever the order of the list.
	var out []int
	for i := range p.Components {
		if seen[i] {
			out = append(out, i)
		}
	}
	return out
}

// dealPartProblem says why what one deal earned through c cannot be
// worked out again in a later period (to claw it back, or to release it
// when held), or returns "": a once component's pay depends on what earlier
// periods paid, and a rule reading payout.<name> on other components,
// whose inputs (MBO scores, a team's lines) belong to their own period.
func dealPartProblem(c *Component, what string) string {
	if c.Once {
		return fmt.Sprintf("component %q is paid once a year: whether a deal earned anything through it depends on what earlier periods paid, so it cannot be %s deal by deal; drop it from this list", c.Name, what)
	}
	for _, r := range c.ComponentRules() {
		if r.Program.Reads("payout") {
			return fmt.Sprintf("component %q has a rule (%s) that reads payout of other components, so what one deal earned through it cannot be worked out on its own and %s; drop it from this list", c.Name, r.Pos, what)
		}
	}
	return ""
}
