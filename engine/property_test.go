package engine_test

import (
	"encoding/json"
	"fmt"
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

// typedPlan is the realistic plan with typed attributes (docs/plans.md
// §17): a per-unit SPIFF on the deal's quantity, a margin commission on
// amount less cost (cost defaults to 0), a renewal flag and a person's
// target incentive.
var typedPlan = strings.Replace(strings.Replace(strings.Replace(realisticPlan, `name: ae-realistic`, `name: ae-typed`, 1), `credit:
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
		add(a.Person, "attainment %s %s / %s = %s", a.Measure, exactString(a.Value), exactString(a.Target), exactString(a.Ratio))
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
	targets := targetPlan(t, realisticTargets)
	planList := []*plans.CompPlan{compPlan(t, realisticPlan), compPlan(t, overlayPlan), compPlan(t, typedPlan)}
	q2 := quarter(t, "2027-Q2")
	rapid.Check(t, func(t *rapid.T) {
		plan := planList[rapid.IntRange(0, len(planList)-1).Draw(t, "plan")]
		people, txns, prior := genFacts(t)
		in := engine.Input{Plan: plan, Targets: targets, Period: q2, People: people, Transactions: txns, Prior: prior, FX: propertyFX}
		res, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		want := canonical(t, res)

		shuffled := in
		shuffled.People = rapid.Permutation(people).Draw(t, "people order")
		shuffled.Transactions = rapid.Permutation(txns).Draw(t, "transaction order")
		shuffled.Prior = rapid.Permutation(prior).Draw(t, "prior order")
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

		// Split credit divides: when every person of a split is in the
		// input and eligible, their credits add up to the transaction.
		eligible := map[string]bool{}
		for _, p := range people {
			eligible[p.ID] = p.Role == "AE"
		}
		credited := map[string]decimal.Decimal{}
		for _, c := range res.Credits {
			if c.Rule == "team" {
				credited[c.TxnID] = credited[c.TxnID].Add(c.Amount)
			}
		}
		for _, tx := range txns {
			if len(tx.Splits) == 0 || !q2.Contains(tx.Date) {
				continue
			}
			all := true
			for _, s := range tx.Splits {
				all = all && eligible[s.Person]
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
