package calc

import (
	"context"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// assignedPeople lists, one record per person, the people assigned to
// plan on some day of period p: assigned to it (or to no plan) and chosen
// by its eligibility rule in the version of them in force that day. When
// a person's plan (or role) changed during the fiscal year to date, the
// record is their last version assigned to the plan, with AssignedFrom
// and AssignedUntil bounding the run of assigned days that reaches p
// (docs/plans.md §20). People with one version in the year are as of the
// period's last day, as before.
func assignedPeople(ctx context.Context, r storage.PeopleReader, plan *plans.CompPlan, p period.Period, ids []string) ([]storage.PersonRecord, error) {
	atEnd, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End, IDs: ids})
	if err != nil {
		return nil, err
	}
	year := period.Range{Start: p.Year.Start, End: p.End}
	versions, err := r.PersonVersionList(ctx, storage.PersonVersionListParams{Span: year, IDs: ids})
	if err != nil {
		return nil, err
	}
	byID := map[string][]storage.PersonRecord{}
	for _, v := range versions {
		byID[v.ID] = append(byID[v.ID], v)
	}
	out := make([]storage.PersonRecord, 0, len(atEnd))
	for _, last := range atEnd {
		vs := byID[last.ID]
		if len(vs) <= 1 {
			out = append(out, last) // no change this year
			continue
		}
		rec, ok, err := assignment(plan, p, year, vs)
		if err != nil {
			return nil, err
		}
		if ok {
			rec.HireDate, rec.TerminationDate = last.HireDate, last.TerminationDate
			out = append(out, rec)
		}
	}
	return out, nil
}

// assignment finds the run of days of year, in versions vs (in effective
// order), that the person is assigned to plan, the last run that reaches
// p, and returns the last version of that run with the run's bounds.
func assignment(plan *plans.CompPlan, p period.Period, year period.Range, vs []storage.PersonRecord) (storage.PersonRecord, bool, error) {
	var rec storage.PersonRecord
	var runStart, runEnd period.Date
	found := false
	for i, v := range vs {
		from := v.EffectiveFrom
		if i == 0 || from.Before(year.Start) {
			// The first version stands for the person before it too, as
			// the version as of the period's end always did.
			from = year.Start
		}
		until := year.End
		if i+1 < len(vs) {
			until = vs[i+1].EffectiveFrom.AddDays(-1)
		}
		if until.Before(from) {
			continue
		}
		assigned := v.AssignedTo(plan.Name)
		if assigned {
			ok, err := engine.PersonMatches(plan.Eligibility, p, v.Person)
			if err != nil {
				return rec, false, err
			}
			assigned = ok
		}
		if !assigned {
			continue
		}
		if !found || from.After(runEnd.AddDays(1)) {
			runStart = from // a new run
		}
		runEnd, rec, found = until, v, true
	}
	if !found || runEnd.Before(p.Start) {
		return rec, false, nil // not assigned on any day of p
	}
	if runStart.After(year.Start) {
		rec.AssignedFrom = runStart
	}
	if runEnd.Before(p.End) {
		rec.AssignedUntil = runEnd
	}
	return rec, true, nil
}
