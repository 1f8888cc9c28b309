package reports

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// TestTraceLinesPerDeal checks that a statement shows a rep which deal
// paid what, in which tier parts and at which rates, and where a curve
// input fell.
func TestTraceLinesPerDeal(t *testing.T) {
	t.Parallel()
	src := `kind: comp_plan
name: t
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit:
  - name: owner
measures:
  - name: arr_ytd
    window: ytd
components:
  - name: commission
    type: rate_table
    measure: arr_ytd
    per: deal
    window: {from: 2027-01-01, to: 2027-12-31}
    tiers:
      - {from: 0, to: 150000, rate: 0.04}
      - {from: 150000, rate: 0.06}
  - name: bonus
    type: curve
    of: measure.arr_ytd / 100000
    times: 1000
    points:
      - {x: 1, y: 0}
      - {x: 2, y: 1}
  - name: milestone
    type: formula
    amount: 500
    once: true
`
	f, diags := plans.Load("plan.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, err := f.Comp.Calendar.Parse("2027-Q2")
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Compute(engine.Input{
		Plan: f.Comp, Period: p, People: []facts.Person{{ID: "ae-1"}},
		Transactions: []facts.Transaction{
			{ID: "D1", Date: period.MustDate("2027-02-01"), Owner: "ae-1", Amount: decimal.RequireFromString("145000")},
			{ID: "D2", Date: period.MustDate("2027-04-10"), Owner: "ae-1", Amount: decimal.RequireFromString("20000")},
		},
		Prior: []facts.PriorPayout{{Person: "ae-1", Component: "milestone", Amount: decimal.RequireFromString("500")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, po := range res.Payouts {
		// The statement reads the trace back from the ledger line's
		// detail, JSON.
		raw, err := json.Marshal(po.Trace)
		if err != nil {
			t.Fatal(err)
		}
		var tr engine.Trace
		if err := json.Unmarshal(raw, &tr); err != nil {
			t.Fatal(err)
		}
		got = append(got, po.Component+":")
		got = append(got, TraceLines(tr)...)
	}
	want := `commission:
measure.arr_ytd = 165000
window: deals dated 2027-01-01..2027-12-31 only
running total over 2027-01-01..2027-06-30, deal by deal in date order
1 earlier deal(s), paid in their own periods, bring it to 145000
deal D2 (2027-04-10, owner): 20000 takes the total from 145000 to 165000
  tier 1 (from 0 to 150000): 5000 × 0.04 = 200
  tier 2 (from 150000 and up): 15000 × 0.06 = 900
  deal D2 pays 1100, rounded to 1100
computed 1100
rounded to 1100
bonus:
measure.arr_ytd = 165000
curve: measure.arr_ytd / 100000 = 1.65 lies between (1, 0) and (2, 1): y = 0.65
0.65 × 1000 = 650
computed 650
rounded to 650
milestone:
measure.arr_ytd = 165000
formula: 500
computed 500
rounded to 500
paid once: 500 was paid earlier this fiscal year, so this period pays 0`
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("got\n%s\nwant\n%s", g, want)
	}
}
