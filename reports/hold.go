package reports

import (
	"fmt"

	"github.com/icomp/icomp/engine"
)

// HoldLines explains a hold or release line's deals, one line each: the
// deal, the period that paid and held it, what it earned there, and why
// it is held (no payment yet, or paid after the period) or released (paid
// on a date in this period), or why nothing was released.
func HoldLines(t engine.Trace) []string {
	out := make([]string, 0, len(t.Holds))
	for _, h := range t.Holds {
		switch t.Type {
		case engine.TraceTypeHold:
			out = append(out, fmt.Sprintf("deal %s of %s earned %s (credited %s); %s: %s", h.Deal, h.DealDate, h.Paid, h.Credited, h.Note, h.Amount))
		default:
			out = append(out, fmt.Sprintf("deal %s of %s earned %s; %s: %s", h.Deal, h.DealDate, h.Paid, h.Note, h.Amount))
		}
	}
	return out
}
