package calc

import (
	"context"
	"sort"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// UncreditedIDsMax is how many uncredited transaction ids a RunReport
// lists.
const UncreditedIDsMax = 5

// RunReport is what a finished run has to say beside its lines: inputs
// that no plan used, and pay that may be doubled.
type RunReport struct {
	// Uncredited counts the transactions dated in the period that no
	// plan credited; UncreditedIDs lists the first UncreditedIDsMax of
	// them by id.
	Uncredited    int
	UncreditedIDs []string
	// Overlaps lists the people eligible for two or more of the run's
	// plans that pay the same earning code in the period.
	Overlaps []EarningOverlap
}

// EarningOverlap is a person two or more plans pay under one earning code.
type EarningOverlap struct {
	Person      string
	EarningCode string
	// Plans is sorted.
	Plans []string
}

// ReportSource is what ReportRun reads.
type ReportSource interface {
	storage.PeopleReader
	storage.TransactionReader
	storage.LedgerReader
}

// ReportRun reports on the period of a finished run that computed
// compPlans (all in the same company calendar).
func ReportRun(ctx context.Context, r ReportSource, periodLabel string, compPlans []*plans.CompPlan) (RunReport, error) {
	var rep RunReport
	if len(compPlans) == 0 {
		return rep, nil
	}
	p, err := compPlans[0].Calendar.Parse(periodLabel)
	if err != nil {
		return rep, err
	}
	rep.Uncredited, rep.UncreditedIDs, err = r.TransactionUncredited(ctx, p.Range, periodLabel, UncreditedIDsMax)
	if err != nil {
		return rep, err
	}
	rep.Overlaps, err = EarningOverlaps(ctx, r, compPlans, periodLabel)
	return rep, err
}

// EarningOverlaps lists the people whom two or more of compPlans pay
// under the same earning code in period periodLabel: each plan's payees
// (as a run selects them) against the earning codes of its components
// and steps. Sorted by person and earning code.
func EarningOverlaps(ctx context.Context, r storage.PeopleReader, compPlans []*plans.CompPlan, periodLabel string) ([]EarningOverlap, error) {
	byPersonCode := map[[2]string]map[string]bool{}
	for _, plan := range compPlans {
		p, err := plan.Calendar.Parse(periodLabel)
		if err != nil {
			return nil, err
		}
		codes := map[string]bool{}
		for _, c := range plan.Components {
			codes[c.EarningCode] = true
		}
		for _, s := range plan.Steps {
			codes[s.Name] = true
		}
		people, err := Candidates(ctx, r, plan, p, nil)
		if err != nil {
			return nil, err
		}
		for _, person := range people {
			for code := range codes {
				k := [2]string{person.ID, code}
				if byPersonCode[k] == nil {
					byPersonCode[k] = map[string]bool{}
				}
				byPersonCode[k][plan.Name] = true
			}
		}
	}
	var out []EarningOverlap
	for k, names := range byPersonCode {
		if len(names) < 2 {
			continue
		}
		o := EarningOverlap{Person: k[0], EarningCode: k[1]}
		for n := range names {
			o.Plans = append(o.Plans, n)
		}
		sort.Strings(o.Plans)
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Person != out[j].Person {
			return out[i].Person < out[j].Person
		}
		return out[i].EarningCode < out[j].EarningCode
	})
	return out, nil
}
