// Package reports turns posted ledger lines into what people read: a rep's
// statement showing the working behind every number, and payroll's export.
package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
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
	Money  MoneyMoved      `json:"money"`
	// Disputes are the person's disputes about the period, by id.
	Disputes []StatementDispute `json:"disputes,omitempty"`
}

// StatementDispute is a dispute on a statement, with its state and, once
// resolved, its resolution (docs/disputes.md).
type StatementDispute struct {
	ID int64 `json:"id"`
	// Period is the period the dispute is about.
	Period string `json:"period"`
	// Line is the disputed line (PLAN/COMPONENT); empty for a deal.
	Line string `json:"line,omitempty"`
	// Deal is the transaction a missing-deal dispute names.
	Deal     string `json:"deal,omitempty"`
	Text     string `json:"text"`
	OpenedBy string `json:"opened_by"`
	OpenedAt string `json:"opened_at"`
	State    string `json:"state"`
	// Resolution is adjusted or rejected once resolved.
	Resolution string `json:"resolution,omitempty"`
	// Note, By and At are the newest transition's.
	Note string `json:"note,omitempty"`
	By   string `json:"by"`
	At   string `json:"at"`
	// Adjustment is the adjustment an adjusted resolution posted.
	Adjustment *StatementAdjustment `json:"adjustment,omitempty"`
}

// MoneyMoved is what moved for the person in the period: what they
// earned, adjustments, prior-period adjustments posted into the period,
// what is payable and what payroll already paid of it.
type MoneyMoved struct {
	// Earned is the total of the payout lines in force, per currency.
	Earned []CurrencyTotal `json:"earned"`
	// Adjustments are the period's manual adjustments.
	Adjustments []StatementAdjustment `json:"adjustments,omitempty"`
	// Settled are payable lines settlement made different from what was
	// earned (a cap across plans) or added (a draw's top-up or recovery,
	// a carried deficit or its recovery), with why.
	Settled []StatementLine `json:"settled,omitempty"`
	// PriorPeriod are payable lines posted into this period that correct
	// an earlier, closed period.
	PriorPeriod []StatementLine `json:"prior_period,omitempty"`
	// Payable is what settlement made payable for the period (earned plus
	// adjustments), in force, per currency.
	Payable []CurrencyTotal `json:"payable"`
	// PreviouslyPaid is what payroll batches already exported of the
	// period's payable lines, per currency.
	PreviouslyPaid []CurrencyTotal `json:"previously_paid"`
	// Balances are what the person carries out of the period: what they
	// owe back of a recoverable draw, a carried deficit (see
	// ledger.BalanceLedger), with the movements that led there.
	Balances []StatementBalance `json:"balances,omitempty"`
}

// StatementBalance is a balance at the end of the period.
type StatementBalance struct {
	Subject  string          `json:"subject"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	// Movements says how the period changed it ("opening 500; drawn 0;
	// recovered 375; written off 0").
	Movements string `json:"movements"`
	Reason    string `json:"reason"`
}

// StatementAdjustment is one manual adjustment.
type StatementAdjustment struct {
	ID          int64           `json:"id"`
	Amount      decimal.Decimal `json:"amount"`
	Currency    string          `json:"currency"`
	EarningCode string          `json:"earning_code"`
	Reason      string          `json:"reason"`
	By          string          `json:"by"`
	At          string          `json:"at"`
}

// StatementLine is a ledger line shown with why it was posted.
type StatementLine struct {
	Earned   string          `json:"earned_period"`
	Plan     string          `json:"plan,omitempty"`
	Subject  string          `json:"subject"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Reason   string          `json:"reason"`
}

// lastDay reads people's newest attributes, for names.
var lastDay = period.MustDate("9999-12-31")

// PlanStatement is the part of a statement from one plan.
type PlanStatement struct {
	Plan        string `json:"plan"`
	PlanHash    string `json:"plan_hash"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	// Reversed lists lines of the plan no longer in force, with why: a
	// plan that no longer pays the person still shows what it took back.
	Reversed []StatementLine    `json:"reversed,omitempty"`
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
	// FX is the conversion of the transaction into the plan's currency,
	// when it was in another (docs/plans.md §18).
	FX *engine.Conversion `json:"fx,omitempty"`
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
	// Explain is the line's handle for icomp explain (LineRef).
	Explain string       `json:"explain"`
	Trace   engine.Trace `json:"trace"`
}

// CurrencyTotal is a statement total in one currency.
type CurrencyTotal struct {
	Currency string          `json:"currency"`
	Amount   decimal.Decimal `json:"amount"`
}

// StatementSource is what a statement reads.
type StatementSource interface {
	storage.PeopleReader
	storage.PlanReader
	storage.LedgerReader
	storage.ExportReader
	storage.PeriodReader
	storage.DisputeReader
}

// ErrNoLines is BuildStatement's error for a person with no ledger lines
// in the period.
var ErrNoLines = errors.New("no ledger lines")

// BuildStatement reads the ledgers for person in period.
func BuildStatement(ctx context.Context, r StatementSource, person, periodLabel string) (*Statement, error) {
	if _, err := periods.Parse(ctx, r, periodLabel); err != nil {
		return nil, err
	}
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Period: periodLabel, People: []string{person}, WithTraces: true})
	if err != nil {
		return nil, err
	}
	st := &Statement{Person: person, Period: periodLabel}
	if people, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: []string{person}}); err == nil && len(people) > 0 {
		st.Name = people[0].Name
	}
	byPlan := map[string]*PlanStatement{}
	planOf := func(l *ledger.Line) *PlanStatement {
		ps := byPlan[l.Plan]
		if ps == nil {
			ps = &PlanStatement{Plan: l.Plan, PlanHash: l.PlanHash}
			byPlan[l.Plan] = ps
		}
		return ps
	}
	chains := ledger.Fold(lines)
	keys := make([]ledger.Key, 0, len(chains))
	for k := range chains {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Plan+"\x00"+keys[i].Subject < keys[j].Plan+"\x00"+keys[j].Subject })
	var creditKeys []string
	creditPlan := map[string]*PlanStatement{}
	conversions := map[[2]string]*engine.Conversion{} // credit line key, txn
	earned := map[string]decimal.Decimal{}
	payable := map[string]decimal.Decimal{}
	for _, k := range keys {
		c := chains[k]
		if k.Ledger == ledger.BalanceLedger {
			if l := c.Current; l != nil {
				st.Money.Balances = append(st.Money.Balances, StatementBalance{Subject: l.Subject, Amount: l.Amount, Currency: l.Currency,
					Movements: l.Basis, Reason: l.Reason})
			}
			continue
		}
		if k.Ledger == ledger.PayableLedger {
			if l := c.Current; l != nil {
				payable[l.Currency] = payable[l.Currency].Add(l.Amount)
				if strings.Contains(l.Reason, "capped by") || strings.Contains(l.Reason, calc.PayeeConversionReason) || strings.HasPrefix(l.Subject, ledger.DrawSubjectPrefix) || strings.HasPrefix(l.Subject, ledger.DeficitSubjectPrefix) {
					st.Money.Settled = append(st.Money.Settled, StatementLine{Earned: l.Period, Plan: l.Plan, Subject: l.Subject,
						Amount: l.Amount, Currency: l.Currency, Reason: l.Reason})
				}
			}
			continue
		}
		l := c.Current
		if l == nil {
			// Reversed and not replaced: say so, with why.
			last := lastLine(lines, c.Last)
			if last != nil && k.Ledger == ledger.PayoutLedger {
				ps := planOf(last)
				ps.Reversed = append(ps.Reversed, StatementLine{Earned: last.Period, Plan: last.Plan, Subject: last.Subject, Amount: last.Amount,
					Currency: last.Currency, Reason: last.Reason})
			}
			continue
		}
		ps := planOf(l)
		switch l.Ledger {
		case ledger.CreditLedger:
			creditKeys = append(creditKeys, l.Key)
			creditPlan[l.Key] = ps
			if l.Detail != "" {
				var d calc.CreditsDetail
				if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
					return nil, fmt.Errorf("credit line %s: %w", l.Key, err)
				}
				for _, x := range d.FX {
					conversions[[2]string{l.Key, x.Txn}] = &x.Conversion
				}
			}
		case ledger.AttainmentLedger:
			m, err := statementMeasure(l)
			if err != nil {
				return nil, err
			}
			ps.Measures = append(ps.Measures, m)
		case ledger.PayoutLedger:
			var tr engine.Trace
			if err := json.Unmarshal([]byte(l.Detail), &tr); err != nil {
				return nil, fmt.Errorf("payout line %s: %w", l.Key, err)
			}
			ps.Payouts = append(ps.Payouts, StatementPayout{Component: l.Subject, EarningCode: l.EarningCode, Amount: l.Amount, Currency: l.Currency,
				Explain: LineRef{l.Plan, l.Period, l.Person, l.Subject}.String(), Trace: tr})
			ps.Currency = l.Currency
			ps.Total = ps.Total.Add(l.Amount)
			earned[l.Currency] = earned[l.Currency].Add(l.Amount)
		}
	}
	credits, err := r.CreditList(ctx, creditKeys)
	if err != nil {
		return nil, err
	}
	for _, c := range credits {
		ps := creditPlan[c.LineKey]
		ps.Credits = append(ps.Credits, StatementCredit{Txn: c.Txn, Date: c.Date, Type: c.Type, Rule: c.Rule, Share: c.Share.String(), Amount: c.Amount,
			FX: conversions[[2]string{c.LineKey, c.Txn}]})
	}
	if err := st.moneyMoved(ctx, r, lines, earned, payable); err != nil {
		return nil, err
	}
	if err := st.disputes(ctx, r); err != nil {
		return nil, err
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
		order := planOrder(ctx, r, ps)
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
	if len(st.Plans) == 0 && len(st.Money.Payable) == 0 && len(st.Money.PriorPeriod) == 0 && len(st.Money.Balances) == 0 && len(st.Disputes) == 0 {
		return nil, fmt.Errorf("%w for person %s in %s: is the id right, and has the period been run?", ErrNoLines, person, periodLabel)
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
func planOrder(ctx context.Context, r storage.PlanReader, ps *PlanStatement) nameOrder {
	info, ok := planInfoOf(ctx, r, ps.PlanHash)
	if !ok {
		return nil
	}
	ps.Version, ps.Description = info.version, info.description
	return info.order
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
		fmt.Fprintf(&b, "\nPlan %s (version %s, %s)\n", ps.Plan, ps.Version, short(ps.PlanHash))
		for _, line := range strings.Split(strings.TrimSpace(ps.Description), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		}
		if len(ps.Reversed) > 0 {
			fmt.Fprintf(&b, "\n  Reversed (no longer in force)\n")
			for _, l := range ps.Reversed {
				fmt.Fprintf(&b, "    %s: %s %s taken back: %s\n", l.Subject, moneyText(l.Amount.Neg(), l.Currency), l.Currency, l.Reason)
			}
		}
		fmt.Fprintf(&b, "\n  Credits (%d)\n", len(ps.Credits))
		if len(ps.Credits) > 0 {
			fmt.Fprintf(&b, "    %-10s  %-14s  %-10s  %-10s  %6s  %14s\n", "date", "transaction", "rule", "type", "share", "amount")
			sum := decimal.Zero
			for _, c := range ps.Credits {
				fmt.Fprintf(&b, "    %-10s  %-14s  %-10s  %-10s  %6s  %14s\n", c.Date, c.Txn, c.Rule, c.Type, c.Share, moneyText(c.Amount, ps.Currency))
				if c.FX != nil {
					fmt.Fprintf(&b, "    %-10s  converted: %s\n", "", c.FX)
				}
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
			fmt.Fprintf(&b, "      (icomp explain %s)\n", p.Explain)
		}
		fmt.Fprintf(&b, "\n  Plan total: %s %s\n", moneyText(ps.Total, ps.Currency), ps.Currency)
	}
	for _, t := range s.Totals {
		fmt.Fprintf(&b, "\nTotal earned in %s: %s %s\n", s.Period, moneyText(t.Amount, t.Currency), t.Currency)
	}
	s.Money.writeText(&b, s.Period)
	writeDisputes(&b, s.Disputes)
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
	out = append(out, teamTraceLines(t)...)
	out = append(out, ClawbackLines(t.Clawbacks)...)
	out = append(out, HoldLines(t)...)
	out = append(out, dealLines(t)...)
	out = append(out, adjustmentLines(t)...)
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
	out = append(out, onceLine(t)...)
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

// lastLine finds the line with key in lines.
func lastLine(lines []ledger.Line, key string) *ledger.Line {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Key == key {
			return &lines[i]
		}
	}
	return nil
}

func totalsOf(m map[string]decimal.Decimal) []CurrencyTotal {
	out := []CurrencyTotal{}
	for _, c := range sortedKeys(m) {
		out = append(out, CurrencyTotal{Currency: c, Amount: m[c]})
	}
	return out
}

// moneyMoved fills in the money that moved: adjustments, prior-period
// adjustments posted into the period, payable and already paid.
func (st *Statement) moneyMoved(ctx context.Context, r StatementSource, lines []ledger.Line, earned, payable map[string]decimal.Decimal) error {
	st.Money.Earned = totalsOf(earned)
	st.Money.Payable = totalsOf(payable)
	adjustments, err := r.AdjustmentList(ctx, st.Period, []string{st.Person})
	if err != nil {
		return err
	}
	for _, a := range adjustments {
		st.Money.Adjustments = append(st.Money.Adjustments, StatementAdjustment{ID: a.ID, Amount: a.Amount, Currency: a.Currency,
			EarningCode: a.EarningCode, Reason: a.Reason, By: a.CreatedBy, At: a.CreatedAt})
	}
	prior, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayableLedger, PostedPeriod: st.Period, People: []string{st.Person}})
	if err != nil {
		return err
	}
	for _, l := range prior {
		if l.Period != st.Period {
			st.Money.PriorPeriod = append(st.Money.PriorPeriod, StatementLine{Earned: l.Period, Plan: l.Plan, Subject: l.Subject,
				Amount: l.Amount, Currency: l.Currency, Reason: l.Reason})
		}
	}
	exported := map[string]map[string]bool{}
	paid := map[string]decimal.Decimal{}
	for _, l := range lines {
		if l.Ledger != ledger.PayableLedger {
			continue
		}
		keys, ok := exported[l.PostedPeriod]
		if !ok {
			if keys, err = r.ExportedKeys(ctx, l.PostedPeriod); err != nil {
				return err
			}
			exported[l.PostedPeriod] = keys
		}
		if keys[l.Key] {
			paid[l.Currency] = paid[l.Currency].Add(l.Amount)
		}
	}
	st.Money.PreviouslyPaid = totalsOf(paid)
	return nil
}

func (m MoneyMoved) writeText(b *strings.Builder, periodLabel string) {
	fmt.Fprintf(b, "\nMoney for %s\n", periodLabel)
	row := func(label string, d decimal.Decimal, currency, note string) {
		fmt.Fprintf(b, "  %-28s %14s %s%s\n", label, moneyText(d, currency), currency, note)
	}
	for _, t := range m.Earned {
		row("earned", t.Amount, t.Currency, "")
	}
	for _, a := range m.Adjustments {
		row(fmt.Sprintf("adjustment %d", a.ID), a.Amount, a.Currency, fmt.Sprintf(" [%s] by %s: %s", a.EarningCode, a.By, a.Reason))
	}
	for _, l := range m.Settled {
		note := " " + l.Reason
		if l.Plan != "" {
			note = fmt.Sprintf(" %s: %s", l.Plan, l.Reason)
		}
		row("payable "+l.Subject, l.Amount, l.Currency, note)
	}
	for _, l := range m.PriorPeriod {
		row("prior period "+l.Earned, l.Amount, l.Currency, fmt.Sprintf(" %s %s: %s", l.Plan, l.Subject, l.Reason))
	}
	for _, t := range m.Payable {
		row("payable", t.Amount, t.Currency, "")
	}
	paid := map[string]decimal.Decimal{}
	for _, t := range m.PreviouslyPaid {
		paid[t.Currency] = t.Amount
	}
	for _, t := range m.Payable {
		row("previously paid", paid[t.Currency], t.Currency, "")
		row("not yet paid", t.Amount.Sub(paid[t.Currency]), t.Currency, "")
	}
	if len(m.Balances) > 0 {
		fmt.Fprintf(b, "\nBalances carried out of %s (owed back, recovered from later pay)\n", periodLabel)
		for _, l := range m.Balances {
			row(l.Subject, l.Amount, l.Currency, " "+l.Movements)
		}
	}
}

// disputes lists the person's disputes touching the period: those about
// it, and those about an earlier, closed period whose adjustment was
// posted into it (a prior-period line).
func (st *Statement) disputes(ctx context.Context, r StatementSource) error {
	all, err := r.DisputeList(ctx, storage.DisputeListParams{Person: st.Person})
	if err != nil {
		return err
	}
	adjustments := map[int64]*StatementAdjustment{}
	for i := range st.Money.Adjustments {
		adjustments[st.Money.Adjustments[i].ID] = &st.Money.Adjustments[i]
	}
	postedHere := map[int64]bool{}
	for _, l := range st.Money.PriorPeriod {
		if id, err := strconv.ParseInt(strings.TrimPrefix(l.Subject, ledger.AdjustmentSubjectPrefix), 10, 64); err == nil && l.Plan == "" {
			postedHere[id] = true
		}
	}
	var ds []storage.Dispute
	for _, d := range all {
		adj := d.Last().AdjustmentID
		if d.Period == st.Period || postedHere[adj] {
			ds = append(ds, d)
		}
		if d.Period != st.Period && postedHere[adj] {
			as, err := r.AdjustmentList(ctx, d.Period, []string{st.Person})
			if err != nil {
				return err
			}
			for _, a := range as {
				if a.ID == adj {
					adjustments[a.ID] = &StatementAdjustment{ID: a.ID, Amount: a.Amount, Currency: a.Currency,
						EarningCode: a.EarningCode, Reason: a.Reason, By: a.CreatedBy, At: a.CreatedAt}
				}
			}
		}
	}
	for _, d := range ds {
		last := d.Last()
		sd := StatementDispute{ID: d.ID, Period: d.Period, Deal: d.Txn, Text: d.Text, OpenedBy: d.OpenedBy, OpenedAt: d.OpenedAt,
			State: d.State(), Resolution: last.Resolution, By: last.By, At: last.At}
		if d.Txn == "" {
			sd.Line = d.Plan + "/" + d.Subject
		}
		if last.Seq > 1 {
			sd.Note = last.Note
		}
		if last.AdjustmentID != 0 {
			sd.Adjustment = adjustments[last.AdjustmentID]
		}
		st.Disputes = append(st.Disputes, sd)
	}
	return nil
}

func writeDisputes(b *strings.Builder, ds []StatementDispute) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintf(b, "\nDisputes\n")
	for _, d := range ds {
		about := "line " + d.Line
		if d.Deal != "" {
			about = "missing deal " + d.Deal
		}
		fmt.Fprintf(b, "  dispute %d on %s of %s, opened by %s at %s: %s\n", d.ID, about, d.Period, d.OpenedBy, d.OpenedAt, d.Text)
		state := strings.ReplaceAll(d.State, "_", " ")
		if d.Resolution != "" {
			state += " (" + d.Resolution + ")"
		}
		line := fmt.Sprintf("    %s", state)
		if d.State != storage.DisputeOpen {
			line += fmt.Sprintf(" by %s at %s", d.By, d.At)
		}
		if d.Note != "" {
			line += ": " + d.Note
		}
		if a := d.Adjustment; a != nil {
			line += fmt.Sprintf("; adjustment %d: %s %s [%s]", a.ID, moneyText(a.Amount, a.Currency), a.Currency, a.EarningCode)
		}
		fmt.Fprintln(b, line)
	}
}

// StatementPeople lists, in id order, the people with ledger lines earned
// in the period or payable lines posted into it: everyone who has a
// statement for it.
func StatementPeople(ctx context.Context, r StatementSource, periodLabel string) ([]string, error) {
	if _, err := periods.Parse(ctx, r, periodLabel); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range []storage.LedgerLineListParams{{Period: periodLabel}, {Ledger: ledger.PayableLedger, PostedPeriod: periodLabel}} {
		lines, err := r.LedgerLineList(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			seen[l.Person] = true
		}
	}
	return sortedKeys(seen), nil
}
