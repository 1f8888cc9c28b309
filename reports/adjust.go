package reports

import (
	"fmt"
	"strings"

	"github.com/icomp/icomp/engine"
)

// adjustmentLines explains the ramped or prorated targets, the proration
// and the MBO objectives of a trace (docs/plans.md §20).
func adjustmentLines(t engine.Trace) []string {
	var out []string
	for _, tg := range t.Targets {
		out = append(out, fmt.Sprintf("%s = %s:", tg.Name, tg.Target))
		for _, p := range tg.Periods {
			parts := []string{fmt.Sprintf("  %s: %s", p.Period, p.Base)}
			if p.Ramp != nil {
				parts = append(parts, fmt.Sprintf("× %s (ramp step %d)", p.Ramp, p.RampStep))
			}
			if p.Of != 0 {
				parts = append(parts, fmt.Sprintf("× %d/%d %s employed", p.Worked, p.Of, p.Unit))
			}
			parts = append(parts, "= "+p.Amount.String())
			out = append(out, strings.Join(parts, " "))
		}
	}
	if pr := t.Proration; pr != nil {
		out = append(out, fmt.Sprintf("proration = %d/%d days employed = %s", pr.DaysWorked, pr.Days, pr.Factor))
	}
	if m := t.MBO; m != nil {
		for _, o := range m.Objectives {
			line := fmt.Sprintf("objective %s: score %s", o.Objective, o.Score)
			switch {
			case o.Threshold != nil && o.Score.LessThan(*o.Threshold):
				line += fmt.Sprintf(", below threshold %s, counts 0", o.Threshold)
			case o.Cap != nil && o.Score.GreaterThan(*o.Cap):
				line += fmt.Sprintf(", capped at %s", o.Cap)
			}
			out = append(out, line+fmt.Sprintf(" × weight %s = %s", o.Weight, o.Weighted))
		}
		if m.Voided != "" {
			out = append(out, fmt.Sprintf("objective %s is below its threshold: the whole payout is void", m.Voided))
		} else {
			out = append(out, fmt.Sprintf("weighted score %s × target_amount %s (%s)", m.Score, m.TargetAmount, strings.TrimSpace(m.TargetRule)))
		}
	}
	return out
}
