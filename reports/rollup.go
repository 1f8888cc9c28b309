package reports

import (
	"fmt"

	"github.com/icomp/icomp/engine"
)

// teamTraceLines explains an override: each report's payout line it was
// paid on, with the report's level below the manager, and the rate.
func teamTraceLines(t engine.Trace) []string {
	if t.Rate == nil {
		return nil
	}
	var out []string
	for _, l := range t.Team {
		out = append(out, fmt.Sprintf("report %s (level %d): %s %s %s", l.Person, l.Level, l.Plan, l.Component, l.Amount))
	}
	if len(t.Team) == 0 {
		out = append(out, "no report earned from the components named")
	}
	return append(out, fmt.Sprintf("rate %s", t.Rate))
}
