package calc

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// Settle turns what people earned in period (their payout lines, posted
// in any order, of every plan) and their adjustments into payable lines:
// one per payout line in force and one per adjustment. It is where
// person-level mechanics that span plans (draws, holds, recoveries, caps
// across plans) take their place between earned and payable.
func Settle(period string, earned []ledger.Line, adjustments []storage.Adjustment) []ledger.Line {
	chains := ledger.Fold(earned)
	current := make([]ledger.Line, 0, len(chains))
	for _, c := range chains {
		if c.Current != nil {
			current = append(current, *c.Current)
		}
	}
	sort.Slice(current, func(i, j int) bool {
		a, b := current[i], current[j]
		if a.Person != b.Person {
			return a.Person < b.Person
		}
		if a.Plan != b.Plan {
			return a.Plan < b.Plan
		}
		return a.Subject < b.Subject
	})
	out := make([]ledger.Line, 0, len(current)+len(adjustments))
	for _, e := range current {
		out = append(out, ledger.Line{Ledger: ledger.PayableLedger, Plan: e.Plan, PlanHash: e.PlanHash, Period: period, Person: e.Person,
			Subject: e.Subject, Currency: e.Currency, EarningCode: e.EarningCode, Amount: e.Amount})
	}
	for _, a := range adjustments {
		out = append(out, ledger.Line{Ledger: ledger.PayableLedger, Period: period, Person: a.Person,
			Subject: ledger.AdjustmentSubjectPrefix + strconv.FormatInt(a.ID, 10), Currency: a.Currency, EarningCode: a.EarningCode,
			Amount: a.Amount, Reason: fmt.Sprintf("adjustment %d by %s: %s", a.ID, a.CreatedBy, a.Reason)})
	}
	return out
}

// SettlementScope lists, sorted, the people settlement visits in an
// earned period: everyone with ledger lines or adjustments in it.
func SettlementScope(ctx context.Context, r storage.LedgerReader, periodLabel string) ([]string, error) {
	scope, err := r.LedgerScope(ctx, periodLabel)
	if err != nil {
		return nil, err
	}
	adjustments, err := r.AdjustmentList(ctx, periodLabel, nil)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, people := range scope {
		for _, p := range people {
			add(p)
		}
	}
	for _, a := range adjustments {
		add(a.Person)
	}
	sort.Strings(out)
	return out, nil
}
