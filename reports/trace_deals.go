package reports

import (
	"fmt"

	"github.com/icomp/icomp/engine"
)

// dealLines explains the parts of a trace that per-deal rate tables,
// SPIFF windows and curves add: which deals, which tier parts and which
// rates; or where on the curve the input fell.
func dealLines(t engine.Trace) []string {
	var out []string
	if t.Window != "" {
		out = append(out, fmt.Sprintf("window: deals dated %s only", t.Window))
	}
	if ds := t.Deals; ds != nil {
		if ds.Window == "" {
			out = append(out, "each deal tiered on its own amount, from 0")
		} else {
			out = append(out, fmt.Sprintf("running total over %s, deal by deal in date order", ds.Window))
		}
		if ds.Earlier > 0 {
			out = append(out, fmt.Sprintf("%d earlier deal(s), paid in their own periods, bring it to %s", ds.Earlier, ds.CarriedIn))
		}
		for _, d := range ds.Paid {
			out = append(out, fmt.Sprintf("deal %s (%s, %s): %s takes the total from %s to %s", d.Txn, d.Date, d.Rule, d.Value, d.From, d.To))
			for _, p := range d.Parts {
				to := "and up"
				if p.To != nil {
					to = "to " + p.To.String()
				}
				out = append(out, fmt.Sprintf("  tier %d (from %s %s): %s × %s = %s", p.Tier, p.From, to, p.Basis, p.Rate, p.Amount))
			}
			out = append(out, fmt.Sprintf("  deal %s pays %s, rounded to %s", d.Txn, d.Amount, d.Rounded))
		}
	}
	if c := t.Curve; c != nil {
		switch c.Where {
		case "between":
			out = append(out, fmt.Sprintf("curve: %s = %s lies between (%s, %s) and (%s, %s): y = %s", c.Of, c.X, c.From.X, c.From.Y, c.To.X, c.To.Y, c.Y))
		case "at":
			out = append(out, fmt.Sprintf("curve: %s = %s is the point (%s, %s): y = %s", c.Of, c.X, c.From.X, c.From.Y, c.Y))
		case "above":
			if c.To != nil {
				out = append(out, fmt.Sprintf("curve: %s = %s is above the last point; the segment (%s, %s)–(%s, %s) continues: y = %s", c.Of, c.X, c.From.X, c.From.Y, c.To.X, c.To.Y, c.Y))
			} else {
				out = append(out, fmt.Sprintf("curve: %s = %s is above the last point (%s, %s): y = %s", c.Of, c.X, c.From.X, c.From.Y, c.Y))
			}
		default:
			out = append(out, fmt.Sprintf("curve: %s = %s is below the first point (%s, %s): y = %s", c.Of, c.X, c.From.X, c.From.Y, c.Y))
		}
		out = append(out, fmt.Sprintf("%s × %s = %s", c.Y, c.Times, c.Amount))
	}
	return out
}

// onceLine explains a once component that an earlier period already paid.
func onceLine(t engine.Trace) []string {
	if t.Once == nil {
		return nil
	}
	return []string{fmt.Sprintf("paid once: %s was paid earlier this fiscal year, so this period pays %s", t.Once.EarlierPaid, t.Result)}
}
