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
	// Calendar is the workspace's fiscal calendar (draw windows count
	// its periods).
	Calendar period.Calendar
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
	// Employment gives people's hire and termination dates, by id (for
	// draws from hire and draws ended by termination).
	Employment map[string]Employment
	// Opening are the balances at the end of the previous period of the
	// same frequency: the balance lines in force there (see
	// OpeningBalances).
	Opening []ledger.Line
	// PreviousCalculated reports whether the previous period of the same
	// frequency was ever calculated: a draw that started before this
	// period needs its balance.
	PreviousCalculated bool
}

// Employment is when a person was hired and left (zero: not known, or
// still employed).
type Employment struct {
	Hire, Termination period.Date
}

// Settle turns what people earned in a period (their payout lines in
// force, of every plan) and their adjustments into payable lines: one per
// payout line in force and one per adjustment. Between the two stand the
// person-level mechanics that span plans, per person in this order:
//
//  1. each settlement policy's caps limit what a person is paid for the
//     period from the counted earnings, reducing the last counted lines
//     (by plan, then component) first, with the reason on each reduced
//     line;
//  2. each line earned in another currency than its person's is
//     converted into the person's (fx.go);
//  3. adjustments are added, as they are;
//  4. each policy's draws top the counted earnings up to the draw, and a
//     recoverable draw's balance is recovered from earnings above it;
//  5. a negative total is carried forward as a deficit (unless a policy
//     says to pay it) and an earlier deficit is recovered from a positive
//     total.
//
// Draws and deficits also give balance lines (ledger.BalanceLedger), the
// balance at the end of the period, which the next period opens with.
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
	payable := make([]ledger.Line, 0, len(current)+len(s.Adjustments))
	for _, e := range current {
		payable = append(payable, ledger.Line{Ledger: ledger.PayableLedger, Plan: e.Plan, PlanHash: e.PlanHash, Period: s.Period.Label, Person: e.Person,
			Subject: e.Subject, Currency: e.Currency, EarningCode: e.EarningCode, Amount: e.Amount})
	}
	if err := applyCaps(s, payable); err != nil {
		return nil, err
	}
	if err := convertToPayees(s, payable); err != nil {
		return nil, err
	}
	byPerson := map[string][]ledger.Line{}
	for _, l := range payable {
		byPerson[l.Person] = append(byPerson[l.Person], l)
	}
	// An adjustment in another currency than its person's is paid in the
	// person's, converted as earned lines are.
	adjusted := make([]ledger.Line, 0, len(s.Adjustments))
	for _, a := range s.Adjustments {
		adjusted = append(adjusted, ledger.Line{Ledger: ledger.PayableLedger, Period: s.Period.Label, Person: a.Person,
			Subject: ledger.AdjustmentSubjectPrefix + strconv.FormatInt(a.ID, 10), Currency: a.Currency, EarningCode: a.EarningCode,
			Amount: a.Amount, Reason: fmt.Sprintf("adjustment %d by %s: %s", a.ID, a.CreatedBy, a.Reason)})
	}
	if err := convertToPayees(s, adjusted); err != nil {
		return nil, err
	}
	for _, l := range adjusted {
		byPerson[l.Person] = append(byPerson[l.Person], l)
	}
	opening := map[string]map[string]ledger.Line{}
	for _, l := range s.Opening {
		if opening[l.Person] == nil {
			opening[l.Person] = map[string]ledger.Line{}
		}
		opening[l.Person][l.Subject] = l
		if _, ok := byPerson[l.Person]; !ok {
			byPerson[l.Person] = nil
		}
	}
	ids := make([]string, 0, len(byPerson))
	for id := range byPerson {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	people := make(map[string]facts.Person, len(s.People))
	for _, p := range s.People {
		people[p.ID] = p
	}
	deficit, err := deficitRule(s.Policies)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Line, 0, len(payable)+len(s.Adjustments))
	var balances []ledger.Line
	for _, id := range ids {
		p := personSettlement{s: &s, id: id, lines: byPerson[id], opening: opening[id]}
		if known, ok := people[id]; ok {
			p.person = known
		} else {
			p.person = facts.Person{ID: id}
		}
		if err := p.draws(); err != nil {
			return nil, err
		}
		p.deficits(deficit)
		out = append(out, p.lines...)
		balances = append(balances, p.balances...)
	}
	return append(out, balances...), nil
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
// earned period: everyone with ledger lines or adjustments in it, with
// balance lines in it, or with a balance carried out of the previous
// period of its frequency (previous, "" for none) that is not zero.
func SettlementScope(ctx context.Context, r storage.LedgerReader, periodLabel, previous string) ([]string, error) {
	scope, err := r.LedgerScope(ctx, periodLabel)
	if err != nil {
		return nil, err
	}
	adjustments, err := r.AdjustmentList(ctx, periodLabel, nil)
	if err != nil {
		return nil, err
	}
	var balances []ledger.Line
	for _, label := range []string{periodLabel, previous} {
		if label == "" {
			continue
		}
		lines, err := balancesOf(ctx, r, label, nil)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if l.Period == periodLabel || !l.Amount.IsZero() {
				balances = append(balances, l)
			}
		}
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
	for _, l := range balances {
		add(l.Person)
	}
	sort.Strings(out)
	return out, nil
}
