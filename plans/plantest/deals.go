package plantest

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/plans"
)

// checkDeals compares what per-deal rate tables paid each deal with
// expect.deals. For a component listed there, every deal it paid a
// non-zero amount must be listed too.
func checkDeals(tc plans.TestCase, res *engine.Result) []string {
	if len(tc.ExpectDeals) == 0 {
		return nil
	}
	// person → component → deal → rounded amount (summed over the deal's
	// credits, when several credit rules credit it)
	got := map[string]map[string]map[string]decimal.Decimal{}
	for _, p := range res.Payouts {
		if p.Trace.Deals == nil {
			continue
		}
		if got[p.Person] == nil {
			got[p.Person] = map[string]map[string]decimal.Decimal{}
		}
		deals := map[string]decimal.Decimal{}
		for _, d := range p.Trace.Deals.Paid {
			deals[d.Txn] = deals[d.Txn].Add(d.Rounded)
		}
		got[p.Person][p.Component] = deals
	}
	var out []string
	for _, person := range sortedKeys(tc.ExpectDeals) {
		for _, comp := range sortedKeys(tc.ExpectDeals[person]) {
			want := tc.ExpectDeals[person][comp]
			have := got[person][comp]
			for _, deal := range sortedKeys(want) {
				w := want[deal]
				g, ok := have[deal]
				switch {
				case !ok:
					out = append(out, fmt.Sprintf("%s: deal %s / %s / %s: the component paid nothing for this deal, want %s", w.Pos, person, comp, deal, w.Value))
				case !g.Equal(w.Value):
					out = append(out, fmt.Sprintf("%s: deal %s / %s / %s: got %s, want %s (off by %s)", w.Pos, person, comp, deal, g, w.Value, g.Sub(w.Value)))
				}
			}
			for _, deal := range sortedKeys(have) {
				if _, ok := want[deal]; !ok && !have[deal].IsZero() {
					out = append(out, fmt.Sprintf("%s: deal %s / %s / %s: got %s, which the case does not expect; add it under expect.deals", tc.Pos, person, comp, deal, have[deal]))
				}
			}
		}
	}
	return out
}
