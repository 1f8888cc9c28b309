package plans

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/plans/rules"
)

// HoldLinePrefix starts the name of a hold payout line: "hold/commission"
// holds back what component commission paid deals not yet paid for.
const HoldLinePrefix = "hold/"

// ReleaseLinePrefix starts the name of a release payout line:
// "release/commission" pays what was held of component commission for
// deals whose payment arrived in the period.
const ReleaseLinePrefix = "release/"

// holdMaxDaysDefault is hold.max_days when the plan does not give it.
const holdMaxDaysDefault = 365

// Hold is a plan's pay on collection: in the period that pays a deal, what
// the deal earned through each of Components is held back when the deal
// has no payment date (the transaction attribute Until) or is paid after
// the period's end, and released in the period the payment date falls in,
// if at most MaxDays after the deal's date.
type Hold struct {
	Pos Pos
	// Until is the transaction attribute (declared date) holding the
	// date the customer paid.
	Until string
	// MaxDays bounds how long a hold waits: a payment dated more than
	// MaxDays after the deal releases nothing (the hold is forfeited).
	MaxDays int
	// Components are the indexes (into CompPlan.Components) of the held
	// components, in plan order.
	Components []int
}

// HoldLine is the name of the payout line that holds back component.
func HoldLine(component string) string { return HoldLinePrefix + component }

// ReleaseLine is the name of the payout line that releases component.
func ReleaseLine(component string) string { return ReleaseLinePrefix + component }

// HoldLines lists the names of the plan's hold and release lines, in plan
// order (none without a hold).
func (p *CompPlan) HoldLines() []string {
	if p.Hold == nil {
		return nil
	}
	var out []string
	for _, ci := range p.Hold.Components {
		out = append(out, HoldLine(p.Components[ci].Name), ReleaseLine(p.Components[ci].Name))
	}
	return out
}

// Holds reports whether the plan holds component index ci.
func (h *Hold) Holds(ci int) bool {
	if h == nil {
		return false
	}
	for _, c := range h.Components {
		if c == ci {
			return true
		}
	}
	return false
}

// hold reads the plan's hold key (nil when the plan has none). Only
// per_credit components and per-deal rate tables that are not cumulative
// can be held: they know what each deal earned on its own.
func (r *reader) hold(n *yaml.Node, p *CompPlan) *Hold {
	if n == nil {
		return nil
	}
	m := r.mapping(n, "hold")
	h := &Hold{Pos: r.pos(n)}
	untilNode := m.value("until", false)
	h.Until = m.name("until", true)
	h.MaxDays = m.integer("max_days", holdMaxDaysDefault, 1, clawbackWindowDaysMax)
	compNodes := m.list("components", false)
	listed := m.has("components")
	m.done()
	if n.Kind != yaml.MappingNode {
		return h
	}
	if h.Until != "" && untilNode != nil {
		d, ok := p.Attributes.Lookup(false, h.Until)
		switch {
		case !ok:
			r.errorf(untilNode, "hold.until: transaction attribute %q is not declared; declare it as a date (attributes: transaction: {%s: date})", h.Until, h.Until)
		case d.Type != rules.AttrDate:
			r.errorf(untilNode, "hold.until: transaction attribute %q is declared %s at %s; the payment date must be declared date", h.Until, d.Type, d.Pos)
		case d.Default != nil:
			r.errorf(untilNode, "hold.until: transaction attribute %q has a default (%s at %s): a deal without a payment would read as paid; remove the default", h.Until, *d.Default, d.Pos)
		}
	}
	eligible := func(c *Component) string {
		switch {
		case c.Type != ComponentPerCredit && !c.ByDeal():
			return fmt.Sprintf("component %q is a %s without a per-deal basis: only %s components and rate tables with per: deal or per: deal_amount know what each deal earned", c.Name, c.Type, ComponentPerCredit)
		case c.Cumulative:
			return fmt.Sprintf("component %q is cumulative: what it pays in a period is not the period's deals' own amounts, so there is nothing per deal to hold", c.Name)
		}
		return dealPartProblem(c, "held")
	}
	if !listed {
		for i := range p.Components {
			if eligible(&p.Components[i]) == "" {
				h.Components = append(h.Components, i)
			}
		}
		if len(h.Components) == 0 {
			r.errorf(n, "hold: the plan has no %s component or per-deal rate table that is not cumulative, so nothing could be held; remove hold or change the components", ComponentPerCredit)
		}
		return h
	}
	h.Components = r.listedComponents(m, "hold", compNodes, p, eligible, "list the components to hold, or remove the key to hold every per_credit component and per-deal rate table")
	return h
}
