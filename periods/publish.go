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
//   - a target plan: the periods any version of a comp plan that reads
//     it may compute (targetReaderSpans), older versions included: a
//     period keeps the version in force then after a newer one takes over
//     from a later date, and reads the target plan through it;
//   - a settlement policy: every such period (settlement is per person,
//     across plans).
//
// A closed period it may change is listed in closed: running it again
// posts what changed into the first open period after it, which is
// marked instead (docs/lifecycle.md), so that a clawback or release
// there does not read the new version's numbers for a period still
// paid at the old ones. Both icomp plan publish and icomp import targets
// call it, in the transaction that stores the version.
func MarkPublished(ctx context.Context, tx storage.Tx, f *plans.File) (marked, closed []string, err error) {
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return nil, nil, err
	}
	cal, err := Calendar(ctx, tx)
	if errors.Is(err, ErrNoCalendar) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
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
		spans, err = targetReaderSpans(ctx, tx, f.Target.Name)
		if err != nil {
			return nil, nil, err
		}
	case f.Settlement != nil:
		what = fmt.Sprintf("settlement policy %s version %s was published", f.Settlement.Name, f.Settlement.Version)
		all = true
	}
	for _, rec := range recs {
		if rec.Status != storage.PeriodCalculated && rec.Status != storage.PeriodApproved && rec.Status != storage.PeriodClosed {
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
		if rec.Status == storage.PeriodClosed {
			posting, err := PostingPeriod(ctx, tx, cal, p)
			if err != nil {
				return nil, nil, err
			}
			if err := NeedsRerun(ctx, tx, posting, fmt.Sprintf("%s (closed): %s; run %s to post its changes here as prior-period adjustments", rec.Label, what, rec.Label)); err != nil {
				return nil, nil, err
			}
			closed = append(closed, rec.Label)
			continue
		}
		if err := NeedsRerun(ctx, tx, p, what); err != nil {
			return nil, nil, err
		}
		marked = append(marked, rec.Label)
	}
	return marked, closed, nil
}

// openEnded is r with an open end (zero End) made the last day there is.
func openEnded(r period.Range) period.Range {
	if r.End.IsZero() {
		r.End = period.MustDate("9999-12-31")
	}
	return r
}

// targetReaderSpans returns the days of the periods that a version of a
// published comp plan reading the target plan named target computes: for
// each such version, from its effective from date to the day before the
// earliest from date of a newer version of the plan (which takes over the
// periods ending on or after it; plans.VersionFor), or its own to date
// when earlier; a version that no longer loads, every period. A period
// that straddles a newer version's from date is included too:
// over-marking costs a re-run, missing a period would let payroll export
// numbers computed with the old targets.
func targetReaderSpans(ctx context.Context, r storage.PlanReader, target string) ([]period.Range, error) {
	comps, err := r.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return nil, err
	}
	var spans []period.Range
	for _, latest := range comps {
		history, err := r.PlanVersionHistory(ctx, latest.Name) // oldest first
		if err != nil {
			return nil, err
		}
		// takenOver is the earliest from date of the versions newer than
		// the one at hand (zero: none).
		var takenOver period.Date
		for i := len(history) - 1; i >= 0; i-- {
			v := history[i]
			if v.Kind != plans.KindCompPlan {
				continue
			}
			cf, diags := plans.Load(v.File, []byte(v.Source))
			if len(diags) > 0 || cf.Comp == nil {
				// A version that no longer loads (a check added since
				// it was published) may read the target plan, in any
				// period.
				spans = append(spans, openEnded(period.Range{Start: period.MustDate("1900-01-01")}))
				continue
			}
			span := openEnded(cf.Comp.Effective)
			start := cf.Comp.Effective.Start
			if cf.Comp.Targets == target && (takenOver.IsZero() || span.Start.Before(takenOver)) {
				if !takenOver.IsZero() && takenOver.AddDays(-1).Before(span.End) {
					span.End = takenOver.AddDays(-1)
				}
				spans = append(spans, span)
			}
			if takenOver.IsZero() || start.Before(takenOver) {
				takenOver = start
			}
		}
	}
	return spans, nil
}
