package periods

import (
	"context"
	"errors"
	"fmt"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// MarkPublished marks the calculated or approved periods a newly
// published version may change as needing a re-run (an approved one goes
// back to calculated, so payroll cannot export numbers the new version
// would change), and returns their labels:
//   - a comp plan: the periods from its effective from date on (it takes
//     them over, and ends the plan after its to date; plans.VersionFor);
//   - a target plan: the periods in the effective dates of the latest comp
//     plans that read it;
//   - a settlement policy: every such period (settlement is per person,
//     across plans).
//
// Closed periods are left alone: running one again posts what changed
// into the next open period (docs/lifecycle.md). Both icomp plan publish
// and icomp import targets call it, in the transaction that stores the
// version.
func MarkPublished(ctx context.Context, tx storage.Tx, f *plans.File) ([]string, error) {
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return nil, err
	}
	cal, err := Calendar(ctx, tx)
	if errors.Is(err, ErrNoCalendar) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var spans []period.Range // nil with all: every period
	all := false
	var what string
	switch {
	case f.Comp != nil:
		what = fmt.Sprintf("comp plan %s version %s was published", f.Comp.Name, f.Comp.Version)
		// The version computes the periods from its from date on, ended
		// or not (plans.VersionFor); those before keep the version in
		// force then.
		spans = append(spans, openEnded(period.Range{Start: f.Comp.Effective.Start}))
	case f.Target != nil:
		what = fmt.Sprintf("target plan %s version %s was published", f.Target.Name, f.Target.Version)
		comps, err := tx.PlanVersionListLatest(ctx, plans.KindCompPlan)
		if err != nil {
			return nil, err
		}
		for _, v := range comps {
			if cf, diags := plans.Load(v.File, []byte(v.Source)); len(diags) == 0 && cf.Comp != nil && cf.Comp.Targets == f.Target.Name {
				spans = append(spans, openEnded(cf.Comp.Effective))
			}
		}
	case f.Settlement != nil:
		what = fmt.Sprintf("settlement policy %s version %s was published", f.Settlement.Name, f.Settlement.Version)
		all = true
	}
	var marked []string
	for _, rec := range recs {
		if rec.Status != storage.PeriodCalculated && rec.Status != storage.PeriodApproved {
			continue
		}
		p, err := cal.Parse(rec.Label)
		if err != nil {
			continue
		}
		hit := all
		for _, s := range spans {
			hit = hit || s.Overlaps(p.Range)
		}
		if !hit {
			continue
		}
		if err := NeedsRerun(ctx, tx, p, what); err != nil {
			return nil, err
		}
		marked = append(marked, rec.Label)
	}
	return marked, nil
}

// openEnded is r with an open end (zero End) made the last day there is.
func openEnded(r period.Range) period.Range {
	if r.End.IsZero() {
		r.End = period.MustDate("9999-12-31")
	}
	return r
}
