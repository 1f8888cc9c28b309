package reports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// WhatIfSource is what a what-if reads: the stored data a run reads, and
// the published plans (for the target plan in force).
type WhatIfSource interface {
	calc.Source
	storage.PlanReader
}

// WhatIfInput is a candidate plan version to try on a period.
type WhatIfInput struct {
	// Plan is the candidate comp plan version (not published).
	Plan *plans.CompPlan
	// Targets is a candidate target plan; nil uses the published version
	// in force of the target plan the candidate names.
	Targets *plans.TargetPlan
	Period  string
}

// WhatIf is a candidate plan version computed on stored data, against the
// payout lines in force for the plan and period. Nothing is posted.
type WhatIf struct {
	Plan    string `json:"plan"`
	Version string `json:"version"`
	Hash    string `json:"hash"`
	Period  string `json:"period"`
	// Targets names the target plan version the candidate was computed
	// with ("" when the plan has none).
	Targets string `json:"targets,omitempty"`
	// PostedVersions are the plan versions (hashes) of the posted lines
	// compared against.
	PostedVersions []string `json:"posted_versions"`
	// People holds one row per person and currency, by person id: anyone
	// the candidate pays or the ledger has a payout line for.
	People []WhatIfPerson `json:"people"`
	// Totals is the total cost change per currency.
	Totals []WhatIfTotal `json:"totals"`
}

// WhatIfPerson is one person's posted and candidate payouts in a currency.
type WhatIfPerson struct {
	Person     string            `json:"person"`
	Name       string            `json:"name,omitempty"`
	Currency   string            `json:"currency"`
	Posted     decimal.Decimal   `json:"posted"`
	Candidate  decimal.Decimal   `json:"candidate"`
	Delta      decimal.Decimal   `json:"delta"`
	Components []WhatIfComponent `json:"components"`
}

// WhatIfComponent is one payout line's posted and candidate amount.
type WhatIfComponent struct {
	Component string          `json:"component"`
	Posted    decimal.Decimal `json:"posted"`
	Candidate decimal.Decimal `json:"candidate"`
	Delta     decimal.Decimal `json:"delta"`
}

// WhatIfTotal is the cost change in one currency.
type WhatIfTotal struct {
	Currency  string          `json:"currency"`
	Posted    decimal.Decimal `json:"posted"`
	Candidate decimal.Decimal `json:"candidate"`
	Delta     decimal.Decimal `json:"delta"`
	// Changed counts the people whose payout changes.
	Changed int `json:"changed"`
}

// LoadCandidate loads a candidate comp plan (and, optionally, a target
// plan) from source, as `icomp plan check` would: any problem is an error
// naming file:line:column.
func LoadCandidate(name string, src []byte) (*plans.File, error) {
	f, diags := plans.Load(name, src)
	if len(diags) > 0 {
		msgs := make([]string, len(diags))
		for i, d := range diags {
			msgs[i] = d.String()
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	return f, nil
}

// RunWhatIf computes the candidate on the stored data of the period, on
// the calculation path a run uses (calc.Candidates and calc.Compute, in
// batches, in process), and compares it with the payout lines in force.
// It writes nothing.
func RunWhatIf(ctx context.Context, r WhatIfSource, in WhatIfInput) (*WhatIf, error) {
	plan := in.Plan
	if plan == nil {
		return nil, errors.New("what-if needs a candidate comp plan")
	}
	p, err := calc.ParsePeriod(plan, in.Period)
	if err != nil {
		return nil, err
	}
	if !plan.EffectiveIn(p) {
		return nil, fmt.Errorf("candidate plan %s version %s is in effect %s, not in %s", plan.Name, plan.Version, plan.EffectiveText(), p.Label)
	}
	w := &WhatIf{Plan: plan.Name, Version: plan.Version, Hash: plan.Hash, Period: p.Label, PostedVersions: []string{}, People: []WhatIfPerson{}, Totals: []WhatIfTotal{}}
	targets := in.Targets
	switch {
	case plan.Targets == "" && targets != nil:
		return nil, fmt.Errorf("candidate plan %s names no target plan, but target plan %s was given", plan.Name, targets.Name)
	case plan.Targets != "" && targets != nil && targets.Name != plan.Targets:
		return nil, fmt.Errorf("candidate plan %s reads target plan %s, but target plan %s was given", plan.Name, plan.Targets, targets.Name)
	case plan.Targets != "" && targets == nil:
		tv, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, plan.Targets)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("candidate plan %s needs target plan %s, which is not published: give one with --targets", plan.Name, plan.Targets)
		}
		if err != nil {
			return nil, err
		}
		if targets, err = calc.NewPlanCache().Target(ctx, r, tv.Hash); err != nil {
			return nil, err
		}
	}
	if targets != nil {
		w.Targets = fmt.Sprintf("%s version %s (%s)", targets.Name, targets.Version, short(targets.Hash))
	}
	people, err := calc.Candidates(ctx, r, plan, p, nil)
	if err != nil {
		return nil, err
	}
	if err := engine.CheckTargets(plan, targets, p, calc.Persons(people)); err != nil {
		return nil, err
	}

	// What is posted: the payout lines in force for the plan and period.
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: plan.Name, Period: p.Label})
	if err != nil {
		return nil, err
	}
	type key struct{ person, currency, component string }
	posted := map[key]decimal.Decimal{}
	candidate := map[key]decimal.Decimal{}
	versions := map[string]bool{}
	inScope := map[string]bool{}
	for _, c := range ledger.Fold(lines) {
		if l := c.Current; l != nil {
			posted[key{l.Person, l.Currency, l.Subject}] = l.Amount
			versions[l.PlanHash] = true
			inScope[l.Person] = true
		}
	}
	w.PostedVersions = sortedKeys(versions)
	for _, person := range people {
		inScope[person.ID] = true
	}
	ids := sortedKeys(inScope)
	publications, vtargets, err := calc.PlanVersions(ctx, r, calc.NewPlanCache(), plan)
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(ids); start += calc.BatchPeopleMax {
		batch := ids[start:min(start+calc.BatchPeopleMax, len(ids))]
		res, err := calc.Compute(ctx, r, calc.Batch{Plan: plan, Targets: targets, Period: p, People: batch, Versions: publications, VersionTargets: vtargets})
		if err != nil {
			return nil, err
		}
		for _, l := range res.Lines {
			if l.Ledger == ledger.PayoutLedger {
				candidate[key{l.Person, l.Currency, l.Subject}] = l.Amount
			}
		}
	}

	// One row per person and currency, its components sorted by name.
	rows := map[[2]string]*WhatIfPerson{}
	addRow := func(k key) {
		rk := [2]string{k.person, k.currency}
		row := rows[rk]
		if row == nil {
			row = &WhatIfPerson{Person: k.person, Currency: k.currency}
			rows[rk] = row
		}
		for _, c := range row.Components {
			if c.Component == k.component {
				return
			}
		}
		c := WhatIfComponent{Component: k.component, Posted: posted[k], Candidate: candidate[k]}
		c.Delta = c.Candidate.Sub(c.Posted)
		row.Components = append(row.Components, c)
		row.Posted = row.Posted.Add(c.Posted)
		row.Candidate = row.Candidate.Add(c.Candidate)
	}
	for k := range posted {
		addRow(k)
	}
	for k := range candidate {
		addRow(k)
	}
	names := map[string]string{}
	if recs, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: ids}); err == nil {
		for _, rec := range recs {
			names[rec.ID] = rec.Name
		}
	}
	totals := map[string]*WhatIfTotal{}
	for _, row := range rows {
		row.Delta = row.Candidate.Sub(row.Posted)
		row.Name = names[row.Person]
		sort.Slice(row.Components, func(i, j int) bool { return row.Components[i].Component < row.Components[j].Component })
		t := totals[row.Currency]
		if t == nil {
			t = &WhatIfTotal{Currency: row.Currency}
			totals[row.Currency] = t
		}
		t.Posted = t.Posted.Add(row.Posted)
		t.Candidate = t.Candidate.Add(row.Candidate)
		t.Delta = t.Delta.Add(row.Delta)
		if !row.Delta.IsZero() {
			t.Changed++
		}
		w.People = append(w.People, *row)
	}
	sort.Slice(w.People, func(i, j int) bool {
		if w.People[i].Person != w.People[j].Person {
			return w.People[i].Person < w.People[j].Person
		}
		return w.People[i].Currency < w.People[j].Currency
	})
	for _, c := range sortedKeys(totals) {
		w.Totals = append(w.Totals, *totals[c])
	}
	return w, nil
}

// WriteJSON writes the what-if as indented JSON.
func (w *WhatIf) WriteJSON(out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(w)
}

// WhatIfCSVHeader is the header of the what-if CSV: one row per person,
// currency and component, then per person and currency a row with
// component "total".
var WhatIfCSVHeader = []string{"person", "name", "currency", "component", "posted", "candidate", "delta"}

// WriteCSV writes the what-if as CSV (WhatIfCSVHeader).
func (w *WhatIf) WriteCSV(out io.Writer) error {
	cw := csv.NewWriter(out)
	_ = cw.Write(WhatIfCSVHeader)
	for _, p := range w.People {
		for _, c := range p.Components {
			_ = cw.Write([]string{p.Person, p.Name, p.Currency, c.Component, moneyText(c.Posted, p.Currency), moneyText(c.Candidate, p.Currency), moneyText(c.Delta, p.Currency)})
		}
		_ = cw.Write([]string{p.Person, p.Name, p.Currency, "total", moneyText(p.Posted, p.Currency), moneyText(p.Candidate, p.Currency), moneyText(p.Delta, p.Currency)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the what-if for a terminal: a row per person and the
// total cost change.
func (w *WhatIf) WriteTable(out io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "What-if: plan %s version %s (candidate %s) in %s, nothing posted\n", w.Plan, w.Version, short(w.Hash), w.Period)
	if w.Targets != "" {
		fmt.Fprintf(&b, "targets: %s\n", w.Targets)
	}
	if len(w.PostedVersions) == 0 {
		b.WriteString("compared with: nothing posted for this plan and period\n")
	} else {
		hs := make([]string, len(w.PostedVersions))
		for i, h := range w.PostedVersions {
			hs[i] = short(h)
		}
		fmt.Fprintf(&b, "compared with: the payout lines in force (plan version %s)\n", strings.Join(hs, ", "))
	}
	b.WriteString("\n")
	rows := [][]string{{"person", "name", "currency", "posted", "candidate", "delta"}}
	for _, p := range w.People {
		rows = append(rows, []string{p.Person, p.Name, p.Currency, moneyText(p.Posted, p.Currency), moneyText(p.Candidate, p.Currency), signed(p.Delta, p.Currency)})
	}
	for _, t := range w.Totals {
		rows = append(rows, []string{"total", fmt.Sprintf("%d changed", t.Changed), t.Currency, moneyText(t.Posted, t.Currency), moneyText(t.Candidate, t.Currency), signed(t.Delta, t.Currency)})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		// Text columns to the left, amounts to the right.
		fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %*s  %*s  %*s\n", width[0], r[0], width[1], r[1], width[2], r[2], width[3], r[3], width[4], r[4], width[5], r[5])
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// signed shows a delta with its sign.
func signed(d decimal.Decimal, currency string) string {
	s := moneyText(d, currency)
	if d.Sign() > 0 {
		return "+" + s
	}
	return s
}
