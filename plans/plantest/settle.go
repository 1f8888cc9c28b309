package plantest

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// RunSettlement runs every case of a settlement test file.
func RunSettlement(tf *plans.SettlementTestFile) []CaseResult {
	out := make([]CaseResult, 0, len(tf.Cases))
	for _, tc := range tf.Cases {
		out = append(out, RunSettlementCase(tf, tc))
	}
	return out
}

// RunSettlementCase settles a case's periods in order, as runs of the
// periods one after the other would: each period opens with the
// balances the previous one closed with.
func RunSettlementCase(tf *plans.SettlementTestFile, tc plans.SettlementTestCase) CaseResult {
	cr := CaseResult{File: tf.File, Name: tc.Name, Pos: tc.Pos}
	var people []facts.Person
	employment := map[string]calc.Employment{}
	for _, p := range tc.People {
		people = append(people, p.Person)
		employment[p.ID] = calc.Employment{Hire: p.Hire, Termination: p.Termination}
	}
	var opening []ledger.Line
	adjustmentID := int64(0)
	for i, sp := range tc.Periods {
		var earned []ledger.Line
		for _, e := range sp.Earned {
			l := ledger.Line{Ledger: ledger.PayoutLedger, Plan: e.Plan, Period: sp.Period.Label, Person: e.Person, Subject: e.Component,
				Currency: e.Currency, EarningCode: e.EarningCode, Amount: e.Amount}
			l.Key = ledger.PostKey(l, "")
			earned = append(earned, l)
		}
		var adjustments []storage.Adjustment
		for _, a := range sp.Adjustments {
			adjustmentID++
			adjustments = append(adjustments, storage.Adjustment{ID: adjustmentID, Person: a.Person, Period: sp.Period.Label, Amount: a.Amount,
				Currency: a.Currency, EarningCode: a.EarningCode, Reason: a.Reason, CreatedBy: "plan test"})
		}
		previous := i > 0 && tc.Periods[i-1].Period.Ordinal() == sp.Period.Ordinal()-1
		if !previous {
			opening = nil
		}
		lines, err := calc.Settle(calc.Settlement{Period: sp.Period, Calendar: tf.Calendar, Earned: earned, Adjustments: adjustments,
			Policies: tf.Policies, People: people, Employment: employment, Opening: opening, PreviousCalculated: previous})
		if err != nil {
			cr.Failures = append(cr.Failures, fmt.Sprintf("%s: settling %s failed: %v", sp.Pos, sp.Period.Label, err))
			return cr
		}
		payable := map[string]map[string]decimal.Decimal{}
		balances := map[string]map[string]decimal.Decimal{}
		opening = opening[:0:0]
		for _, l := range lines {
			key := l.Subject
			target := balances
			if l.Ledger == ledger.PayableLedger {
				target = payable
				if l.Plan != "" {
					key = l.Plan + "/" + l.Subject
				}
			} else {
				opening = append(opening, l)
			}
			if target[l.Person] == nil {
				target[l.Person] = map[string]decimal.Decimal{}
			}
			target[l.Person][key] = target[l.Person][key].Add(l.Amount)
		}
		what := sp.Period.Label
		cr.Failures = append(cr.Failures, compareTable(what, "payable", "payable", sp.Pos, payable, sp.ExpectPayable)...)
		cr.Failures = append(cr.Failures, compareTable(what, "balance", "balances", sp.Pos, balances, sp.ExpectBalances)...)
		for _, person := range sortedKeys(sp.ExpectTotals) {
			want := sp.ExpectTotals[person]
			total := decimal.Zero
			for _, v := range payable[person] {
				total = total.Add(v)
			}
			if !total.Equal(want.Value) {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: %s total %s: got %s, want %s", want.Pos, what, person, total, want.Value))
			}
		}
	}
	return cr
}

// compareTable compares person → key → amount tables: every expected
// entry must be there and equal, and every non-zero entry expected.
func compareTable(periodLabel, noun, key string, pos plans.Pos, got map[string]map[string]decimal.Decimal, want map[string]map[string]plans.Expected) []string {
	var out []string
	for _, person := range sortedKeys(want) {
		for _, k := range sortedKeys(want[person]) {
			w := want[person][k]
			g, ok := got[person][k]
			switch {
			case !ok && !w.Value.IsZero():
				out = append(out, fmt.Sprintf("%s: %s %s %s / %s: got no line%s, want %s", w.Pos, periodLabel, noun, person, k, known(got[person]), w.Value))
			case !g.Equal(w.Value):
				out = append(out, fmt.Sprintf("%s: %s %s %s / %s: got %s, want %s (off by %s)", w.Pos, periodLabel, noun, person, k, g, w.Value, g.Sub(w.Value)))
			}
		}
	}
	for _, person := range sortedKeys(got) {
		for _, k := range sortedKeys(got[person]) {
			if _, ok := want[person][k]; !ok && !got[person][k].IsZero() {
				out = append(out, fmt.Sprintf("%s: %s %s %s / %s: got %s, which the case does not expect; add it under expect.%s", pos, periodLabel, noun, person, k, got[person][k], key))
			}
		}
	}
	return out
}

// known lists the keys there are, for a message about one that is not.
func known(m map[string]decimal.Decimal) string {
	if len(m) == 0 {
		return ""
	}
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + m[k].String()
	}
	return " (there are: " + strings.Join(parts, ", ") + ")"
}
