package engine_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// payCyclePlan pays per pay cycle, with a measure on every window, a
// month-to-date rate table and a cumulative component (which reads prior
// payouts). %s is the frequency and anchor.
const payCyclePlan = `kind: comp_plan
name: cycles
version: "1"
effective: {from: 2026-01-01}
currency: USD
%s
credit:
  - name: owner
measures:
  - name: cycle
  - name: month
    window: mtd
  - name: quarter
    window: qtd
  - name: year
    window: ytd
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.05
  - name: month_bonus
    type: rate_table
    measure: month
    mode: marginal
    tiers:
      - {from: 0, to: 100000, rate: 0}
      - {from: 100000, rate: 0.01}
  - name: ytd_spiff
    type: per_credit
    cumulative: true
    amount: credit.amount * 0.001
`

// TestPayCyclesOrderBatchAndWindows checks semi-monthly and bi-weekly plans
// (any anchor) on random facts: the result does not depend on the order of
// the input or on batching; each measure is exactly the sum of the
// person's transactions dated in its window, computed from the dates
// alone; and the year's cycles partition the year to date (the cycle
// measures of periods 1..k add up to the ytd measure of period k), so no
// day is counted twice or lost, also for a cycle that straddles two fiscal
// years.
func TestPayCyclesOrderBatchAndWindows(t *testing.T) {
	t.Parallel()
	semi := compPlan(t, fmt.Sprintf(payCyclePlan, "period: semimonthly"))
	var biweekly []*plans.CompPlan
	for offset := range 14 {
		anchor := period.MustDate("2027-01-01").AddDays(offset)
		biweekly = append(biweekly, compPlan(t, fmt.Sprintf(payCyclePlan, "period: biweekly\npay_cycle_anchor: "+anchor.String())))
	}
	last := period.MustDate("2027-08-08") // genFacts dates run 2026-12-01 .. 2027-08-08
	rapid.Check(t, func(t *rapid.T) {
		plan := semi
		if rapid.Bool().Draw(t, "biweekly") {
			plan = rapid.SampledFrom(biweekly).Draw(t, "anchor")
		}
		var ps []period.Period
		for _, p := range plan.Calendar.Periods(2027, plan.Frequency) {
			if !p.End.After(last) {
				ps = append(ps, p)
			}
		}
		k := rapid.IntRange(0, len(ps)-1).Draw(t, "period")
		people, txns, _ := genFacts(t)
		// Employment and plan assignment dates limit credit (covered by
		// TestComputeIsOrderAndBatchIndependent); here everyone works the
		// whole year, so the measures are checked against the dates alone.
		for i := range people {
			people[i].HireDate, people[i].TerminationDate = period.Date{}, period.Date{}
			people[i].AssignedFrom, people[i].AssignedUntil = period.Date{}, period.Date{}
		}
		// And every deal is in the plan's currency (conversion is covered
		// there too).
		for i := range txns {
			txns[i].Currency = ""
		}
		var prior []facts.PriorPayout
		for _, p := range people {
			if rapid.Bool().Draw(t, "has prior") {
				prior = append(prior, facts.PriorPayout{Person: p.ID, Component: "ytd_spiff", Amount: decimal.New(rapid.Int64Range(0, 100_000).Draw(t, "prior"), -2)})
			}
		}
		in := engine.Input{Plan: plan, Period: ps[k], People: people, Transactions: txns, Prior: prior}
		res, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("Compute %s: %v", ps[k].Label, err)
		}
		want := canonical(t, res)

		shuffled := in
		shuffled.People = rapid.Permutation(people).Draw(t, "people order")
		shuffled.Transactions = rapid.Permutation(txns).Draw(t, "transaction order")
		shuffled.Prior = rapid.Permutation(prior).Draw(t, "prior order")
		merged := map[string][]string{}
		var batches [2][]facts.Person
		for _, p := range shuffled.People {
			b := rapid.IntRange(0, 1).Draw(t, "batch")
			batches[b] = append(batches[b], p)
		}
		for _, batch := range batches {
			part := shuffled
			part.People = batch
			r, err := engine.Compute(part)
			if err != nil {
				t.Fatalf("Compute, batch: %v", err)
			}
			for person, lines := range canonical(t, r) {
				merged[person] = lines
			}
		}
		if diff := firstDifference(merged, want); diff != "" {
			t.Fatalf("%s: shuffled, batched input gives another result: %s", ps[k].Label, diff)
		}

		// Measures against the dates alone.
		byWindow := map[string]period.Window{"cycle": period.WindowPeriod, "month": period.WindowMTD, "quarter": period.WindowQTD, "year": period.WindowYTD}
		for _, m := range res.Measures {
			span := ps[k].Window(byWindow[m.Measure])
			sum := decimal.Zero
			for _, tx := range txns {
				if tx.Owner == m.Person && span.Contains(tx.Date) {
					sum = sum.Add(tx.Amount)
				}
			}
			if !m.Value.Equal(sum) || m.Range != span {
				t.Fatalf("%s: measure %s of %s = %s over %s; want %s over %s", ps[k].Label, m.Measure, m.Person, m.Value, m.Range, sum, span)
			}
		}

		// The cycles of the year to date partition it.
		cycles := map[string]decimal.Decimal{}
		for _, p := range ps[:k+1] {
			r, err := engine.Compute(engine.Input{Plan: plan, Period: p, People: people, Transactions: txns})
			if err != nil {
				t.Fatalf("Compute %s: %v", p.Label, err)
			}
			for _, m := range r.Measures {
				if m.Measure == "cycle" {
					cycles[m.Person] = cycles[m.Person].Add(m.Value)
				}
			}
		}
		for _, m := range res.Measures {
			if m.Measure == "year" && !m.Value.Equal(cycles[m.Person]) {
				t.Fatalf("%s: %s's cycles 1..%d add up to %s, but the year to date is %s", ps[k].Label, m.Person, k+1, cycles[m.Person], m.Value)
			}
		}
	})
}

// A commission on a deal dated in the days a straddling first cycle takes
// from the previous fiscal year is paid in that cycle, and in no cycle of
// the previous year.
func TestBiWeeklyCycleStraddlingFiscalYears(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, fmt.Sprintf(payCyclePlan, "period: biweekly\npay_cycle_anchor: 2027-01-01"))
	people := []facts.Person{{ID: "ae-1"}}
	txns := []facts.Transaction{txn("T1", "2036-12-20", "new", "ae-1", "1000")}
	pay := func(label string) string {
		p, err := plan.Calendar.Parse(label)
		if err != nil {
			t.Fatal(err)
		}
		res, err := engine.Compute(engine.Input{Plan: plan, Period: p, People: people, Transactions: txns})
		if err != nil {
			t.Fatal(err)
		}
		return res.TotalFor("ae-1").String()
	}
	// 2037-BW01 is 2036-12-19..2037-01-01; 2036-BW26 ends 2036-12-18.
	if got := pay("2037-BW01"); got != "51" {
		t.Fatalf("2037-BW01 pays %s, want 51 (5%% commission and 0.1%% spiff of 1000)", got)
	}
	if got := pay("2036-BW26"); got != "0" {
		t.Fatalf("2036-BW26 pays %s, want 0", got)
	}
}
