package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// LineRef names one payout line: a plan's component for a person in a
// period. Its text form, the handle statements print, is
// PLAN/PERIOD/PERSON/COMPONENT ("ae-quarterly/2027-Q1/ae-1/commission").
type LineRef struct {
	Plan, Period, Person, Component string
}

// String returns the handle.
func (r LineRef) String() string {
	return r.Plan + "/" + r.Period + "/" + r.Person + "/" + r.Component
}

// ParseLineRef reads a handle PLAN/PERIOD/PERSON/COMPONENT. Plan, period
// and component names hold no slash, except a clawback, hold or release
// line's ("clawback/commission", "hold/commission"); a person id may.
func ParseLineRef(s string) (LineRef, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 4 {
		return LineRef{}, fmt.Errorf("line %q: want PLAN/PERIOD/PERSON/COMPONENT, e.g. ae-quarterly/2027-Q1/ae-1/commission (the statement prints each line's handle)", s)
	}
	last := 1 // how many trailing parts the component takes
	if len(parts) >= 5 {
		switch parts[len(parts)-2] + "/" {
		case plans.ClawbackLinePrefix, plans.HoldLinePrefix, plans.ReleaseLinePrefix:
			last = 2
		}
	}
	r := LineRef{Plan: parts[0], Period: parts[1], Person: strings.Join(parts[2:len(parts)-last], "/"), Component: strings.Join(parts[len(parts)-last:], "/")}
	if r.Plan == "" || r.Period == "" || r.Person == "" || r.Component == "" {
		return LineRef{}, fmt.Errorf("line %q: plan, period, person and component must all be given", s)
	}
	return r, nil
}

// Explanation is the full derivation of one payout line: what it read
// (credited transactions with the version of each, measures, targets,
// attainment), the plan's rules with file:line, and each step from the
// computed amount to the posted one.
type Explanation struct {
	Line        string          `json:"line"`
	Key         string          `json:"key"`
	RunID       int64           `json:"run_id"`
	Plan        string          `json:"plan"`
	PlanVersion string          `json:"plan_version"`
	PlanHash    string          `json:"plan_hash"`
	PlanFile    string          `json:"plan_file"`
	Period      string          `json:"period"`
	Posted      string          `json:"posted_period,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	Person      string          `json:"person"`
	Name        string          `json:"name,omitempty"`
	Component   string          `json:"component"`
	Type        string          `json:"type"`
	EarningCode string          `json:"earning_code"`
	Currency    string          `json:"currency"`
	Amount      decimal.Decimal `json:"amount"`
	// Rounding says how amounts are rounded: half up to the currency's
	// minor unit, once, after the cap.
	Rounding string `json:"rounding"`
	// Definition is the component as the plan version writes it.
	Definition ComponentDefinition `json:"definition"`
	// Measures are the measures the component reads, each with the
	// credits it took in.
	Measures []ExplainMeasure `json:"measures,omitempty"`
	// Deals are, for a per-credit component, the credits its where rule
	// let through, each with the amount it priced.
	Deals []engine.RecordedCredit `json:"deals,omitempty"`
	// Credits are every transaction credited to the person by the plan in
	// the period, as stored beside the credit summary line (with the
	// content hash of the version each used).
	Credits []ExplainCredit `json:"credits"`
	// Prior lists, for a cumulative or once component, the line in force
	// in each earlier period of the fiscal year: what the trace's prior
	// sums.
	Prior []ExplainPrior `json:"prior,omitempty"`
	// Trace is the posted line's trace; Steps reads it step by step.
	Trace engine.Trace `json:"trace"`
	Steps []string     `json:"steps"`
	// Check is the line recomputed from the stored data now.
	Check ExplainCheck `json:"check"`
}

// ComponentDefinition is a component's rules as written, each with its
// position in the plan file.
type ComponentDefinition struct {
	Pos        string        `json:"at"`
	Measure    string        `json:"measure,omitempty"`
	Key        string        `json:"key,omitempty"`
	Mode       string        `json:"mode,omitempty"`
	Per        string        `json:"per,omitempty"`
	Cumulative bool          `json:"cumulative,omitempty"`
	Tiers      []PlanTier    `json:"tiers,omitempty"`
	Rules      []RuleSource  `json:"rules"`
	Clawback   *RuleClawback `json:"clawback,omitempty"`
}

// PlanTier is a rate table row as written: bounds in attainment (key
// attainment) or in the measure's units (key amount).
type PlanTier struct {
	Tier int              `json:"tier"`
	From decimal.Decimal  `json:"from"`
	To   *decimal.Decimal `json:"to,omitempty"`
	Rate decimal.Decimal  `json:"rate"`
	At   string           `json:"at"`
}

// RuleSource is one rule of the plan the line used, with file:line:column.
type RuleSource struct {
	Role   string `json:"role"`
	Source string `json:"source"`
	At     string `json:"at"`
}

// RuleClawback is the plan's clawback when it covers the component.
type RuleClawback struct {
	WindowDays int `json:"window_days"`
}

// ExplainMeasure is a measure with its target, attainment and the credits
// it summed.
type ExplainMeasure struct {
	Measure    string                  `json:"measure"`
	Window     string                  `json:"window"`
	From       string                  `json:"from"`
	To         string                  `json:"to"`
	Value      decimal.Decimal         `json:"value"`
	Target     string                  `json:"target,omitempty"`
	Attainment string                  `json:"attainment,omitempty"`
	Credits    []engine.RecordedCredit `json:"credits"`
}

// ExplainCredit is one stored credit of the person in the period.
type ExplainCredit struct {
	Txn     string             `json:"txn"`
	TxnHash string             `json:"txn_hash"`
	Date    string             `json:"date"`
	Type    string             `json:"type,omitempty"`
	Rule    string             `json:"rule"`
	Share   decimal.Decimal    `json:"share"`
	Amount  decimal.Decimal    `json:"amount"`
	FX      *engine.Conversion `json:"fx,omitempty"`
}

// ExplainPrior is what an earlier period of the fiscal year paid on the
// component.
type ExplainPrior struct {
	Period string          `json:"period"`
	Line   string          `json:"line"`
	Amount decimal.Decimal `json:"amount"`
}

// ExplainCheck compares the posted amount with the line recomputed now
// from the stored plan version and data.
type ExplainCheck struct {
	Recomputed decimal.Decimal `json:"recomputed"`
	Matches    bool            `json:"matches"`
	Note       string          `json:"note,omitempty"`
}

// ExplainSource is what an explanation reads.
type ExplainSource interface {
	calc.Source
	storage.PlanReader
	storage.PeriodReader
}

// Explain derives the payout line ref names, as posted and in force.
func Explain(ctx context.Context, r ExplainSource, ref LineRef) (*Explanation, error) {
	if _, err := periods.Parse(ctx, r, ref.Period); err != nil {
		return nil, err
	}
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Plan: ref.Plan, Period: ref.Period, People: []string{ref.Person}, WithTraces: true})
	if err != nil {
		return nil, err
	}
	chains := ledger.Fold(lines)
	payout := chains[ledger.Key{Ledger: ledger.PayoutLedger, Plan: ref.Plan, Period: ref.Period, Person: ref.Person, Subject: ref.Component}]
	if payout == nil || payout.Current == nil {
		var have []string
		for k, c := range chains {
			if k.Ledger == ledger.PayoutLedger && c.Current != nil {
				have = append(have, LineRef{k.Plan, k.Period, k.Person, k.Subject}.String())
			}
		}
		sort.Strings(have)
		msg := fmt.Sprintf("no payout line %s in force", ref)
		if len(have) > 0 {
			msg += "; the person's lines of the plan are: " + strings.Join(have, ", ")
		} else {
			msg += ": are the plan, person and period right, and has the period been run?"
		}
		return nil, errors.New(msg)
	}
	l := payout.Current
	x := &Explanation{Line: ref.String(), Key: l.Key, RunID: l.RunID, Plan: l.Plan, PlanHash: l.PlanHash, Period: l.Period,
		Person: l.Person, Component: l.Subject, EarningCode: l.EarningCode, Currency: l.Currency, Amount: l.Amount, Reason: l.Reason}
	if l.IsPriorPeriod() {
		x.Posted = l.PostedPeriod
	}
	if err := json.Unmarshal([]byte(l.Detail), &x.Trace); err != nil {
		return nil, fmt.Errorf("payout line %s: trace: %w", l.Key, err)
	}
	x.Type = x.Trace.Type
	x.Steps = TraceLines(x.Trace)
	if people, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: []string{ref.Person}}); err == nil && len(people) > 0 {
		x.Name = people[0].Name
	}

	// The plan version the line was computed with, by hash.
	cache := calc.NewPlanCache()
	plan, err := cache.Comp(ctx, r, l.PlanHash)
	if err != nil {
		return nil, fmt.Errorf("plan version %s of line %s: %w", short(l.PlanHash), ref, err)
	}
	x.PlanVersion, x.PlanFile = plan.Version, plan.File
	x.Rounding = fmt.Sprintf("half up to %d decimal place(s) (%s), once, after the cap and before prior periods are netted", plan.Precision(), plan.Currency)
	comp := componentByName(plan, ref.Component)
	if comp != nil && comp.ByDeal() {
		x.Rounding = fmt.Sprintf("each deal's amount half up to %d decimal place(s) (%s), then the sum after the cap, before prior periods are netted", plan.Precision(), plan.Currency)
	}
	if comp != nil {
		x.Definition = definitionOf(plan, comp)
	} else if clawed, ok := strings.CutPrefix(ref.Component, plans.ClawbackLinePrefix); ok && plan.Clawback != nil {
		x.Definition = ComponentDefinition{Pos: plan.Clawback.Pos.String(), Rules: []RuleSource{}, Clawback: &RuleClawback{WindowDays: plan.Clawback.WindowDays}}
		if c := componentByName(plan, clawed); c != nil {
			x.Definition.Rules = definitionOf(plan, c).Rules
		}
	} else if held, ok := heldComponent(ref.Component); ok && plan.Hold != nil {
		x.Definition = ComponentDefinition{Pos: plan.Hold.Pos.String(), Rules: []RuleSource{}}
		if c := componentByName(plan, held); c != nil {
			x.Definition.Rules = definitionOf(plan, c).Rules
		}
	} else if s := stepByName(plan, ref.Component); s != nil {
		x.Definition = ComponentDefinition{Pos: s.Pos.String(), Rules: []RuleSource{{Role: "step amount", Source: strings.TrimSpace(s.Amount.Source), At: s.Amount.Pos.String()}}}
	}

	if comp != nil && (comp.Cumulative || comp.Once) {
		if x.Prior, err = priorLines(ctx, r, plan, ref); err != nil {
			return nil, err
		}
	}

	// The credits stored beside the credit summary line.
	credits, err := storedCredits(ctx, r, chains, ref)
	if err != nil {
		return nil, err
	}
	x.Credits = credits

	// Recompute the person with the same plan version to find which
	// credits each measure and per-credit component used.
	rec := &engine.Recorder{Person: ref.Person}
	recomputed, note := recompute(ctx, r, cache, plan, ref, rec)
	x.Check = ExplainCheck{Recomputed: recomputed, Matches: note == "" && recomputed.Equal(l.Amount), Note: note}
	if x.Check.Note == "" && !x.Check.Matches {
		x.Check.Note = "the stored data or targets changed since the run posted this line: a re-run would post the difference"
	}
	if comp != nil && comp.Type == plans.ComponentPerCredit {
		x.Deals = byDate(rec.Components[comp.Name])
	}
	for _, m := range plan.Measures {
		if !reads(comp, m.Name) {
			continue
		}
		att := chains[ledger.Key{Ledger: ledger.AttainmentLedger, Plan: ref.Plan, Period: ref.Period, Person: ref.Person, Subject: m.Name}]
		if att == nil || att.Current == nil {
			continue
		}
		em := ExplainMeasure{Measure: m.Name, Value: att.Current.Amount, Credits: byDate(rec.Measures[m.Name])}
		var d calc.MeasureDetail
		if err := json.Unmarshal([]byte(att.Current.Detail), &d); err == nil {
			em.Window, em.From, em.To = d.Window, d.From, d.To
		}
		em.Target, em.Attainment = calc.ParseAttainmentBasis(att.Current.Basis)
		x.Measures = append(x.Measures, em)
	}
	return x, nil
}

// byDate sorts recorded credits by date, transaction and rule (never nil).
func byDate(cs []engine.RecordedCredit) []engine.RecordedCredit {
	out := append([]engine.RecordedCredit{}, cs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		if out[i].Txn != out[j].Txn {
			return out[i].Txn < out[j].Txn
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

func componentByName(plan *plans.CompPlan, name string) *plans.Component {
	for i := range plan.Components {
		if plan.Components[i].Name == name {
			return &plan.Components[i]
		}
	}
	return nil
}

func stepByName(plan *plans.CompPlan, name string) *plans.Step {
	for i := range plan.Steps {
		if plan.Steps[i].Name == name {
			return &plan.Steps[i]
		}
	}
	return nil
}

// definitionOf lists a component's rules, its measure's and the plan's
// credit rules, with their positions.
func definitionOf(plan *plans.CompPlan, c *plans.Component) ComponentDefinition {
	d := ComponentDefinition{Pos: c.Pos.String(), Cumulative: c.Cumulative, Rules: []RuleSource{}}
	if c.Type == plans.ComponentRateTable {
		d.Measure, d.Key, d.Mode, d.Per = c.Measure, c.Key, c.Mode, c.Per
	}
	for i, t := range c.Tiers {
		d.Tiers = append(d.Tiers, PlanTier{Tier: i + 1, From: t.From, To: t.To, Rate: t.Rate, At: t.Pos.String()})
	}
	add := func(role string, r *plans.Rule) {
		if r != nil {
			d.Rules = append(d.Rules, RuleSource{Role: role, Source: strings.TrimSpace(r.Source), At: r.Pos.String()})
		}
	}
	add("gate", c.Gate)
	add("where", c.Where)
	add("amount", c.Amount)
	add("cap", c.Cap)
	if c.MBO != nil {
		add("target_amount", c.MBO.TargetAmount)
	}
	for _, m := range plan.Measures {
		if reads(c, m.Name) {
			add("measure "+m.Name+" where", m.Where)
			add("measure "+m.Name+" value", m.Value)
		}
	}
	for _, cr := range plan.Credits {
		add("credit rule "+cr.Name+" when", cr.When)
		add("credit rule "+cr.Name+" amount", cr.Amount)
	}
	if cb := plan.Clawback; cb != nil {
		for _, i := range cb.Components {
			if plan.Components[i].Name == c.Name {
				d.Clawback = &RuleClawback{WindowDays: cb.WindowDays}
			}
		}
	}
	return d
}

// reads reports whether component c (nil for a step) reads measure name:
// its rate table's measure or a rule naming it.
func reads(c *plans.Component, name string) bool {
	if c == nil {
		return false
	}
	if c.Measure == name {
		return true
	}
	re := regexp.MustCompile(`\b(measure|target|attainment|annual_target)\.` + regexp.QuoteMeta(name) + `\b`)
	for _, r := range c.ComponentRules() {
		if re.MatchString(r.Source) {
			return true
		}
	}
	return false
}

// priorLines lists the component's lines in force in the earlier periods
// of the fiscal year, as calc.PriorPayouts sums them.
func priorLines(ctx context.Context, r ExplainSource, plan *plans.CompPlan, ref LineRef) ([]ExplainPrior, error) {
	p, err := calc.ParsePeriod(plan, ref.Period)
	if err != nil {
		return nil, err
	}
	out := []ExplainPrior{}
	for _, earlier := range plan.Calendar.Periods(p.FiscalYear, p.Frequency) {
		if earlier.Index >= p.Index {
			break
		}
		lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: ref.Plan, Period: earlier.Label, People: []string{ref.Person}})
		if err != nil {
			return nil, err
		}
		c := ledger.Fold(lines)[ledger.Key{Ledger: ledger.PayoutLedger, Plan: ref.Plan, Period: earlier.Label, Person: ref.Person, Subject: ref.Component}]
		if c != nil && c.Current != nil {
			out = append(out, ExplainPrior{Period: earlier.Label, Line: LineRef{ref.Plan, earlier.Label, ref.Person, ref.Component}.String(), Amount: c.Current.Amount})
		}
	}
	return out, nil
}

// storedCredits reads the credits beside the person's credit summary line
// in force, with the conversions its detail records.
func storedCredits(ctx context.Context, r ExplainSource, chains map[ledger.Key]*ledger.Chain, ref LineRef) ([]ExplainCredit, error) {
	out := []ExplainCredit{}
	c := chains[ledger.Key{Ledger: ledger.CreditLedger, Plan: ref.Plan, Period: ref.Period, Person: ref.Person, Subject: ledger.CreditsSubject}]
	if c == nil || c.Current == nil {
		return out, nil
	}
	conversions := map[string]*engine.Conversion{}
	if c.Current.Detail != "" {
		var d calc.CreditsDetail
		if err := json.Unmarshal([]byte(c.Current.Detail), &d); err != nil {
			return nil, fmt.Errorf("credit line %s: %w", c.Current.Key, err)
		}
		for i := range d.FX {
			conversions[d.FX[i].Txn] = &d.FX[i].Conversion
		}
	}
	credits, err := r.CreditList(ctx, []string{c.Current.Key})
	if err != nil {
		return nil, err
	}
	for _, cr := range credits {
		out = append(out, ExplainCredit{Txn: cr.Txn, TxnHash: cr.TxnHash, Date: cr.Date, Type: cr.Type, Rule: cr.Rule, Share: cr.Share,
			Amount: cr.Amount, FX: conversions[cr.Txn]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		if out[i].Txn != out[j].Txn {
			return out[i].Txn < out[j].Txn
		}
		return out[i].Rule < out[j].Rule
	})
	return out, nil
}

// recompute computes the person again with plan (the version the line
// was posted with) and the target plan in force, recording the credits
// each measure and per-credit component used. It returns the line's
// amount, or a note saying why it could not.
func recompute(ctx context.Context, r ExplainSource, cache *calc.PlanCache, plan *plans.CompPlan, ref LineRef, rec *engine.Recorder) (decimal.Decimal, string) {
	p, err := calc.ParsePeriod(plan, ref.Period)
	if err != nil {
		return decimal.Zero, err.Error()
	}
	var targets *plans.TargetPlan
	if plan.Targets != "" {
		tv, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, plan.Targets)
		if err != nil {
			return decimal.Zero, fmt.Sprintf("target plan %s: %v", plan.Targets, err)
		}
		if targets, err = cache.Target(ctx, r, tv.Hash); err != nil {
			return decimal.Zero, err.Error()
		}
	}
	versions, vtargets, err := calc.PlanVersions(ctx, r, cache, plan)
	if err != nil {
		return decimal.Zero, err.Error()
	}
	res, err := calc.Compute(ctx, r, calc.Batch{Plan: plan, Targets: targets, Period: p, People: []string{ref.Person}, Record: rec, Versions: versions, VersionTargets: vtargets})
	if err != nil {
		return decimal.Zero, "recomputing: " + err.Error()
	}
	for _, l := range res.Lines {
		if l.Ledger == ledger.PayoutLedger && l.Person == ref.Person && l.Subject == ref.Component {
			return l.Amount, ""
		}
	}
	return decimal.Zero, "recomputed now, the plan no longer pays this line (the person's data changed since the run)"
}

// WriteJSON writes the explanation as indented JSON.
func (x *Explanation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

// WriteText writes the explanation for a terminal: the line, the rules
// with file:line, what it read and each step of the working.
func (x *Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	who := x.Person
	if x.Name != "" {
		who = fmt.Sprintf("%s (%s)", x.Name, x.Person)
	}
	fmt.Fprintf(&b, "Explanation of %s\n", x.Line)
	fmt.Fprintf(&b, "  %s, period %s, component %s (%s) [%s]: %s %s\n", who, x.Period, x.Component, x.Type, x.EarningCode, moneyText(x.Amount, x.Currency), x.Currency)
	fmt.Fprintf(&b, "  plan %s version %s (%s), %s\n", x.Plan, x.PlanVersion, short(x.PlanHash), x.PlanFile)
	fmt.Fprintf(&b, "  ledger line %s, posted by run %d", short(x.Key), x.RunID)
	if x.Posted != "" {
		fmt.Fprintf(&b, " into %s", x.Posted)
	}
	b.WriteString("\n")
	if x.Reason != "" {
		fmt.Fprintf(&b, "  reason: %s\n", x.Reason)
	}

	d := x.Definition
	fmt.Fprintf(&b, "\nRules (%s)\n", d.Pos)
	if d.Measure != "" {
		fmt.Fprintf(&b, "  rate table on measure %s, key %s, mode %s", d.Measure, d.Key, d.Mode)
		if d.Per != "" {
			fmt.Fprintf(&b, ", per %s", d.Per)
		}
		b.WriteString("\n")
	}
	if d.Cumulative {
		b.WriteString("  cumulative: computed on year-to-date measures, less what earlier periods paid\n")
	}
	for _, t := range d.Tiers {
		to := "and up"
		if t.To != nil {
			to = "to " + t.To.String()
		}
		fmt.Fprintf(&b, "  tier %d: from %s %s, rate %s  (%s)\n", t.Tier, t.From, to, t.Rate, t.At)
	}
	for _, r := range d.Rules {
		fmt.Fprintf(&b, "  %s: %s  (%s)\n", r.Role, r.Source, r.At)
	}
	if d.Clawback != nil {
		fmt.Fprintf(&b, "  clawback: deals cancelled within %d days give back what they paid\n", d.Clawback.WindowDays)
	}
	fmt.Fprintf(&b, "  rounding: %s\n", x.Rounding)

	fmt.Fprintf(&b, "\nCredited transactions in %s (%d)\n", x.Period, len(x.Credits))
	if len(x.Credits) > 0 {
		fmt.Fprintf(&b, "  %-10s  %-12s  %-12s  %-10s  %-8s  %6s  %14s\n", "date", "transaction", "version", "rule", "type", "share", "amount")
		for _, c := range x.Credits {
			fmt.Fprintf(&b, "  %-10s  %-12s  %-12s  %-10s  %-8s  %6s  %14s\n", c.Date, c.Txn, short(c.TxnHash), c.Rule, c.Type, c.Share, moneyText(c.Amount, x.Currency))
			if c.FX != nil {
				fmt.Fprintf(&b, "  %-10s  converted: %s\n", "", c.FX)
			}
		}
	}
	for _, m := range x.Measures {
		fmt.Fprintf(&b, "\nMeasure %s = %s  (%s %s..%s, %d credits)\n", m.Measure, m.Value, m.Window, m.From, m.To, len(m.Credits))
		sum := decimal.Zero
		for _, c := range m.Credits {
			fmt.Fprintf(&b, "  + %-14s %s  %-12s %-10s %s\n", c.Value, c.Date, c.Txn, c.Rule, short(c.TxnHash))
			sum = sum.Add(c.Value)
		}
		fmt.Fprintf(&b, "  = %s\n", sum)
		if m.Target != "" {
			if m.Attainment != "" {
				fmt.Fprintf(&b, "  target %s, attainment %s ÷ %s = %s (%s)\n", m.Target, m.Value, m.Target, m.Attainment, percent(m.Attainment))
			} else {
				fmt.Fprintf(&b, "  target %s: no attainment\n", m.Target)
			}
		}
	}
	if x.Deals != nil {
		fmt.Fprintf(&b, "\nDeals that qualified (%d)\n", len(x.Deals))
		sum := decimal.Zero
		for _, c := range x.Deals {
			fmt.Fprintf(&b, "  %s  %-12s %-10s share %s, credit %s → %s  %s\n", c.Date, c.Txn, c.Rule, c.Share, c.Amount, c.Value, short(c.TxnHash))
			sum = sum.Add(c.Value)
		}
		fmt.Fprintf(&b, "  total %s\n", sum)
	}
	if x.Prior != nil {
		b.WriteString("\nPaid earlier this fiscal year\n")
		sum := decimal.Zero
		for _, p := range x.Prior {
			fmt.Fprintf(&b, "  %s  %s  (icomp explain %s)\n", p.Period, moneyText(p.Amount, x.Currency), p.Line)
			sum = sum.Add(p.Amount)
		}
		fmt.Fprintf(&b, "  total %s\n", moneyText(sum, x.Currency))
	}
	b.WriteString("\nWorking\n")
	for _, s := range x.Steps {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "  posted %s %s\n", moneyText(x.Amount, x.Currency), x.Currency)
	b.WriteString("\nCheck\n")
	if x.Check.Matches {
		fmt.Fprintf(&b, "  recomputed now from the stored data with plan version %s: %s, the same\n", short(x.PlanHash), x.Check.Recomputed)
	} else {
		fmt.Fprintf(&b, "  recomputed now: %s, NOT the posted %s: %s\n", x.Check.Recomputed, x.Amount, x.Check.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// heldComponent is the component a hold or release line holds or
// releases ("hold/commission" → "commission").
func heldComponent(line string) (string, bool) {
	if c, ok := strings.CutPrefix(line, plans.HoldLinePrefix); ok {
		return c, true
	}
	return strings.CutPrefix(line, plans.ReleaseLinePrefix)
}
