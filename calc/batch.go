package calc

import (
	"context"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// CreditsTerritory reports whether plan credits people through their
// territory (an overlay), so that a batch needs its people's territories'
// transactions too.
func CreditsTerritory(plan *plans.CompPlan) bool {
	for _, c := range plan.Credits {
		if c.To == plans.CreditToTerritory {
			return true
		}
	}
	return false
}

// Candidates lists the people a plan pays in period p: employed during
// it, assigned to the plan (or unassigned) and selected by its eligibility
// rule, as of the period's last day or, for a person whose plan changed
// during the period, as of the last day they were on it (assignedPeople).
// ids limits the list (nil: everyone).
func Candidates(ctx context.Context, r storage.PeopleReader, plan *plans.CompPlan, p period.Period, ids []string) ([]storage.PersonRecord, error) {
	all, err := assignedPeople(ctx, r, plan, p, ids)
	if err != nil {
		return nil, err
	}
	var people []facts.Person
	byID := map[string]storage.PersonRecord{}
	for _, person := range all {
		if person.ActiveIn(p.Range) && person.AssignedTo(plan.Name) {
			people = append(people, person.Person)
			byID[person.ID] = person
		}
	}
	eligible, err := engine.Eligible(plan, p, people)
	if err != nil {
		return nil, err
	}
	out := make([]storage.PersonRecord, len(eligible))
	for i, person := range eligible {
		out[i] = byID[person.ID]
	}
	return out, nil
}

// Persons returns the people of records.
func Persons(records []storage.PersonRecord) []facts.Person {
	out := make([]facts.Person, len(records))
	for i, r := range records {
		out[i] = r.Person
	}
	return out
}

// Source is what a batch reads: its people, their transactions and what
// earlier periods posted.
type Source interface {
	storage.PeopleReader
	storage.TransactionReader
	storage.LedgerReader
	storage.ScoreReader
	storage.FXReader
}

// Batch is the computation of one plan for some of its people in a period.
type Batch struct {
	Plan    *plans.CompPlan
	Targets *plans.TargetPlan
	Period  period.Period
	// People are the people to compute; those who are not payees of the
	// plan get no lines (so a diff reverses what they had).
	People []string
	// Stop, when closed, stops the engine (see engine.Input.Stop).
	Stop <-chan struct{}
	// Record, when set, notes which credits one person's measures and
	// per-credit components used (see engine.Recorder).
	Record *engine.Recorder
	// Versions are the plan's publications, newest first, when it has
	// more than one, and VersionTargets the target plans they read
	// (PlanVersions; engine.Input.Versions).
	Versions       []*plans.CompPlan
	VersionTargets map[string]*plans.TargetPlan
}

// Result is a computed batch.
type Result struct {
	Output
	// Payees are the batch's people the plan pays.
	Payees map[string]bool
	// Txns is how many transactions the batch read.
	Txns int
}

// Compute loads the batch's inputs and computes it.
func Compute(ctx context.Context, r Source, b Batch) (*Result, error) {
	plan, p := b.Plan, b.Period
	records, err := Candidates(ctx, r, plan, p, b.People)
	if err != nil {
		return nil, err
	}
	people := make([]facts.Person, len(records))
	payees := make(map[string]bool, len(records))
	terrSet := map[string]bool{}
	for i, rec := range records {
		people[i] = rec.Person
		payees[rec.ID] = true
		if rec.Territory != "" {
			terrSet[rec.Territory] = true
		}
	}
	var territories []string
	if CreditsTerritory(plan) {
		for t := range terrSet {
			territories = append(territories, t)
		}
		sort.Strings(territories)
	}
	// The rates first: a small read, before the long one.
	fx, err := LoadFX(ctx, r)
	if err != nil {
		return nil, err
	}
	ru, err := readRollupInputs(ctx, r, plan, p, b.People)
	if err != nil {
		return nil, err
	}
	txns, err := r.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{
		Span: period.Range{Start: engine.TransactionsFrom(plan, p), End: p.End}, People: withReports(b.People, ru.Reports), Territories: territories,
	})
	if err != nil {
		return nil, err
	}
	if txns, err = withCancelledDeals(ctx, r, plan, txns); err != nil {
		return nil, err
	}
	prior, err := PriorPayouts(ctx, r, plan, p, b.People)
	if err != nil {
		return nil, err
	}
	scores, err := Scores(ctx, r, plan, p, b.People)
	if err != nil {
		return nil, err
	}
	res, err := engine.Compute(engine.Input{Plan: plan, Targets: b.Targets, Period: p, People: people, Transactions: txns, Prior: prior, Scores: scores, FX: fx, Stop: b.Stop, Record: b.Record,
		Hierarchy: ru.Hierarchy, TeamPayouts: ru.TeamPayouts, Versions: b.Versions, VersionTargets: b.VersionTargets})
	if err != nil {
		return nil, err
	}
	hashes := make(map[string]string, len(txns))
	for _, t := range txns {
		hashes[t.ID] = t.Hash
	}
	return &Result{Output: Lines(plan, p.Label, res, hashes), Payees: payees, Txns: len(txns)}, nil
}

// ParsePeriod reads a period label with the plan's calendar.
func ParsePeriod(plan *plans.CompPlan, label string) (period.Period, error) {
	p, err := plan.Calendar.Parse(label)
	if err != nil {
		return p, fmt.Errorf("%w: %v", ErrPlan, err)
	}
	return p, nil
}

// PriorPayouts sums what earlier periods of the fiscal year posted for the
// plan's cumulative components, and for its once components (a milestone
// paid earlier is not paid again).
func PriorPayouts(ctx context.Context, r storage.LedgerReader, plan *plans.CompPlan, p period.Period, people []string) ([]facts.PriorPayout, error) {
	cumulative := map[string]bool{}
	for _, c := range plan.Components {
		if c.Cumulative || c.Once {
			cumulative[c.Name] = true
		}
	}
	if len(cumulative) == 0 {
		return nil, nil
	}
	sums := map[[2]string]decimal.Decimal{}
	for _, earlier := range plan.Calendar.Periods(p.FiscalYear, p.Frequency) {
		if earlier.Index >= p.Index {
			break
		}
		lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: plan.Name, Period: earlier.Label, People: people})
		if err != nil {
			return nil, err
		}
		for _, c := range ledger.Fold(lines) {
			if c.Current == nil || !cumulative[c.Current.Subject] {
				continue
			}
			k := [2]string{c.Current.Person, c.Current.Subject}
			sums[k] = sums[k].Add(c.Current.Amount)
		}
	}
	out := make([]facts.PriorPayout, 0, len(sums))
	for k, v := range sums {
		out = append(out, facts.PriorPayout{Person: k[0], Component: k[1], Amount: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Person != out[j].Person {
			return out[i].Person < out[j].Person
		}
		return out[i].Component < out[j].Component
	})
	return out, nil
}

// Scores reads the period's MBO scores of people (everyone when nil) when
// the plan has an mbo component, and nothing otherwise.
func Scores(ctx context.Context, r storage.ScoreReader, plan *plans.CompPlan, p period.Period, people []string) ([]facts.Score, error) {
	mbo := false
	for i := range plan.Components {
		mbo = mbo || plan.Components[i].MBO != nil
	}
	if !mbo {
		return nil, nil
	}
	rows, err := r.MBOScoreList(ctx, storage.MBOScoreListParams{Period: p.Label, People: people})
	if err != nil {
		return nil, err
	}
	out := make([]facts.Score, len(rows))
	for i, s := range rows {
		out[i] = s.Score
	}
	return out, nil
}
