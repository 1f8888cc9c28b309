package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// PersonTotals is what a team view shows of one person's statement for a
// period: Earned equals the statement's Money.Earned, Measures its
// measures that have an attainment, plan by plan (by name), each plan's
// in plan order, as Statement.Plans lists them.
type PersonTotals struct {
	Earned   []CurrencyTotal
	Measures []StatementMeasure
}

// teamPeoplePerQuery bounds the people of one ledger query (the IN list),
// well under SQLite's and Postgres's limits on bound parameters.
const teamPeoplePerQuery = 500

// TeamTotals reads the totals of each of people's statements for the
// period from the payout and attainment ledgers alone: a few queries for
// the whole team instead of a statement per person, and none of the
// credits or payout traces a statement reads. Everyone in people has an
// entry (empty lists when nothing was posted for them).
func TeamTotals(ctx context.Context, r StatementSource, periodLabel string, people []string) (map[string]PersonTotals, error) {
	out := make(map[string]PersonTotals, len(people))
	for _, p := range people {
		out[p] = PersonTotals{Earned: []CurrencyTotal{}, Measures: []StatementMeasure{}}
	}
	orders := map[string]nameOrder{} // by plan hash
	for len(people) > 0 {
		chunk := people[:min(len(people), teamPeoplePerQuery)]
		people = people[len(chunk):]
		payouts, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: periodLabel, People: chunk})
		if err != nil {
			return nil, err
		}
		earned := map[string]map[string]decimal.Decimal{}
		for _, c := range ledger.Fold(payouts) {
			if l := c.Current; l != nil {
				if earned[l.Person] == nil {
					earned[l.Person] = map[string]decimal.Decimal{}
				}
				earned[l.Person][l.Currency] = earned[l.Person][l.Currency].Add(l.Amount)
			}
		}
		// Newest traces: a re-run that left an attainment line as it was
		// may have stored a newer detail beside it, as statements read.
		attainment, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.AttainmentLedger, Period: periodLabel, People: chunk, WithTraces: true})
		if err != nil {
			return nil, err
		}
		var current []*ledger.Line
		for _, c := range ledger.Fold(attainment) {
			if c.Current != nil {
				current = append(current, c.Current)
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
		for i := 0; i < len(current); {
			// One person's measures of one plan: current[i:j].
			j := i
			for j < len(current) && current[j].Person == current[i].Person && current[j].Plan == current[i].Plan {
				j++
			}
			hash := current[i].PlanHash
			order, ok := orders[hash]
			if !ok {
				order = planOrder(ctx, r, &PlanStatement{PlanHash: hash})
				orders[hash] = order
			}
			ms := make([]StatementMeasure, 0, j-i)
			for _, l := range current[i:j] {
				m, err := statementMeasure(l)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			sort.SliceStable(ms, func(a, b int) bool { return order.before(ms[a].Measure, ms[b].Measure) })
			t := out[current[i].Person]
			for _, m := range ms {
				if m.Attainment != "" {
					t.Measures = append(t.Measures, m)
				}
			}
			out[current[i].Person] = t
			i = j
		}
		for person, m := range earned {
			t := out[person]
			t.Earned = totalsOf(m)
			out[person] = t
		}
	}
	return out, nil
}

// statementMeasure is an attainment line as a statement shows it.
func statementMeasure(l *ledger.Line) (StatementMeasure, error) {
	var d calc.MeasureDetail
	if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
		return StatementMeasure{}, fmt.Errorf("attainment line %s: %w", l.Key, err)
	}
	target, attainment := calc.ParseAttainmentBasis(l.Basis)
	return StatementMeasure{Measure: l.Subject, Window: d.Window, From: d.From, To: d.To,
		Credits: d.Credits, Value: l.Amount, Target: target, Attainment: attainment}, nil
}
