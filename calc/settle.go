package calc

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
	"github.com/shopspring/decimal"
)

// Settlement is what settlement reads for a batch of people.
type Settlement struct {
	Period period.Period
	// Earned are the people's payout lines earned in the period, of every
	// plan, in posting order.
	Earned      []ledger.Line
	Adjustments []storage.Adjustment
	// Policies are the settlement policies in force, by name.
	Policies []*plans.SettlementPolicy
	// People are the people as of the period's end (for policies'
	// eligibility rules, and the currency each is paid in).
	People []facts.Person
	// FX converts payable lines into their people's currencies (fx.go).
	FX facts.FXRates
}

// Settle turns what people earned in a period (their payout lines in
// force, of every plan) and their adjustments into payable lines: one per
// payout line in force and one per adjustment. Between the two stand the
// person-level mechanics that span plans: each settlement policy's caps
// limit what a person is paid for the period from the counted earnings,
// reducing the last counted lines (by plan, then component) first, with
// the reason on each reduced line. (Draws, holds and recoveries take
// their place here too.) Last, each line earned in another currency than
// its person's is converted into the person's (fx.go).
func Settle(s Settlement) ([]ledger.Line, error) {
	chains := ledger.Fold(s.Earned)
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
	out := make([]ledger.Line, 0, len(current)+len(s.Adjustments))
	for _, e := range current {
		out = append(out, ledger.Line{Ledger: ledger.PayableLedger, Plan: e.Plan, PlanHash: e.PlanHash, Period: s.Period.Label, Person: e.Person,
			Subject: e.Subject, Currency: e.Currency, EarningCode: e.EarningCode, Amount: e.Amount})
	}
	if err := applyCaps(s, out); err != nil {
		return nil, err
	}
	if err := convertToPayees(s, out); err != nil {
		return nil, err
	}
	for _, a := range s.Adjustments {
		out = append(out, ledger.Line{Ledger: ledger.PayableLedger, Period: s.Period.Label, Person: a.Person,
			Subject: ledger.AdjustmentSubjectPrefix + strconv.FormatInt(a.ID, 10), Currency: a.Currency, EarningCode: a.EarningCode,
			Amount: a.Amount, Reason: fmt.Sprintf("adjustment %d by %s: %s", a.ID, a.CreatedBy, a.Reason)})
	}
	return out, nil
}

// applyCaps reduces payable lines (sorted by person, plan, component) to
// the policies' caps.
func applyCaps(s Settlement, lines []ledger.Line) error {
	if len(s.Policies) == 0 {
		return nil
	}
	people := make(map[string]facts.Person, len(s.People))
	for _, p := range s.People {
		people[p.ID] = p
	}
	for start := 0; start < len(lines); {
		end := start
		for end < len(lines) && lines[end].Person == lines[start].Person {
			end++
		}
		person, known := people[lines[start].Person]
		if !known {
			person = facts.Person{ID: lines[start].Person}
		}
		for _, pol := range s.Policies {
			for _, c := range pol.Caps {
				ok, err := engine.PersonMatches(c.Eligibility, s.Period, person)
				if err != nil {
					return err
				}
				if ok {
					if err := applyCap(pol, c, lines[start:end]); err != nil {
						return err
					}
				}
			}
		}
		start = end
	}
	return nil
}

// applyCap reduces one person's counted lines to cap c.
func applyCap(pol *plans.SettlementPolicy, c plans.SettlementCap, lines []ledger.Line) error {
	var counted []int
	total := decimal.Zero
	for i, l := range lines {
		if !c.Counts(l.Plan, l.EarningCode) {
			continue
		}
		if l.Currency != pol.Currency {
			return fmt.Errorf("%w: settlement policy %s caps %s amounts, but %s's %s %s is in %s", engine.ErrInput, pol.Name, pol.Currency, l.Person, l.Plan, l.Subject, l.Currency)
		}
		counted = append(counted, i)
		total = total.Add(l.Amount)
	}
	excess := total.Sub(c.Amount)
	for k := len(counted) - 1; k >= 0 && excess.Sign() > 0; k-- {
		l := &lines[counted[k]]
		if l.Amount.Sign() <= 0 {
			continue
		}
		cut := decimal.Min(l.Amount, excess)
		earned := l.Amount
		l.Amount = l.Amount.Sub(cut)
		excess = excess.Sub(cut)
		why := fmt.Sprintf("capped by settlement policy %s (version %s) cap %s: at most %s %s a period across plans; earned %s, less %s",
			pol.Name, pol.Version, c.Name, c.Amount, pol.Currency, earned, cut)
		if l.Reason != "" {
			why = l.Reason + "; " + why
		}
		l.Reason = why
	}
	return nil
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
