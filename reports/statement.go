// Package reports turns posted ledger lines into what people read: a rep's
// statement showing the working behind every number, and payroll's export.
package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// Statement is one person's statement for one period, from the lines in
// force in the ledgers.
type Statement struct {
	Person string          `json:"person"`
	Name   string          `json:"name"`
	Period string          `json:"period"`
	Plans  []PlanStatement `json:"plans"`
	Totals []CurrencyTotal `json:"totals"`
}

// lastDay reads people's newest attributes, for names.
var lastDay = period.MustDate("9999-12-31")

// PlanStatement is the part of a statement from one plan.
type PlanStatement struct {
	Plan     string             `json:"plan"`
	PlanHash string             `json:"plan_hash"`
	Credits  []StatementCredit  `json:"credits"`
	Measures []StatementMeasure `json:"measures"`
	Payouts  []StatementPayout  `json:"payouts"`
	Total    decimal.Decimal    `json:"total"`
	Currency string             `json:"currency"`
}

// StatementCredit is one credited transaction.
type StatementCredit struct {
	Txn    string          `json:"txn"`
	Date   string          `json:"date"`
	Type   string          `json:"type,omitempty"`
	Rule   string          `json:"rule"`
	Share  string          `json:"share"`
	Amount decimal.Decimal `json:"amount"`
}

// StatementMeasure is a measure with its target and attainment.
type StatementMeasure struct {
	Measure    string          `json:"measure"`
	Window     string          `json:"window"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Credits    int             `json:"credits"`
	Value      decimal.Decimal `json:"value"`
	Target     string          `json:"target,omitempty"`
	Attainment string          `json:"attainment,omitempty"`
}

// StatementPayout is one payout line and its trace.
type StatementPayout struct {
	Component   string          `json:"component"`
	EarningCode string          `json:"earning_code"`
	Amount      decimal.Decimal `json:"amount"`
	Currency    string          `json:"currency"`
	Trace       engine.Trace    `json:"trace"`
}

// CurrencyTotal is a statement total in one currency.
type CurrencyTotal struct {
	Currency string          `json:"currency"`
	Amount   decimal.Decimal `json:"amount"`
}

// BuildStatement reads the ledgers for person in period.
func BuildStatement(ctx context.Context, r storage.Reader, person, periodLabel string) (*Statement, error) {
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Period: periodLabel, People: []string{person}})
	if err != nil {
		return nil, err
	}
	st := &Statement{Person: person, Period: periodLabel}
	if people, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: []string{person}}); err == nil && len(people) > 0 {
		st.Name = people[0].Name
	}
	byPlan := map[string]*PlanStatement{}
	chains := storage.Fold(lines)
	keys := make([]storage.LogicalKey, 0, len(chains))
	for k, c := range chains {
		if c.Current != nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Plan+"\x00"+keys[i].Subject < keys[j].Plan+"\x00"+keys[j].Subject })
	for _, k := range keys {
		l := chains[k].Current
		ps := byPlan[l.Plan]
		if ps == nil {
			ps = &PlanStatement{Plan: l.Plan, PlanHash: l.PlanHash}
			byPlan[l.Plan] = ps
		}
		switch l.Ledger {
		case storage.LedgerCredit:
			var d jobs.CreditDetail
			if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
				return nil, fmt.Errorf("credit line %s: %w", l.Key, err)
			}
			ps.Credits = append(ps.Credits, StatementCredit{Txn: d.Txn, Date: d.Date, Type: d.Type, Rule: d.Rule, Share: d.Share, Amount: l.Amount})
		case storage.LedgerAttainment:
			var d jobs.MeasureDetail
			if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
				return nil, fmt.Errorf("attainment line %s: %w", l.Key, err)
			}
			ps.Measures = append(ps.Measures, StatementMeasure{Measure: l.Subject, Window: d.Window, From: d.From, To: d.To,
				Credits: d.Credits, Value: l.Amount, Target: d.Target, Attainment: d.Attainment})
		case storage.LedgerPayout:
			var d jobs.PayoutDetail
			if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
				return nil, fmt.Errorf("payout line %s: %w", l.Key, err)
			}
			ps.Payouts = append(ps.Payouts, StatementPayout{Component: l.Subject, EarningCode: d.EarningCode, Amount: l.Amount, Currency: d.Currency, Trace: d.Trace})
			ps.Currency = d.Currency
			ps.Total = ps.Total.Add(l.Amount)
		}
	}
	totals := map[string]decimal.Decimal{}
	for _, name := range sortedPlanNames(byPlan) {
		ps := byPlan[name]
		sort.Slice(ps.Credits, func(i, j int) bool {
			a, b := ps.Credits[i], ps.Credits[j]
			if a.Date != b.Date {
				return a.Date < b.Date
			}
			if a.Txn != b.Txn {
				return a.Txn < b.Txn
			}
			return a.Rule < b.Rule
		})
		// Measures and payouts in plan order. Not posting order: a re-run
		// re-posts only the lines that changed, so that order depends on
		// the ledger's history rather than on what is in force.
		order := planOrder(ctx, r, ps.PlanHash)
		sort.SliceStable(ps.Measures, func(i, j int) bool {
			return order.before(ps.Measures[i].Measure, ps.Measures[j].Measure)
		})
		sort.SliceStable(ps.Payouts, func(i, j int) bool {
			return order.before(ps.Payouts[i].Component, ps.Payouts[j].Component)
		})
		st.Plans = append(st.Plans, *ps)
		if ps.Currency != "" {
			totals[ps.Currency] = totals[ps.Currency].Add(ps.Total)
		}
	}
	for _, c := range sortedKeys(totals) {
		st.Totals = append(st.Totals, CurrencyTotal{Currency: c, Amount: totals[c]})
	}
	if len(st.Plans) == 0 {
		return nil, fmt.Errorf("no ledger lines for person %s in %s: is the id right, and has the period been run?", person, periodLabel)
	}
	return st, nil
}

// nameOrder is the position of each measure, component and step in a plan.
type nameOrder map[string]int

// before orders names by plan position; names the plan does not list come
// last, by name (the caller's stable sort keeps them as they are).
func (o nameOrder) before(a, b string) bool {
	ia, aok := o[a]
	ib, bok := o[b]
	switch {
	case aok && bok:
		return ia < ib
	case aok != bok:
		return aok
	}
	return false
}

// planOrder reads the plan version's measure, component and step order.
// A version that cannot be read or no longer loads gives no order: the
// statement then lists lines by name.
func planOrder(ctx context.Context, r storage.Reader, hash string) nameOrder {
	v, err := r.PlanVersionGet(ctx, hash)
	if err != nil {
		return nil
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 || f == nil || f.Comp == nil {
		return nil
	}
	o := nameOrder{}
	for _, m := range f.Comp.Measures {
		o[m.Name] = len(o)
	}
	for _, c := range f.Comp.Components {
		o[c.Name] = len(o)
	}
	for _, s := range f.Comp.Steps {
		if _, dup := o[s.Name]; !dup {
			o[s.Name] = len(o)
		}
	}
	return o
}

func sortedPlanNames(m map[string]*PlanStatement) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteJSON writes the statement as indented JSON.
func (s *Statement) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the statement for a terminal, with the working behind
// each payout line.
func (s *Statement) WriteText(w io.Writer) error {
	var b strings.Builder
	title := s.Person
	if s.Name != "" {
		title = fmt.Sprintf("%s (%s)", s.Name, s.Person)
	}
	fmt.Fprintf(&b, "Statement for %s, period %s\n", title, s.Period)
	for _, ps := range s.Plans {
		fmt.Fprintf(&b, "\nPlan %s (version %s)\n", ps.Plan, short(ps.PlanHash))
		fmt.Fprintf(&b, "\n  Credits (%d)\n", len(ps.Credits))
		if len(ps.Credits) > 0 {
			fmt.Fprintf(&b, "    %-10s  %-14s  %-10s  %-10s  %6s  %14s\n", "date", "transaction", "rule", "type", "share", "amount")
			sum := decimal.Zero
			for _, c := range ps.Credits {
				fmt.Fprintf(&b, "    %-10s  %-14s  %-10s  %-10s  %6s  %14s\n", c.Date, c.Txn, c.Rule, c.Type, c.Share, moneyText(c.Amount, ps.Currency))
				sum = sum.Add(c.Amount)
			}
			fmt.Fprintf(&b, "    %-10s  %-14s  %-10s  %-10s  %6s  %14s\n", "total", "", "", "", "", moneyText(sum, ps.Currency))
		}
		fmt.Fprintf(&b, "\n  Measures\n")
		for _, m := range ps.Measures {
			fmt.Fprintf(&b, "    %s = %s  (%s %s..%s, %d credits)\n", m.Measure, m.Value, m.Window, m.From, m.To, m.Credits)
			if m.Target != "" {
				att := "n/a (target is 0)"
				if m.Attainment != "" {
					att = percent(m.Attainment)
				}
				fmt.Fprintf(&b, "      target %s, attainment %s\n", m.Target, att)
			}
		}
		fmt.Fprintf(&b, "\n  Payouts\n")
		for _, p := range ps.Payouts {
			fmt.Fprintf(&b, "    %s [%s]: %s %s\n", p.Component, p.EarningCode, moneyText(p.Amount, p.Currency), p.Currency)
			for _, line := range TraceLines(p.Trace) {
				fmt.Fprintf(&b, "      %s\n", line)
			}
		}
		fmt.Fprintf(&b, "\n  Plan total: %s %s\n", moneyText(ps.Total, ps.Currency), ps.Currency)
	}
	for _, t := range s.Totals {
		fmt.Fprintf(&b, "\nTotal earned in %s: %s %s\n", s.Period, moneyText(t.Amount, t.Currency), t.Currency)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func percent(ratio string) string {
	d, err := decimal.NewFromString(ratio)
	if err != nil {
		return ratio
	}
	return d.Mul(decimal.NewFromInt(100)).Round(2).StringFixed(2) + "%"
}

// TraceLines explains a payout trace step by step.
func TraceLines(t engine.Trace) []string {
	var out []string
	if t.Gate != nil {
		state := "passed"
		if !t.Gate.Passed {
			state = "NOT met: pays 0"
		}
		out = append(out, fmt.Sprintf("gate %s: %s", t.Gate.Rule, state))
	}
	for _, in := range t.Inputs {
		out = append(out, fmt.Sprintf("%s = %s", in.Name, in.Value))
	}
	if t.Rule != "" && t.Credits == nil {
		out = append(out, fmt.Sprintf("%s: %s", t.Type, strings.TrimSpace(t.Rule)))
	}
	if t.Credits != nil {
		out = append(out, fmt.Sprintf("per credit %s over %d credits (credited %s)", strings.TrimSpace(t.Rule), t.Credits.Count, t.Credits.Basis))
	}
	for _, tier := range t.Tiers {
		to := "and up"
		if tier.To != nil {
			to = "to " + tier.To.String()
		}
		out = append(out, fmt.Sprintf("tier %d (from %s %s): %s × %s = %s", tier.Tier, tier.From, to, tier.Basis, tier.Rate, tier.Amount))
	}
	out = append(out, fmt.Sprintf("computed %s", t.Computed))
	if t.Cap != nil {
		if t.Capped {
			out = append(out, fmt.Sprintf("cap %s applied", t.Cap))
		} else {
			out = append(out, fmt.Sprintf("cap %s not reached", t.Cap))
		}
	}
	out = append(out, fmt.Sprintf("rounded to %s", t.Rounded))
	if t.Prior != nil {
		out = append(out, fmt.Sprintf("less %s paid earlier this fiscal year = %s", t.Prior, t.Result))
	}
	return out
}

// moneyText shows an amount at its currency's precision (as stored when
// the currency is unknown).
func moneyText(d decimal.Decimal, currency string) string {
	if p, ok := money.Precision(currency); ok {
		return d.StringFixed(p)
	}
	return d.String()
}
