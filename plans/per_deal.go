package plans

import (
	"fmt"

	"github.com/icomp/icomp/engine/period"
)

// Rate table scopes: what a rate_table component tiers.
const (
	// PerTotal tiers the measure's total for the period (the default).
	PerTotal = "total"
	// PerDeal tiers each credit of the measure, in date order, on the
	// measure's running total over its window: a deal can straddle tiers,
	// and each deal is paid once, in the period it is dated in.
	PerDeal = "deal"
	// PerDealAmount tiers each credit of the measure on its own value,
	// from 0: a deal's tiers do not depend on the deals before it.
	PerDealAmount = "deal_amount"
)

// ByDeal reports whether c is a rate table that pays deal by deal
// (per: deal or per: deal_amount).
func (c *Component) ByDeal() bool {
	return c.Type == ComponentRateTable && (c.Per == PerDeal || c.Per == PerDealAmount)
}

// DealWindow is the span of deal dates a component pays on (a SPIFF's
// window), both ends included.
type DealWindow struct {
	Pos   Pos
	Range period.Range
}

// componentDeals reads the keys of the per-deal mechanics: per (rate
// tables), window (per-credit components and per-deal rate tables) and
// once (any component). It runs before cm.done, so that the keys are
// known, and reports keys used where they do not apply.
func (r *reader) componentDeals(cm *mapping, c *Component, p *CompPlan) {
	c.Per = cm.enum("per", PerTotal, PerTotal, PerDeal, PerDealAmount)
	if cm.has("per") && c.Type != "" && c.Type != ComponentRateTable {
		r.errorf(cm.keys["per"], "%s: key %q applies only to %s components, not %s", cm.what, "per", ComponentRateTable, c.Type)
	}
	if c.ByDeal() {
		if k, ok := cm.keys["mode"]; ok && c.Mode == ModeRetroactive {
			r.errorf(k, "%s: per: %s pays each part of each deal at the rate of the tier it falls in, which is mode marginal; mode retroactive re-prices the whole measure and does not apply", cm.what, c.Per)
		}
		if k, ok := cm.keys["cumulative"]; ok && c.Cumulative {
			r.errorf(k, "%s: per: %s already pays each deal once, in the period it is dated in; drop cumulative", cm.what, c.Per)
		}
	}

	if wn := cm.value("window", false); wn != nil {
		wm := r.mapping(wn, cm.what+".window")
		w := DealWindow{Pos: r.pos(wn)}
		w.Range.Start = wm.date("from", true)
		w.Range.End = wm.date("to", true)
		wm.done()
		dealBased := c.Type == ComponentPerCredit || c.ByDeal()
		switch {
		case c.Type != "" && !dealBased:
			r.errorf(cm.keys["window"], "%s: window selects deals by date, so it applies only to %s components and rate tables with per: deal or per: deal_amount, not %s; to pay only in some periods, gate on period.start or period.end", cm.what, ComponentPerCredit, c.Type)
		case w.Range.Start.IsZero() || w.Range.End.IsZero():
			// reported by date
		case w.Range.End.Before(w.Range.Start):
			r.errorf(wn, "%s.window: to %s is before from %s", cm.what, w.Range.End, w.Range.Start)
		case !p.Effective.Start.IsZero() && w.Range.Start.Before(p.Effective.Start):
			r.errorf(wn, "%s.window: from %s is before the plan takes effect (%s); the window must lie inside the plan's effective dates", cm.what, w.Range.Start, p.EffectiveText())
		case !p.Effective.End.IsZero() && w.Range.End.After(p.Effective.End):
			r.errorf(wn, "%s.window: to %s is after the plan ends (%s); the window must lie inside the plan's effective dates", cm.what, w.Range.End, p.EffectiveText())
		default:
			c.Window = &w
		}
	}

	c.Once = cm.boolean("once")
	if c.Once && c.Cumulative {
		r.errorf(cm.keys["once"], "%s: once and cumulative cannot be combined: once pays in the first period of the fiscal year with a non-zero amount and never again, cumulative nets every period against the year to date", cm.what)
	}
}

// covers reports whether w lets a deal dated d through (a nil window lets
// every deal through).
func (w *DealWindow) covers(d period.Date) bool { return w == nil || w.Range.Contains(d) }

// Covers reports whether the component pays on a deal dated d: always,
// unless it has a window that does not hold d.
func (c *Component) Covers(d period.Date) bool { return c.Window.covers(d) }

// String is the window as the trace shows it.
func (w *DealWindow) String() string {
	return fmt.Sprintf("%s..%s", w.Range.Start, w.Range.End)
}
