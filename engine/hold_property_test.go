package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// TestHoldsPayEachDealOnce checks, for random deals of 2027, payment dates
// (in their period, later, after the year, or none) and cancellations (in
// full or half, in and out of the window, before or after the payment),
// that holding changes when a deal is paid, never how much: over the four
// quarters, what the plan with a hold pays (lines, holds, releases and
// clawbacks) plus what is still held at the year's end (less the part
// cancelled while held) is exactly what the same plan without the hold
// pays. Amounts are multiples of 200, so that every deal's part and half
// of it are whole cents and no rounding differs between the two plans.
func TestHoldsPayEachDealOnce(t *testing.T) {
	t.Parallel()
	withHold := compPlan(t, holdPlan)
	without := compPlan(t, strings.Replace(holdPlan, "hold:\n  until: paid_on\n", "", 1))
	people := []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "ae-2", Role: "AE"}}
	year := period.MustDate("2027-01-01")
	var quarters []period.Period
	for _, q := range []string{"2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"} {
		quarters = append(quarters, quarter(t, q))
	}
	rapid.Check(t, func(t *rapid.T) {
		var txns []facts.Transaction
		n := rapid.IntRange(1, 12).Draw(t, "deals")
		for i := range n {
			deal := txn(fmt.Sprintf("T-%02d", i), year.AddDays(rapid.IntRange(0, 364).Draw(t, "day")).String(), "new",
				rapid.SampledFrom([]string{"ae-1", "ae-2"}).Draw(t, "owner"), fmt.Sprint(200*rapid.IntRange(1, 400).Draw(t, "amount")))
			switch rapid.IntRange(0, 2).Draw(t, "payment") {
			case 1:
				deal.Attrs = map[string]string{"paid_on": deal.Date.AddDays(rapid.IntRange(0, 200).Draw(t, "paid after")).String()}
			case 2:
				deal.Attrs = map[string]string{"paid_on": deal.Date.AddDays(rapid.IntRange(0, 20).Draw(t, "paid after")).String()}
			}
			txns = append(txns, deal)
			if rapid.Bool().Draw(t, "cancelled") {
				ret := deal.Amount
				if rapid.Bool().Draw(t, "half") {
					ret = ret.Div(decimal.NewFromInt(2))
				}
				c := cancel("C"+deal.ID, deal.Date.AddDays(rapid.IntRange(0, 120).Draw(t, "cancel after")).String(), deal.ID, ret.Neg().String())
				c.Owner = deal.Owner
				txns = append(txns, c)
			}
		}
		total := func(plan, label string) (decimal.Decimal, map[string]decimal.Decimal, map[string]bool) {
			sum := decimal.Zero
			held, released := map[string]decimal.Decimal{}, map[string]bool{}
			for _, q := range quarters {
				p := withHold
				if plan == "without" {
					p = without
				}
				res, err := engine.Compute(engine.Input{Plan: p, Period: q, People: people, Transactions: txns})
				if err != nil {
					t.Fatalf("%s %s: %v", label, q.Label, err)
				}
				for _, l := range res.Payouts {
					sum = sum.Add(l.Amount)
					for _, h := range l.Trace.Holds {
						if l.Trace.Type == engine.TraceTypeHold {
							held[h.Deal] = held[h.Deal].Add(h.Paid)
						} else {
							released[h.Deal] = true
						}
					}
				}
			}
			return sum, held, released
		}
		got, held, released := total("with", "with a hold")
		want, _, _ := total("without", "without")
		// What is still held at the year's end would be paid, less the
		// part cancelled (within the window, in the year) while held.
		for _, deal := range txns {
			if released[deal.ID] || held[deal.ID].IsZero() {
				continue
			}
			returned := decimal.Zero
			for _, c := range txns {
				days := int(c.Date.Time().Sub(deal.Date.Time()).Hours() / 24)
				if c.Attrs["cancels"] == deal.ID && days <= 90 && c.Date.Before(period.MustDate("2028-01-01")) {
					returned = returned.Sub(c.Amount)
				}
			}
			got = got.Add(held[deal.ID].Mul(deal.Amount.Sub(returned)).Div(deal.Amount))
		}
		if !got.Equal(want) {
			t.Fatalf("with a hold the year pays %s (with what is still held); without, %s", got, want)
		}
	})
}
