package engine_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// overlayPlan is the realistic plan plus overlay credit on renewals by
// territory and a cumulative SPIFF, so that the property below also covers
// territory credit and prior payouts.
var overlayPlan = strings.Replace(strings.Replace(realisticPlan, `measures:`, `  - name: overlay
    to: territory
    when: txn.type == "renewal"
measures:`, 1), `  - name: logo_bonus`, `  - name: ytd_spiff
    type: per_credit
    cumulative: true
    where: credit.rule == "overlay"
    amount: credit.amount * 0.001
  - name: logo_bonus`, 1)

// clawbackPlans are the realistic and overlay plans with a 90-day
// clawback, so that the property below also covers cancellations: their
// checks, recomputing the periods that paid the deals (the previous
// fiscal year's too) and the clawback lines.
var clawbackPlans = []string{realisticPlan + "clawback:\n  window_days: 90\n", overlayPlan + "clawback:\n  window_days: 90\n"}

// dealsPlan is the realistic plan plus per-deal step rates on the
// year-to-date bookings (deals straddle tiers, refunds run the total
// back), an attainment payout curve, a SPIFF window on the deal date and
// a milestone paid once, so that the property below also covers
// per_deal.go and curve.go: the running order of deals must not depend on
// the order or batching of the input.
var dealsPlan = strings.Replace(strings.Replace(realisticPlan, "measures:\n", `measures:
  - name: bookings_ytd
    window: ytd
    where: txn.type in ["new", "upsell", "refund"]
`, 1), `  - name: logo_bonus`, `  - name: step
    type: rate_table
    measure: bookings_ytd
    per: deal
    tiers:
      - {from: 0, to: 150000, rate: 0.04}
      - {from: 150000, to: 400000, rate: 0.0625}
      - {from: 400000, rate: 0.081}
  - name: deal_steps
    type: rate_table
    measure: bookings
    per: deal_amount
    tiers:
      - {from: 0, to: 20000, rate: 0.01}
      - {from: 20000, rate: 0.02}
  - name: window_spiff
    type: per_credit
    window: {from: 2027-04-15, to: 2027-05-15}
    where: txn.type == "new"
    amount: credit.amount * 0.003
  - name: curve_bonus
    type: curve
    of: attainment.bookings
    times: 7000
    points:
      - {x: 0.5, y: 0.1}
      - {x: 1, y: 1}
      - {x: 1.3, y: 1.9}
    below: zero
    above: extend
  - name: milestone
    type: formula
    gate: measure.bookings_ytd >= 300000
    amount: 2500
    once: true
  - name: logo_bonus`, 1)

// proratedPlan is the realistic plan plus components reading the employed
// fraction of the period and the annual target and an mbo component, and rampedTargets its
// targets ramped for new hires and prorated by days, so that the property
// below also covers proration and ramps (docs/plans.md §20).
var proratedPlan = withProration(realisticPlan, "ae-prorated")

// allMechanicsPlan has every mechanic the engine computes at once:
// per-deal tables, curves, windows, once, proration, annual targets, MBO,
// typed attributes, transactions in another currency, clawbacks and holds
// until paid_on (deals paid for after their period's end, or never).
var allMechanicsPlan = strings.Replace(withTyped(withProration(dealsPlan, "ae-all")), "    signed_on: date\n", "    signed_on: date\n    paid_on: date\n", 1) +
	"clawback:\n  window_days: 90\nhold:\n  until: paid_on\n"

// withProration adds proratedPlan's components to a plan derived from
// realisticPlan, under a new name.
func withProration(src, name string) string {
	return strings.Replace(strings.Replace(src, "name: ae-realistic", "name: "+name, 1), `steps:`, `  - name: guarantee
    type: formula
    amount: 1000 * proration
  - name: pace
    type: formula
    gate: annual_target.bookings > 0
    amount: target.bookings / annual_target.bookings * 100
  - name: mbo
    type: mbo
    target_amount: 5000 * proration
    objectives:
      - {name: pipeline, weight: 0.6, threshold: 0.5, cap: 1.5}
      - {name: csat, weight: 0.4}
steps:`, 1)
}

var rampedTargets = strings.Replace(strings.Replace(realisticTargets, "period: quarterly", "period: quarterly\nproration: days", 1),
	"2027-Q4: 300000}", "2027-Q4: 300000}\n    ramp: [0.25, 0.5, 0.75]", 1)

// typedPlan is the realistic plan with typed attributes (docs/plans.md
// §17): a per-unit SPIFF on the deal's quantity, a margin commission on
// amount less cost (cost defaults to 0), a renewal flag and a person's
// target incentive.
var typedPlan = withTyped(strings.Replace(realisticPlan, `name: ae-realistic`, `name: ae-typed`, 1))

// withTyped adds typedPlan's attributes and components to a plan derived
// from realisticPlan.
func withTyped(src string) string {
	return strings.Replace(strings.Replace(src, `credit:
`, `attributes:
  transaction:
    quantity: number
    cost: {type: number, default: 0}
    signed_on: date
    multi_year: {type: boolean, default: false}
  person:
    target_incentive: number
credit:
`, 1), `  - name: logo_bonus`, `  - name: unit_spiff
    type: per_credit
    where: txn.attrs.quantity >= 10 && (txn.attrs.multi_year || txn.attrs.signed_on < "2027-05-01")
    amount: txn.attrs.quantity * credit.share * 5
  - name: margin_commission
    type: per_credit
    amount: (credit.amount - txn.attrs.cost * credit.share) * 0.01
  - name: incentive_kicker
    type: formula
    gate: attainment.bookings >= 1
    amount: person.attrs.target_incentive * 0.05
  - name: logo_bonus`, 1)
}

// exactString shows a decimal with its exponent, so that 1.50 and 1.5 differ.
func exactString(x decimal.Decimal) string {
	return fmt.Sprintf("%se%d", x.Coefficient(), x.Exponent())
}

// canonical renders a Result line by line, each decimal exactly, keyed
// by person.
// fataler is what canonical needs of a *testing.T or a *rapid.T.
type fataler interface{ Fatal(args ...any) }

func canonical(tb fataler, res *engine.Result) map[string][]string {
	out := map[string][]string{}
	add := func(person, format string, args ...any) {
		out[person] = append(out[person], fmt.Sprintf(format, args...))
	}
	for _, c := range res.Credits {
		add(c.Person, "credit %s %s %s %s share %s amount %s fx %v", c.TxnID, c.Rule, c.Date, c.Type, exactString(c.Share), exactString(c.Amount), c.FX)
	}
	for _, m := range res.Measures {
		add(m.Person, "measure %s %s %s %s from %d", m.Measure, m.Window, m.Range, exactString(m.Value), m.Credits)
	}
	for _, a := range res.Attainment {
		adj, err := json.Marshal(a.Adjusted)
		if err != nil {
			tb.Fatal(err)
		}
		add(a.Person, "attainment %s %s / %s = %s %s", a.Measure, exactString(a.Value), exactString(a.Target), exactString(a.Ratio), adj)
	}
	for _, p := range res.Payouts {
		tr, err := json.Marshal(p.Trace)
		if err != nil {
			tb.Fatal(err)
		}
		add(p.Person, "payout %s %s %s %s %s", p.Component, p.EarningCode, p.Currency, exactString(p.Amount), tr)
	}
	return out
}

// firstDifference describes the first line where got and want differ,
// person by person, or returns "" when they are the same.
func firstDifference(got, want map[string][]string) string {
	people := map[string]bool{}
	for p := range got {
		people[p] = true
	}
	for p := range want {
		people[p] = true
	}
	ids := make([]string, 0, len(people))
	for p := range people {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	for _, p := range ids {
		g, w := got[p], want[p]
		for i := range max(len(g), len(w)) {
			gl, wl := "(none)", "(none)"
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if gl != wl {
				return fmt.Sprintf("person %s, line %d:\n got %s\nwant %s", p, i+1, gl, wl)
			}
		}
	}
	return ""
}

var shareSets = [][]string{
	{"1"},
	{"0.6", "0.4"},
	{"0.5", "0.5"},
	{"0.3333333334", "0.3333333333", "0.3333333333"},
	{"0.25", "0.25", "0.5"},
}

// genFacts draws people and transactions: splits (to people in and out of
// the input), refunds, overlay territories, dates in and out of the
// fiscal year to date, and prior payouts.
func genFacts(t *rapid.T) ([]facts.Person, []facts.Transaction, []facts.PriorPayout) {
	nPeople := rapid.IntRange(1, 15).Draw(t, "people")
	people := make([]facts.Person, nPeople)
	ids := make([]string, 0, nPeople+1)
	for i := range people {
		people[i] = facts.Person{
			ID:        fmt.Sprintf("p%02d", i),
			Role:      rapid.SampledFrom([]string{"AE", "AE", "AE", "SE"}).Draw(t, "role"),
			Territory: rapid.SampledFrom([]string{"east", "west", ""}).Draw(t, "territory"),
			Attrs:     map[string]string{"target_incentive": decimal.New(rapid.Int64Range(0, 5_000_000).Draw(t, "incentive"), -2).String()},
		}
		ids = append(ids, people[i].ID)
	}
	// Employment dates: some people were hired during the year to date
	// or leave during the quarter (each is employed on some day of Q2).
	for i := range people {
		if rapid.Bool().Draw(t, "hired") {
			people[i].HireDate = period.MustDate("2026-06-01").AddDays(rapid.IntRange(0, 394).Draw(t, "hire day")) // .. 2027-06-30
		}
		if rapid.IntRange(0, 3).Draw(t, "leaves") == 0 {
			people[i].TerminationDate = period.MustDate("2027-04-01").AddDays(rapid.IntRange(0, 182).Draw(t, "last day"))
			if people[i].TerminationDate.Before(people[i].HireDate) {
				people[i].TerminationDate = people[i].HireDate
			}
		}
		// A plan change: on the plan since a day of the year, or until a
		// day of Q2 (each still on it on some day of Q2).
		switch rapid.IntRange(0, 5).Draw(t, "plan change") {
		case 0:
			people[i].AssignedFrom = period.MustDate("2027-01-02").AddDays(rapid.IntRange(0, 179).Draw(t, "assigned from"))
		case 1:
			people[i].AssignedUntil = period.MustDate("2027-04-01").AddDays(rapid.IntRange(0, 90).Draw(t, "assigned until"))
		}
		if plans.EmployedDays(&people[i], period.Range{Start: period.MustDate("2027-04-01"), End: period.MustDate("2027-06-30")}) == 0 {
			people[i].AssignedFrom, people[i].AssignedUntil = period.Date{}, period.Date{} // left before joining the plan
		}
	}
	ids = append(ids, "outsider-1", "outsider-2", "outsider-3") // not in the input
	nTxns := rapid.IntRange(0, 150).Draw(t, "transactions")
	start := period.MustDate("2026-12-01")
	txns := make([]facts.Transaction, nTxns)
	for i := range txns {
		tx := &txns[i]
		tx.ID = fmt.Sprintf("T%03d", rapid.IntRange(0, 999).Draw(t, "id")*1000+i) // unique, in no particular order
		tx.Date = start.AddDays(rapid.IntRange(0, 250).Draw(t, "day"))            // 2026-12-01 .. 2027-08-08
		tx.Type = rapid.SampledFrom(txnTypes).Draw(t, "type")
		tx.Product = rapid.SampledFrom(txnProducts).Draw(t, "product")
		tx.Territory = rapid.SampledFrom([]string{"east", "west", ""}).Draw(t, "txn territory")
		tx.Owner = rapid.SampledFrom(ids).Draw(t, "owner")
		cents := rapid.Int64Range(0, 12_000_000).Draw(t, "cents")
		if tx.Type == "refund" {
			cents = -cents / 3
		}
		tx.Amount = decimal.New(cents, -2)
		tx.Attrs = map[string]string{
			"quantity":  fmt.Sprint(rapid.IntRange(0, 40).Draw(t, "quantity")),
			"signed_on": tx.Date.AddDays(-rapid.IntRange(0, 60).Draw(t, "signed before")).String(),
		}
		if rapid.Bool().Draw(t, "paid for") {
			tx.Attrs["paid_on"] = tx.Date.AddDays(rapid.IntRange(0, 200).Draw(t, "paid after")).String()
		}
		if rapid.Bool().Draw(t, "has cost") {
			tx.Attrs["cost"] = decimal.New(cents/4, -2).String()
		}
		if rapid.IntRange(0, 4).Draw(t, "currency") == 0 {
			tx.Currency = "EUR" // converted at propertyFX
		}
		if rapid.Bool().Draw(t, "multi-year") {
			tx.Attrs["multi_year"] = "true"
		}
		if tx.Product == "enterprise" {
			shares := rapid.SampledFrom(shareSets).Draw(t, "shares")
			who := rapid.Permutation(ids).Draw(t, "split people")
			for j, s := range shares {
				tx.Splits = append(tx.Splits, facts.Split{Person: who[j], Share: d(s)})
			}
		}
	}
	// Cancel some deals, in full or in part, from the same day to 150 days
	// later (in and out of the window): a copy of the deal (same owner,
	// territory and splits) with the amount returned.
	for i := range nTxns {
		deal := txns[i]
		if deal.Amount.Sign() <= 0 || !rapid.Bool().Draw(t, "cancel") {
			continue
		}
		c := deal
		c.ID = "C" + deal.ID
		c.Type = "cancellation"
		c.Date = deal.Date.AddDays(rapid.IntRange(0, 150).Draw(t, "cancel after"))
		c.Amount = decimal.New(-rapid.Int64Range(1, deal.Amount.Coefficient().Int64()).Draw(t, "returned cents"), -2)
		c.Attrs = maps.Clone(deal.Attrs) // a plan without a clawback credits it like any deal
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		c.Attrs["cancels"] = deal.ID
		txns = append(txns, c)
	}
	var prior []facts.PriorPayout
	for _, id := range ids {
		if rapid.Bool().Draw(t, "has prior") {
			prior = append(prior, facts.PriorPayout{Person: id, Component: "ytd_spiff", Amount: decimal.New(rapid.Int64Range(0, 100_000).Draw(t, "prior"), -2)})
		}
	}
	return people, txns, prior
}

// propertyFX converts the EUR transactions of genFacts into USD, a rate a
// month (docs/plans.md §18).
var propertyFX = func() facts.FXRates {
	var rates []facts.FXRate
	for i, m := range []string{"2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07", "2027-08"} {
		rates = append(rates, facts.FXRate{From: "EUR", To: "USD", Month: m, Rate: decimal.New(int64(10731+i*37), -4)})
	}
	fx, err := facts.NewFXRates(rates)
	if err != nil {
		panic(err)
	}
	return fx
}()

// TestComputeIsOrderAndBatchIndependent checks, for random facts on the
// realistic plans, that Compute gives exactly the same Result whatever the
// order of people, transactions and prior payouts, and that computing the
// people in two batches (each given all the transactions) gives each
// person exactly the lines of one batch of everyone.
func TestComputeIsOrderAndBatchIndependent(t *testing.T) {
	t.Parallel()
	targetList := []*plans.TargetPlan{targetPlan(t, realisticTargets), targetPlan(t, rampedTargets)}
	planList := []*plans.CompPlan{compPlan(t, realisticPlan), compPlan(t, overlayPlan), compPlan(t, clawbackPlans[0]), compPlan(t, clawbackPlans[1]),
		compPlan(t, dealsPlan), compPlan(t, dealsPlan+"clawback:\n  window_days: 90\n"), compPlan(t, proratedPlan), compPlan(t, typedPlan), compPlan(t, allMechanicsPlan)}
	q2 := quarter(t, "2027-Q2")
	rapid.Check(t, func(t *rapid.T) {
		plan := planList[rapid.IntRange(0, len(planList)-1).Draw(t, "plan")]
		targets := targetList[rapid.IntRange(0, len(targetList)-1).Draw(t, "targets")]
		people, txns, prior := genFacts(t)
		if slices.ContainsFunc(plan.Components, func(c plans.Component) bool { return c.Once }) {
			for _, p := range people {
				if rapid.Bool().Draw(t, "milestone paid") {
					prior = append(prior, facts.PriorPayout{Person: p.ID, Component: "milestone", Amount: d("2500")})
				}
			}
		}
		var scores []facts.Score
		for _, p := range people {
			for _, obj := range []string{"csat", "pipeline"} {
				scores = append(scores, facts.Score{Person: p.ID, Objective: obj, Score: decimal.New(rapid.Int64Range(0, 200).Draw(t, "score"), -2)})
			}
		}
		in := engine.Input{Plan: plan, Targets: targets, Period: q2, People: people, Transactions: txns, Prior: prior, Scores: scores, FX: propertyFX}
		res, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		want := canonical(t, res)

		if plan.Clawback != nil {
			// Clawbacks of deals paid in the period read the period's own
			// lines; recomputing the period gives the same result.
			again, err := engine.Compute(engine.WithoutClawbackReuse(in))
			if err != nil {
				t.Fatalf("Compute, recomputing the period for clawbacks: %v", err)
			}
			if diff := firstDifference(canonical(t, again), want); diff != "" {
				t.Fatalf("recomputing the period for clawbacks gives another result: %s", diff)
			}
		}

		shuffled := in
		shuffled.People = rapid.Permutation(people).Draw(t, "people order")
		shuffled.Transactions = rapid.Permutation(txns).Draw(t, "transaction order")
		shuffled.Prior = rapid.Permutation(prior).Draw(t, "prior order")
		shuffled.Scores = rapid.Permutation(scores).Draw(t, "score order")
		res2, err := engine.Compute(shuffled)
		if err != nil {
			t.Fatalf("Compute, shuffled: %v", err)
		}
		if diff := firstDifference(canonical(t, res2), want); diff != "" {
			t.Fatalf("shuffled input gives another result: %s", diff)
		}

		var batches [2][]facts.Person
		for _, p := range shuffled.People {
			b := rapid.IntRange(0, 1).Draw(t, "batch")
			batches[b] = append(batches[b], p)
		}
		merged := map[string][]string{}
		for _, batch := range batches {
			part := shuffled
			part.People = batch
			r, err := engine.Compute(part)
			if err != nil {
				t.Fatalf("Compute, batch: %v", err)
			}
			for person, lines := range canonical(t, r) {
				if _, dup := merged[person]; dup {
					t.Fatalf("person %s in both batches", person)
				}
				merged[person] = lines
			}
		}
		if diff := firstDifference(merged, want); diff != "" {
			t.Fatalf("two batches give another result: %s", diff)
		}

		// A per-deal line is the sum of its deals, each rounded, and every
		// deal it pays is dated in the period.
		for _, p := range res.Payouts {
			if p.Trace.Deals == nil {
				continue
			}
			sum := decimal.Zero
			for _, dt := range p.Trace.Deals.Paid {
				sum = sum.Add(dt.Rounded)
				if dt.Date < q2.Start.String() || dt.Date > q2.End.String() {
					t.Fatalf("%s / %s pays deal %s dated %s, outside %s", p.Person, p.Component, dt.Txn, dt.Date, q2.Label)
				}
			}
			if !sum.Equal(p.Trace.Computed) {
				t.Fatalf("%s / %s: deals add up to %s, line computed %s", p.Person, p.Component, sum, p.Trace.Computed)
			}
		}

		// Split credit divides: when every person of a split is in the
		// input and eligible, their credits add up to the transaction.
		eligible := map[string]*facts.Person{}
		for i, p := range people {
			if p.Role == "AE" {
				eligible[p.ID] = &people[i]
			}
		}
		credited := map[string]decimal.Decimal{}
		for _, c := range res.Credits {
			if c.Rule == "team" {
				credited[c.TxnID] = credited[c.TxnID].Add(c.Amount)
			}
		}
		for _, tx := range txns {
			if len(tx.Splits) == 0 || !q2.Contains(tx.Date) || tx.Attrs["cancels"] != "" {
				continue // cancellations are credited to nobody
			}
			all := true
			for _, s := range tx.Splits {
				p := eligible[s.Person]
				all = all && p != nil && plans.Employed(p, tx.Date)
			}
			want := tx.Amount
			if tx.Currency == "EUR" {
				rate, _, _ := propertyFX.Lookup("EUR", "USD", tx.Date)
				want = tx.Amount.Mul(rate).Round(2)
			}
			if all && !credited[tx.ID].Equal(want) {
				t.Fatalf("transaction %s: split credits sum to %s, want %s", tx.ID, credited[tx.ID], want)
			}
		}
	})
}
