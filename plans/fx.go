package plans

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
)

var fxMonthRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// fxRates reads a plan test case's fx list (docs/plans.md §18):
//
//	fx:
//	  - {from: GBP, to: USD, month: 2027-01, rate: 1.22}
//
// Each rate converts amounts dated in month; currencies must be ISO 4217
// codes icomp knows, the rate positive, and a pair and month given once.
func (r *reader) fxRates(nodes []*yaml.Node, what string) []facts.FXRate {
	var out []facts.FXRate
	seen := map[[3]string]int{}
	for i, n := range nodes {
		m := r.mapping(n, fmt.Sprintf("%s fx %d", what, i+1))
		x := facts.FXRate{From: m.currency("from"), To: m.currency("to")}
		if mn := m.scalar("month", true); mn != nil {
			if !fxMonthRE.MatchString(mn.Value) {
				r.errorf(mn, "%s.month: %q is not a month; want YYYY-MM", m.what, mn.Value)
			}
			x.Month = mn.Value
		}
		var ok bool
		if x.Rate, ok = m.decimal("rate", true); ok && x.Rate.Sign() <= 0 {
			r.errorf(m.values["rate"], "%s.rate: %s; a rate must be above 0", m.what, x.Rate)
		}
		if x.From != "" && x.From == x.To {
			r.errorf(n, "%s: from and to are both %s; a rate converts between two currencies", m.what, x.From)
		}
		m.done()
		k := [3]string{x.From, x.To, x.Month}
		if first, dup := seen[k]; dup {
			r.errorf(n, "%s: rate %s→%s for %s is already given by fx %d", m.what, x.From, x.To, x.Month, first)
		}
		seen[k] = i + 1
		out = append(out, x)
	}
	return out
}
