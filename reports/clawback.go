package reports

import (
	"fmt"

	"github.com/icomp/icomp/engine"
)

// ClawbackLines explains a clawback line's cancellations, one line each:
// the deal, the period that paid it, what it earned and at what rate, and
// the share of it returned (or why nothing was taken back).
func ClawbackLines(cts []engine.ClawbackTrace) []string {
	out := make([]string, 0, len(cts))
	for _, c := range cts {
		head := fmt.Sprintf("%s cancels %s (deal of %s for %s, paid in %s) on %s, %d days later (window %d days): returns %s",
			c.Cancellation, c.Cancels, c.DealDate, c.DealAmount, c.Period, c.CancelDate, c.Days, c.WindowDays, c.Returned)
		switch {
		case c.Days > c.WindowDays:
			out = append(out, head+"; "+c.Note)
		case c.Amount.IsZero() && !c.Paid.IsZero():
			// Held, not paid: nothing to take back.
			out = append(out, fmt.Sprintf("%s; the deal earned %s (%s)", head, c.Paid, c.Note))
		case c.Paid.IsZero() && c.Note == "":
			out = append(out, head+"; the deal earned nothing here")
		case c.Paid.IsZero():
			out = append(out, fmt.Sprintf("%s; the deal earned nothing here (%s)", head, c.Note))
		default:
			line := fmt.Sprintf("%s = %s of the deal; the deal earned %s on %s credited (rate %s), so %s × %s = %s",
				head, c.Share, c.Paid, c.Credited, c.Rate, c.Paid.Neg(), c.Share, c.Amount)
			if c.Note != "" {
				line += " (" + c.Note + ")"
			}
			out = append(out, line)
		}
	}
	return out
}
