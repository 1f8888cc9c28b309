package calc_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
)

// Settlement pays each person in their own currency: a line earned in the
// plan's currency converts at the rate of the month the period ends in,
// rounded to the payee currency's minor unit (JPY: none), and says so.
func TestSettleConvertsToPayeeCurrency(t *testing.T) {
	t.Parallel()
	m03 := period.Calendar{}.Periods(2027, period.Monthly)[2]
	eur := func(person, amount string) ledger.Line {
		l := earned(person, "emea-ae", "commission", "COMM", amount)
		l.Currency, l.Period = "EUR", m03.Label
		l.Key = ledger.PostKey(l, "")
		return l
	}
	rates := func(rs ...facts.FXRate) facts.FXRates {
		fx, err := facts.NewFXRates(rs)
		if err != nil {
			t.Fatal(err)
		}
		return fx
	}
	fx := rates(
		facts.FXRate{From: "EUR", To: "GBP", Month: "2027-02", Rate: decimal.RequireFromString("0.80")},
		facts.FXRate{From: "EUR", To: "GBP", Month: "2027-03", Rate: decimal.RequireFromString("0.8567")},
		facts.FXRate{From: "EUR", To: "JPY", Month: "2027-03", Rate: decimal.RequireFromString("161.237")},
	)
	people := []facts.Person{{ID: "uk-1", Currency: "GBP"}, {ID: "jp-1", Currency: "JPY"}, {ID: "de-1", Currency: "EUR"}, {ID: "xx-1"}}
	lines, err := calc.Settle(calc.Settlement{Period: m03, People: people, FX: fx,
		Earned: []ledger.Line{eur("uk-1", "1234.56"), eur("jp-1", "1234.56"), eur("de-1", "1234.56"), eur("xx-1", "10")}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		// 1234.56 × 0.8567 = 1057.6475... → 1057.65
		"uk-1": "1057.65 GBP converted to the payee's currency: 1234.56 EUR × 0.8567 (EUR→GBP, 2027-03) = 1057.65 GBP",
		// 1234.56 × 161.237 = 199056.75... → 199057 (JPY has no minor unit)
		"jp-1": "199057 JPY converted to the payee's currency: 1234.56 EUR × 161.237 (EUR→JPY, 2027-03) = 199057 JPY",
		"de-1": "1234.56 EUR ",
		"xx-1": "10 EUR ", // no currency of their own: paid in the plan's
	}
	for _, l := range lines {
		if got := l.Amount.String() + " " + l.Currency + " " + l.Reason; got != want[l.Person] {
			t.Errorf("%s: %q\nwant %q", l.Person, got, want[l.Person])
		}
	}

	// No rate for the month: an error naming pair, month and line, never
	// a rate of 1.
	_, err = calc.Settle(calc.Settlement{Period: m03, People: people, FX: rates(), Earned: []ledger.Line{eur("uk-1", "100")}})
	var missing *facts.MissingFXRateError
	if !errors.Is(err, engine.ErrInput) || !errors.As(err, &missing) ||
		!strings.Contains(err.Error(), "no fx rate EUR→GBP for 2027-03 (needed by paying uk-1's emea-ae commission (100 EUR) in GBP, their currency, for 2027-M03)") {
		t.Fatalf("missing rate: %v", err)
	}
}

// TestSettlePublishedPayeeCurrency reproduces the second half of iDynamics
// Commissions' "Commission & Settlement Currency" example
// (https://docs.idynamics.es/en/commissions/settlements/currency.html):
// a £1,000 invoice at £1 = $1.22 earns a US company's UK salesperson a 10%
// commission of $122 (examples/published/foreign-currency-invoice-commission);
// "If you pay commissions in pounds to that salesperson, you will pay a
// commission of £100". The USD→GBP rate is the inverse quote, 1 / 1.22 to
// ten places: 122 × 0.8196721311 = 99.99999999 → £100.00.
func TestSettlePublishedPayeeCurrency(t *testing.T) {
	t.Parallel()
	m01 := period.Calendar{}.Periods(2027, period.Monthly)[0]
	fx, err := facts.NewFXRates([]facts.FXRate{{From: "USD", To: "GBP", Month: "2027-01", Rate: decimal.RequireFromString("0.8196721311")}})
	if err != nil {
		t.Fatal(err)
	}
	l := earned("uk-rep", "published-foreign-currency-invoice-commission", "commission", "commission", "122.00")
	lines, err := calc.Settle(calc.Settlement{Period: m01, People: []facts.Person{{ID: "uk-rep", Currency: "GBP"}}, FX: fx, Earned: []ledger.Line{l}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Amount.String() != "100" || lines[0].Currency != "GBP" {
		t.Fatalf("payable = %+v, want 100.00 GBP", lines)
	}
}

// TestSettleConversionOrderIndependent: for random earned lines of people
// paid in various currencies, settlement gives the same payable lines,
// conversions included, whatever the order of the lines and people, and
// each person's lines the same when settled in a batch of their own.
func TestSettleConversionOrderIndependent(t *testing.T) {
	t.Parallel()
	m03 := period.Calendar{}.Periods(2027, period.Monthly)[2]
	fx, err := facts.NewFXRates([]facts.FXRate{
		{From: "EUR", To: "GBP", Month: "2027-03", Rate: decimal.RequireFromString("0.8567")},
		{From: "EUR", To: "JPY", Month: "2027-03", Rate: decimal.RequireFromString("161.237")},
		{From: "EUR", To: "KWD", Month: "2027-03", Rate: decimal.RequireFromString("0.3321")},
	})
	if err != nil {
		t.Fatal(err)
	}
	render := func(lines []ledger.Line) map[string][]string {
		out := map[string][]string{}
		for _, l := range lines {
			out[l.Person] = append(out[l.Person], l.Plan+" "+l.Subject+" "+l.Amount.String()+" "+l.Currency+" "+l.Reason)
		}
		return out
	}
	rapid.Check(t, func(t *rapid.T) {
		var people []facts.Person
		var earnedLines []ledger.Line
		for i := range rapid.IntRange(1, 6).Draw(t, "people") {
			id := fmt.Sprintf("p%d", i)
			people = append(people, facts.Person{ID: id, Currency: rapid.SampledFrom([]string{"", "EUR", "GBP", "JPY", "KWD"}).Draw(t, "currency")})
			for j := range rapid.IntRange(0, 4).Draw(t, "lines") {
				l := earned(id, "emea", fmt.Sprintf("c%d", j), "COMM", decimal.New(rapid.Int64Range(-100_000, 10_000_000).Draw(t, "cents"), -2).String())
				l.Currency, l.Period = "EUR", m03.Label
				l.Key = ledger.PostKey(l, "")
				earnedLines = append(earnedLines, l)
			}
		}
		want, err := calc.Settle(calc.Settlement{Period: m03, People: people, FX: fx, Earned: earnedLines})
		if err != nil {
			t.Fatal(err)
		}
		got, err := calc.Settle(calc.Settlement{Period: m03, People: rapid.Permutation(people).Draw(t, "people order"), FX: fx,
			Earned: rapid.Permutation(earnedLines).Draw(t, "line order")})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(render(got), render(want)) {
			t.Fatalf("shuffled: %v\nwant %v", render(got), render(want))
		}
		for _, p := range people {
			var mine []ledger.Line
			for _, l := range earnedLines {
				if l.Person == p.ID {
					mine = append(mine, l)
				}
			}
			alone, err := calc.Settle(calc.Settlement{Period: m03, People: []facts.Person{p}, FX: fx, Earned: mine})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(render(alone)[p.ID], render(want)[p.ID]) {
				t.Fatalf("%s alone: %v\nwant %v", p.ID, render(alone)[p.ID], render(want)[p.ID])
			}
		}
	})
}
