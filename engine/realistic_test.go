package engine_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// realisticPlan is a typical account-executive plan: owner credit for
// direct deals and split credit for team deals; bookings (a sum filtered on
// the transaction type) and new logos (a count); a marginal rate table on
// attainment with a cap, a per-credit SPIFF with a where filter, a formula
// bonus behind a gate, and a cap on the total.
const realisticPlan = `kind: comp_plan
name: ae-realistic
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
targets: quotas
eligibility: person.role == "AE"
credit:
  - name: direct
    to: owner
    when: txn.product != "enterprise"
  - name: team
    to: splits
    when: txn.product == "enterprise"
measures:
  - name: bookings
    aggregate: sum
    where: txn.type in ["new", "upsell", "refund"]
  - name: new_logos
    aggregate: count
    where: txn.type == "new" && credit.amount >= 500
    window: ytd
components:
  - name: commission
    type: rate_table
    measure: bookings
    key: attainment
    mode: marginal
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, to: 1.5, rate: 0.12}
      - {from: 1.5, rate: 0.15}
    cap: 40000
  - name: spiff
    type: per_credit
    where: txn.type == "new" && credit.amount >= 50000
    amount: 250 * credit.share
  - name: logo_bonus
    type: formula
    gate: attainment.bookings >= 0.5
    amount: measure.new_logos * 100
steps:
  - name: total_cap
    type: cap_total
    amount: 45000
`

const realisticTargets = `kind: target_plan
name: quotas
version: "1"
period: quarterly
targets:
  - role: AE
    measure: bookings
    periods: {2027-Q1: 250000, 2027-Q2: 250000, 2027-Q3: 300000, 2027-Q4: 300000}
`

var (
	txnTypes    = []string{"new", "new", "upsell", "upsell", "renewal", "refund"}
	txnProducts = []string{"core", "core", "addon", "enterprise"}
)

// realisticFacts makes nPeople account executives (and a few people of
// other roles, who are not eligible) and nTxns transactions from the start
// of fiscal 2027 to the end of Q2, deterministically from seed: a quarter
// of them team deals split two or three ways, a sixth of them refunds.
func realisticFacts(seed uint64, nPeople, nTxns int) ([]facts.Person, []facts.Transaction) {
	rng := rand.New(rand.NewPCG(seed, 0x1c0a9))
	people := make([]facts.Person, 0, nPeople+nPeople/10)
	for i := range nPeople {
		people = append(people, facts.Person{ID: fmt.Sprintf("ae-%03d", i), Name: fmt.Sprintf("AE %d", i), Role: "AE", Territory: fmt.Sprintf("T%d", i%7)})
	}
	for i := range nPeople / 10 {
		people = append(people, facts.Person{ID: fmt.Sprintf("se-%03d", i), Role: "SE"})
	}
	start := period.MustDate("2027-01-01")
	txns := make([]facts.Transaction, nTxns)
	for i := range txns {
		t := &txns[i]
		t.ID = fmt.Sprintf("T%06d", i)
		t.Date = start.AddDays(rng.IntN(181)) // 2027-01-01 .. 2027-06-30
		t.Type = txnTypes[rng.IntN(len(txnTypes))]
		t.Product = txnProducts[rng.IntN(len(txnProducts))]
		owner := rng.IntN(len(people))
		t.Owner = people[owner].ID
		// Most deals are small, sized by the owner's productivity (so that
		// attainment spreads from a fifth of target to above 150%); one in
		// 500 is a large deal that earns the SPIFF.
		cents := int64(rng.IntN(40_000) * (1 + owner%5))
		if rng.IntN(500) == 0 {
			cents = 5_000_000 + int64(rng.IntN(7_000_000))
		}
		if t.Type == "refund" {
			cents = -cents / 4
		}
		t.Amount = decimal.New(cents, -2)
		if t.Product == "enterprise" {
			t.Splits = splitsFor(rng, people, t.Owner)
		}
	}
	return people, txns
}

// splitsFor splits a deal between its owner and one or two others:
// 60/40 or thirds written to ten places (which leave cents to hand out).
func splitsFor(rng *rand.Rand, people []facts.Person, owner string) []facts.Split {
	other := func(not ...string) string {
		for {
			id := people[rng.IntN(len(people))].ID
			clash := false
			for _, n := range not {
				clash = clash || id == n
			}
			if !clash {
				return id
			}
		}
	}
	if rng.IntN(2) == 0 {
		return []facts.Split{{Person: owner, Share: d("0.6")}, {Person: other(owner), Share: d("0.4")}}
	}
	b := other(owner)
	c := other(owner, b)
	return []facts.Split{
		{Person: owner, Share: d("0.3333333334")},
		{Person: b, Share: d("0.3333333333")},
		{Person: c, Share: d("0.3333333333")},
	}
}

func realisticInput(tb testing.TB, people []facts.Person, txns []facts.Transaction) engine.Input {
	return engine.Input{
		Plan:         compPlan(tb, realisticPlan),
		Targets:      targetPlan(tb, realisticTargets),
		Period:       quarter(tb, "2027-Q2"),
		People:       people,
		Transactions: txns,
	}
}

// BenchmarkCompute runs the realistic plan over 100 people and 100,000
// transactions (about half of them in the period, the rest earlier in the
// year for the year-to-date measure), given in ID order as storage lists
// them, and reports the cost per transaction.
func BenchmarkCompute(b *testing.B) { benchmarkCompute(b, false) }

// BenchmarkComputeShuffled is BenchmarkCompute with the transactions in
// no particular order, which Compute must sort.
func BenchmarkComputeShuffled(b *testing.B) { benchmarkCompute(b, true) }

func benchmarkCompute(b *testing.B, shuffle bool) {
	const nPeople, nTxns = 100, 100_000
	people, txns := realisticFacts(1, nPeople, nTxns)
	if shuffle {
		rand.New(rand.NewPCG(2, 3)).Shuffle(len(txns), func(i, j int) { txns[i], txns[j] = txns[j], txns[i] })
	}
	in := realisticInput(b, people, txns)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := engine.Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N) * nTxns
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/txn")
	b.ReportMetric(n/b.Elapsed().Seconds(), "txn/s")
}

// allMechanicsRollupPlan is allMechanicsPlan (per-deal tables, curve,
// window, once, proration, annual targets, MBO, typed attributes, FX and
// clawbacks) plus credit rolled up one level to the owner's manager, a
// team measure on it and a per-credit roll-up pay.
var allMechanicsRollupPlan = strings.Replace(strings.Replace(strings.Replace(allMechanicsPlan, "name: ae-all", "name: ae-all-rollup", 1),
	"measures:\n", `  - name: rollup
    to: managers
    levels: 1
    when: txn.type == "new"
measures:
  - name: team
    where: credit.rule == "rollup"
`, 1), "  - name: logo_bonus", `  - name: rollup_pay
    type: per_credit
    where: credit.rule == "rollup"
    amount: credit.amount * 0.01
  - name: logo_bonus`, 1)

// allMechanicsInput is the realistic facts (nPeople AEs, nTxns
// transactions) dressed for allMechanicsRollupPlan: typed attributes on
// every transaction and person, one transaction in five in EUR, a tenth
// of the people hired during the year (ramped targets) and a few hired or
// leaving during Q2 (prorated), each AE but the first ten reporting to
// one of those (the hierarchy given as such), MBO scores, and one positive deal in 100 cancelled (in
// full or in part) 20 to 110 days later, up to the end of Q2. The
// transactions are in ID order, as storage lists them.
func allMechanicsInput(tb testing.TB, nPeople, nTxns int) engine.Input {
	people, txns := realisticFacts(1, nPeople, nTxns)
	var scores []facts.Score
	for i := range people {
		p := &people[i]
		p.Attrs = map[string]string{"target_incentive": fmt.Sprint(10000 + 500*(i%20))}
		switch i % 20 {
		case 3:
			p.HireDate = period.MustDate("2027-02-15") // ramped
		case 7:
			p.HireDate = period.MustDate("2027-05-01") // ramped and prorated
		case 11:
			p.TerminationDate = period.MustDate("2027-06-15") // prorated
		}
		if p.Role == "AE" && i >= 10 {
			p.Manager = fmt.Sprintf("ae-%03d", i%10)
		}
		scores = append(scores,
			facts.Score{Person: p.ID, Objective: "pipeline", Score: decimal.New(int64(40+i%90), -2)},
			facts.Score{Person: p.ID, Objective: "csat", Score: decimal.New(int64(60+i%70), -2)})
	}
	end := period.MustDate("2027-06-30")
	for i := range txns {
		t := &txns[i]
		t.Attrs = map[string]string{"quantity": fmt.Sprint(i % 30), "cost": t.Amount.Div(d("4")).StringFixed(2), "signed_on": t.Date.AddDays(-3).String()}
		if i%7 == 0 {
			t.Attrs["multi_year"] = "true"
		}
		if i%5 == 0 {
			t.Currency = "EUR"
		}
	}
	for i := range nTxns {
		deal := txns[i]
		if i%100 != 0 || deal.Amount.Sign() <= 0 {
			continue
		}
		c := deal
		c.ID = "C" + deal.ID
		c.Type = "cancellation"
		c.Date = deal.Date.AddDays(20 + i%91)
		if c.Date.After(end) {
			continue
		}
		c.Amount = deal.Amount.Neg()
		if i%300 == 0 {
			c.Amount = deal.Amount.Div(d("2")).Round(2).Neg() // a partial return
		}
		c.Attrs = maps.Clone(deal.Attrs)
		c.Attrs["cancels"] = deal.ID
		txns = append(txns, c)
	}
	slices.SortFunc(txns, func(a, b facts.Transaction) int { return strings.Compare(a.ID, b.ID) })
	var hier []facts.Reporting
	for _, p := range people {
		hier = append(hier, facts.Reporting{Person: p.ID, Manager: p.Manager, Role: p.Role})
	}
	return engine.Input{
		Hierarchy:    hier,
		Plan:         compPlan(tb, allMechanicsRollupPlan),
		Targets:      targetPlan(tb, rampedTargets),
		Period:       quarter(tb, "2027-Q2"),
		People:       people,
		Transactions: txns,
		Scores:       scores,
		FX:           propertyFX,
		Prior: []facts.PriorPayout{
			{Person: "ae-001", Component: "milestone", Amount: d("2500")},
			{Person: "ae-002", Component: "milestone", Amount: d("2500")},
		},
	}
}

// BenchmarkComputeAllMechanics is BenchmarkCompute with every mechanic
// the engine computes on at once (allMechanicsRollupPlan over
// allMechanicsInput): per-deal tables, curve, SPIFF window, once,
// proration and ramps, annual targets, MBO, typed attributes, EUR
// transactions converted, roll-up credit, and cancellations clawed back
// (which recompute the periods that paid the deals). txn/s counts the
// transactions of the input, cancellations included: the issue's "credited
// transactions per second per core" (Compute runs on one goroutine).
func BenchmarkComputeAllMechanics(b *testing.B) {
	const nPeople, nTxns = 100, 100_000
	in := allMechanicsInput(b, nPeople, nTxns)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := engine.Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N) * float64(len(in.Transactions))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/txn")
	b.ReportMetric(n/b.Elapsed().Seconds(), "txn/s")
}

// TestAllMechanicsClawbackReuse checks on allMechanicsInput that the
// clawbacks of deals paid in the period, read from the period's own lines,
// are those a recomputation of the period gives: with the hierarchy given,
// and without it (taken from the people given, which a recomputation
// given fewer people would climb differently, so the period is
// recomputed).
func TestAllMechanicsClawbackReuse(t *testing.T) {
	t.Parallel()
	in := allMechanicsInput(t, 60, 6000)
	noHier := in
	noHier.Hierarchy = nil
	for name, in := range map[string]engine.Input{"hierarchy": in, "people's managers": noHier} {
		res, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		clawbacks := 0
		for _, p := range res.Payouts {
			if p.Trace.Type == engine.TraceTypeClawback && !p.Amount.IsZero() {
				clawbacks++
			}
		}
		if clawbacks == 0 {
			t.Fatalf("%s: no clawback line takes anything back; the test needs some", name)
		}
		again, err := engine.Compute(engine.WithoutClawbackReuse(in))
		if err != nil {
			t.Fatalf("%s, recomputing: %v", name, err)
		}
		if diff := firstDifference(canonical(t, again), canonical(t, res)); diff != "" {
			t.Fatalf("%s: recomputing the period for clawbacks gives another result: %s", name, diff)
		}
	}
}

// BenchmarkComputeMechanics is BenchmarkComputeAllMechanics built up one
// group of mechanics at a time, on the same input, so that each group's
// cost shows as the difference from the line before it. The plans are
// the ones the property tests use.
func BenchmarkComputeMechanics(b *testing.B) {
	const nPeople, nTxns = 100, 100_000
	typedDeals := withTyped(withProration(dealsPlan, "ae-all"))
	steps := []struct{ name, plan string }{
		{"1-realistic", realisticPlan},
		{"2-per-deal-tables-curve-window-once", dealsPlan},
		{"3-proration-ramps-annual-mbo", withProration(dealsPlan, "ae-all")},
		{"4-typed-attributes", typedDeals},
		{"5-clawbacks", typedDeals + "clawback:\n  window_days: 90\n"},
		{"6-holds", allMechanicsPlan},
		{"7-roll-up", allMechanicsRollupPlan},
	}
	in := allMechanicsInput(b, nPeople, nTxns)
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			in := in
			in.Plan = compPlan(b, s.plan)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := engine.Compute(in); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			n := float64(b.N) * float64(len(in.Transactions))
			b.ReportMetric(n/b.Elapsed().Seconds(), "txn/s")
		})
	}
}
