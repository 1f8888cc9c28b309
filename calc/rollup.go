package calc

import (
	"context"
	"slices"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// rollupInputs is what a batch of a plan that rolls credit up or pays
// overrides reads beyond its own people.
type rollupInputs struct {
	// Hierarchy is every person's versions in force in the fiscal year to
	// date.
	Hierarchy []facts.Reporting
	// Reports are the people whose transactions a roll-up may credit to
	// the batch's people: anyone below them, within the plan's levels, in
	// any version of the hierarchy in the fiscal year to date.
	Reports []string
	// TeamPayouts are the payout lines in force, in the period, of the
	// plans the overrides name, of the people below the batch's people as
	// of the period's last day.
	TeamPayouts []facts.TeamPayout
}

// readRollupInputs reads a batch's rollupInputs; nothing when the plan
// neither rolls up nor pays overrides. The engine works out, deal by deal
// and line by line, which of these reach which payee; reading more than
// that (a report who changed managers) never changes a result.
func readRollupInputs(ctx context.Context, r Source, plan *plans.CompPlan, p period.Period, people []string) (rollupInputs, error) {
	var in rollupInputs
	creditLevels, overrideLevels := plan.RollupLevels()
	if creditLevels == 0 && overrideLevels == 0 {
		return in, nil
	}
	history, err := r.PersonHistory(ctx, period.Range{Start: p.Year.Start, End: p.End})
	if err != nil {
		return in, err
	}
	everyVersion := map[string][]string{} // manager → people, any version
	atEnd := map[string][]string{}        // manager → people, as of the period's end
	for i, v := range history {
		in.Hierarchy = append(in.Hierarchy, facts.Reporting{Person: v.ID, Manager: v.Manager, Role: v.Role, From: v.EffectiveFrom})
		if v.Manager == "" {
			continue
		}
		everyVersion[v.Manager] = append(everyVersion[v.Manager], v.ID)
		newest := i+1 == len(history) || history[i+1].ID != v.ID || history[i+1].EffectiveFrom.After(p.End)
		if newest {
			atEnd[v.Manager] = append(atEnd[v.Manager], v.ID)
		}
	}
	if creditLevels != 0 {
		in.Reports = below(everyVersion, people, creditLevels)
	}
	if overrideLevels == 0 {
		return in, nil
	}
	team := below(atEnd, people, overrideLevels)
	if len(team) == 0 {
		return in, nil
	}
	for _, src := range plan.OverridePlans() {
		lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Plan: src, Period: p.Label, People: team})
		if err != nil {
			return in, err
		}
		for _, c := range ledger.Fold(lines) {
			if c.Current == nil {
				continue
			}
			l := c.Current
			in.TeamPayouts = append(in.TeamPayouts, facts.TeamPayout{Person: l.Person, Plan: l.Plan, Component: l.Subject, Amount: l.Amount})
		}
	}
	return in, nil
}

// below lists, sorted, the people down to levels levels below any of
// roots in the graph manager → reports (levels < 0: any depth). A root
// below another root is listed: a batch may hold a manager and their
// manager, and the latter's team holds the former.
func below(reports map[string][]string, roots []string, levels int) []string {
	found := map[string]bool{}
	for _, r := range roots {
		seen := map[string]bool{r: true}
		frontier := []string{r}
		for depth := 1; len(frontier) > 0 && (levels < 0 || depth <= levels); depth++ {
			var next []string
			for _, m := range frontier {
				for _, p := range reports[m] {
					if !seen[p] {
						seen[p] = true
						found[p] = true
						next = append(next, p)
					}
				}
			}
			frontier = next
		}
	}
	out := make([]string, 0, len(found))
	for p := range found {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// withReports is people and the reports whose transactions roll up to
// them, sorted, each once.
func withReports(people, reports []string) []string {
	if len(reports) == 0 {
		return people
	}
	out := append(slices.Clone(people), reports...)
	slices.Sort(out)
	return slices.Compact(out)
}

// rollupWeights returns, for a plan with roll-up credit, how many
// transactions a payee's batch reads for their reports, estimated from
// the owners' counts and the hierarchy as of the period's last day; for
// other plans, zero for everyone.
func rollupWeights(ctx context.Context, r storage.PeopleReader, plan *plans.CompPlan, p period.Period, counts map[string]int) (func(string) int, error) {
	levels, _ := plan.RollupLevels()
	if levels == 0 {
		return func(string) int { return 0 }, nil
	}
	all, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End})
	if err != nil {
		return nil, err
	}
	reports := map[string][]string{}
	for _, o := range all {
		if o.Manager != "" {
			reports[o.Manager] = append(reports[o.Manager], o.ID)
		}
	}
	return func(id string) int {
		if len(reports[id]) == 0 {
			return 0
		}
		n := 0
		for _, rep := range below(reports, []string{id}, levels) {
			n += counts[rep]
		}
		return n
	}, nil
}
