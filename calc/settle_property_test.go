package calc_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

const propertyPolicy = `kind: settlement_policy
name: company
version: "1"
currency: USD
caps:
  - {name: ceiling, amount: 9000, earning_codes: [COMM]}
draws:
  - {name: ramp, eligibility: 'person.role == "AE"', period: monthly, amount: 2000, recoverable: true, from: hire, periods: 4, max_recovery: 500, on_termination: recover}
  - {name: floor, eligibility: 'person.role == "SE"', period: monthly, amount: 1000, from: 2027-M02, periods: 3}
  - {name: forgiven, eligibility: 'person.role == "AE"', period: monthly, amount: 300, recoverable: true, from: 2027-M01, periods: 2, on_termination: write_off, earning_codes: [BONUS]}
`

// TestSettlePropertyBatchIndependence: settling months in order gives
// the same payable and balance lines whether everyone is settled in one
// batch or people are split into batches in any order, with their
// earned lines in any order. And whatever the inputs: no person's
// payable total is negative (deficits are carried), no balance is
// negative, and each balance line's movements add up.
func TestSettlePropertyBatchIndependence(t *testing.T) {
	t.Parallel()
	pol := policy(t, propertyPolicy)
	cal := period.Calendar{}
	months := cal.Periods(2027, period.Monthly)
	rapid.Check(t, func(t *rapid.T) {
		nPeople := rapid.IntRange(1, 8).Draw(t, "people")
		var people []facts.Person
		employment := map[string]calc.Employment{}
		var ids []string
		for i := range nPeople {
			id := fmt.Sprintf("p%d", i)
			ids = append(ids, id)
			people = append(people, facts.Person{ID: id, Role: rapid.SampledFrom([]string{"AE", "AE", "SE", "CSM"}).Draw(t, "role")})
			emp := calc.Employment{Hire: months[0].Start.AddDays(rapid.IntRange(0, 150).Draw(t, "hire"))}
			if rapid.Bool().Draw(t, "leaves") {
				emp.Termination = emp.Hire.AddDays(rapid.IntRange(0, 200).Draw(t, "tenure"))
			}
			employment[id] = emp
		}
		nMonths := rapid.IntRange(1, 7).Draw(t, "months")
		type monthInput struct {
			earned      []ledger.Line
			adjustments []storage.Adjustment
		}
		inputs := make([]monthInput, nMonths)
		adjID := int64(0)
		for m := range nMonths {
			for _, id := range ids {
				for _, comp := range []string{"commission", "bonus", "clawback"} {
					if !rapid.Bool().Draw(t, "has line") {
						continue
					}
					cents := rapid.Int64Range(-300_000, 1_200_000).Draw(t, "cents")
					code := map[string]string{"commission": "COMM", "bonus": "BONUS", "clawback": "COMM"}[comp]
					plan := rapid.SampledFrom([]string{"ae", "se"}).Draw(t, "plan")
					l := ledger.Line{Ledger: ledger.PayoutLedger, Plan: plan, Period: months[m].Label, Person: id, Subject: comp,
						Currency: "USD", EarningCode: code, Amount: decimal.New(cents, -2)}
					l.Key = ledger.PostKey(l, "")
					inputs[m].earned = append(inputs[m].earned, l)
				}
				if rapid.IntRange(0, 5).Draw(t, "adjust") == 0 {
					adjID++
					inputs[m].adjustments = append(inputs[m].adjustments, storage.Adjustment{ID: adjID, Person: id, Period: months[m].Label,
						Amount: decimal.New(rapid.Int64Range(-100_000, 100_000).Draw(t, "adjustment"), -2), Currency: "USD", EarningCode: "ADJ"})
				}
			}
		}
		settle := func(m int, who []string, earned []ledger.Line, adjustments []storage.Adjustment, opening []ledger.Line) []ledger.Line {
			in := map[string]bool{}
			for _, id := range who {
				in[id] = true
			}
			s := calc.Settlement{Period: months[m], Calendar: cal, Policies: []*plans.SettlementPolicy{pol}, Employment: employment, PreviousCalculated: m > 0}
			for _, l := range earned {
				if in[l.Person] {
					s.Earned = append(s.Earned, l)
				}
			}
			for _, a := range adjustments {
				if in[a.Person] {
					s.Adjustments = append(s.Adjustments, a)
				}
			}
			for _, l := range opening {
				if in[l.Person] {
					s.Opening = append(s.Opening, l)
				}
			}
			for _, p := range people {
				if in[p.ID] {
					s.People = append(s.People, p)
				}
			}
			lines, err := calc.Settle(s)
			if err != nil {
				t.Fatalf("settle %s: %v", months[m].Label, err)
			}
			return lines
		}
		var openWhole, openSplit []ledger.Line
		for m := range nMonths {
			whole := settle(m, ids, inputs[m].earned, inputs[m].adjustments, openWhole)
			var split []ledger.Line
			order := rapid.Permutation(ids).Draw(t, "batch order")
			for start := 0; start < len(order); {
				n := rapid.IntRange(1, len(order)-start).Draw(t, "batch size")
				earned := rapid.Permutation(inputs[m].earned).Draw(t, "earned order")
				split = append(split, settle(m, order[start:start+n], earned, inputs[m].adjustments, openSplit)...)
				start += n
			}
			if a, b := settledText(whole), settledText(split); a != b {
				t.Fatalf("%s: one batch settles\n%s\nbatches settle\n%s", months[m].Label, a, b)
			}
			totals := map[string]decimal.Decimal{}
			openWhole, openSplit = nil, nil
			for _, l := range whole {
				if l.Ledger == ledger.PayableLedger {
					totals[l.Person] = totals[l.Person].Add(l.Amount)
					continue
				}
				openWhole = append(openWhole, l)
				if l.Amount.Sign() < 0 {
					t.Fatalf("%s: negative balance %+v", months[m].Label, l)
				}
				checkMovements(t, l)
			}
			for _, l := range split {
				if l.Ledger == ledger.BalanceLedger {
					openSplit = append(openSplit, l)
				}
			}
			for id, total := range totals {
				if total.Sign() < 0 {
					t.Fatalf("%s: %s is paid %s, a negative total", months[m].Label, id, total)
				}
			}
		}
	})
}

// settledText renders lines canonically, sorted.
func settledText(lines []ledger.Line) string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s %s %s %s", l.Ledger, l.Period, l.Person, l.Plan, l.Subject, l.EarningCode,
			exact(l.Amount), l.Basis, l.Reason))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func exact(d decimal.Decimal) string { return fmt.Sprintf("%se%d", d.Coefficient(), d.Exponent()) }

// checkMovements checks that a balance line's closing amount is its
// opening plus what was drawn or carried, less what was recovered or
// written off.
func checkMovements(t *rapid.T, l ledger.Line) {
	sum := decimal.Zero
	for _, part := range strings.Split(l.Basis, "; ") {
		name, value, ok := strings.Cut(part, " ")
		if !ok {
			t.Fatalf("balance basis %q", l.Basis)
		}
		if name == "written" {
			value = strings.TrimPrefix(value, "off ")
		}
		d := decimal.RequireFromString(value)
		switch name {
		case "opening", "drawn", "carried":
			sum = sum.Add(d)
		case "recovered":
			sum = sum.Sub(d)
		case "written":
			sum = sum.Sub(d)
		default:
			t.Fatalf("balance basis %q: unknown movement %q", l.Basis, name)
		}
	}
	if !sum.Equal(l.Amount) {
		t.Fatalf("balance %+v: movements add up to %s", l, sum)
	}
}
