package plans

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// The proration methods of a target plan (docs/plans.md §20).
const (
	// ProrationNone gives every target period its whole target.
	ProrationNone = "none"
	// ProrationDays multiplies a target period's target by the days the
	// person was employed in it over the days in it.
	ProrationDays = "days"
	// ProrationMonths multiplies it by the calendar months of the target
	// period the person was employed for in full over the months in it.
	ProrationMonths = "months"
)

// rampStepsMax bounds a ramp: three years of monthly steps.
const rampStepsMax = 36

// ramp reads an entry's ramp: fractions from 0 to 1, one per target
// period from the one holding the hire date.
func (r *reader) ramp(n *yaml.Node, items []*yaml.Node, what string) []decimal.Decimal {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil // absent, or reported by list
	}
	switch {
	case len(items) == 0:
		r.errorf(n, "%s.ramp: an empty ramp; give the fraction of the target for each of a new hire's first periods, such as [0.25, 0.5, 0.75], or leave ramp out", what)
		return nil
	case len(items) > rampStepsMax:
		r.errorf(n, "%s.ramp: %d steps; the limit is %d", what, len(items), rampStepsMax)
		return nil
	}
	out := make([]decimal.Decimal, 0, len(items))
	for i, it := range items {
		f, ok := r.decimalNode(it, fmt.Sprintf("%s.ramp[%d]", what, i))
		if !ok {
			return nil
		}
		if f.Sign() < 0 || f.GreaterThan(decimal.NewFromInt(1)) {
			r.errorf(it, "%s.ramp[%d]: %s is not a fraction from 0 to 1 of the full target (write 25%% as 0.25)", what, i, it.Value)
			return nil
		}
		out = append(out, f)
	}
	return out
}

// TargetPeriodDetail shows how one target period's target was adjusted
// for a person: Amount = Base × Ramp × Worked ÷ Of.
type TargetPeriodDetail struct {
	Period string          `json:"period"`
	Base   decimal.Decimal `json:"base"`
	// RampStep is the new hire's ramp step (1 for the target period
	// holding the hire date); 0 when no ramp step applies.
	RampStep int              `json:"ramp_step,omitempty"`
	Ramp     *decimal.Decimal `json:"ramp,omitempty"`
	// Worked of Of Unit (days, or whole months) is the proration: both 0
	// when the period was not prorated.
	Worked int             `json:"worked,omitempty"`
	Of     int             `json:"of,omitempty"`
	Unit   string          `json:"unit,omitempty"`
	Amount decimal.Decimal `json:"amount"`
}

// TargetFor is Target for person p, adjusted by the entry's ramp and the
// plan's proration. detail lists every target period in the window when
// at least one was adjusted, and is nil otherwise.
func (tp *TargetPlan) TargetFor(p *facts.Person, measure string, window period.Range) (amount decimal.Decimal, detail []TargetPeriodDetail, ok bool, err error) {
	entry := tp.entry(p.ID, p.Role, measure)
	if entry == nil {
		return decimal.Zero, nil, false, nil
	}
	pts, err := tp.periodsIn(entry, window)
	if err != nil || len(pts) == 0 {
		return decimal.Zero, nil, false, err
	}
	prorate := tp.Proration != ProrationNone && tp.Proration != "" &&
		(!p.HireDate.IsZero() || !p.TerminationDate.IsZero() || !p.AssignedFrom.IsZero() || !p.AssignedUntil.IsZero())
	if !prorate && (len(entry.Ramp) == 0 || p.HireDate.IsZero()) {
		// Nothing to adjust: the plain sum, without a detail.
		sum := decimal.Zero
		for _, pt := range pts {
			sum = sum.Add(pt.Amount)
		}
		return sum, nil, true, nil
	}
	hireOrdinal := 0
	if len(entry.Ramp) > 0 && !p.HireDate.IsZero() {
		hireOrdinal = tp.ordinal(p.HireDate)
	}
	adjusted := false
	sum := decimal.Zero
	detail = make([]TargetPeriodDetail, len(pts))
	for i, pt := range pts {
		d := TargetPeriodDetail{Period: pt.Period.Label, Base: pt.Amount, Amount: pt.Amount}
		if hireOrdinal != 0 {
			step := tp.ordinal(pt.Period.Start) - hireOrdinal + 1
			if step >= 1 && step <= len(entry.Ramp) {
				f := entry.Ramp[step-1]
				d.RampStep, d.Ramp = step, &f
				d.Amount = d.Amount.Mul(f)
				adjusted = true
			}
		}
		if prorate {
			worked, days := EmployedDays(p, pt.Period.Range), Days(pt.Period.Range)
			if tp.Proration == ProrationMonths {
				worked, days = employedMonths(p, pt.Period.Range)
			}
			if worked < days {
				d.Worked, d.Of, d.Unit = worked, days, tp.Proration
				d.Amount = d.Amount.Mul(decimal.NewFromInt(int64(worked))).DivRound(decimal.NewFromInt(int64(days)), rules.DivisionPlaces)
				adjusted = true
			}
		}
		sum = sum.Add(d.Amount)
		detail[i] = d
	}
	if !adjusted {
		detail = nil
	}
	return sum, detail, true, nil
}

// ordinal numbers the target periods of every fiscal year in a row (the
// first period of fiscal year 1 is 1) and returns the number of the one
// holding day.
func (tp *TargetPlan) ordinal(day period.Date) int {
	n := map[period.Frequency]int{period.Monthly: 12, period.Quarterly: 4, period.Annual: 1}[tp.Frequency]
	for fy := day.Time().Year() - 1; fy <= day.Time().Year()+1; fy++ {
		if !tp.Calendar.FiscalYearRange(fy).Contains(day) {
			continue
		}
		for _, p := range tp.Calendar.Periods(fy, tp.Frequency) {
			if p.Contains(day) {
				return fy*n + p.Index
			}
		}
	}
	return 0 // unreachable: a fiscal year holds every day
}

// Days counts the days of r, both ends included.
func Days(r period.Range) int {
	if r.End.Before(r.Start) {
		return 0
	}
	return int(r.End.Time().Sub(r.Start.Time())/(24*time.Hour)) + 1
}

// EmployedDays counts the days of r from p's hire date to p's termination
// date (an unset date does not bound).
func EmployedDays(p *facts.Person, r period.Range) int {
	for _, from := range []period.Date{p.HireDate, p.AssignedFrom} {
		if !from.IsZero() && from.After(r.Start) {
			r.Start = from
		}
	}
	for _, until := range []period.Date{p.TerminationDate, p.AssignedUntil} {
		if !until.IsZero() && until.Before(r.End) {
			r.End = until
		}
	}
	return Days(r)
}

// Employed reports whether day lies within p's employment and their
// assignment to the plan.
func Employed(p *facts.Person, day period.Date) bool {
	return (p.HireDate.IsZero() || !day.Before(p.HireDate)) && (p.TerminationDate.IsZero() || !day.After(p.TerminationDate)) &&
		(p.AssignedFrom.IsZero() || !day.Before(p.AssignedFrom)) && (p.AssignedUntil.IsZero() || !day.After(p.AssignedUntil))
}

// employment reads a plan test person's hire_date and termination_date,
// and assigned_from and assigned_until (a plan change during the year).
func (r *reader) employment(pm *mapping, p *facts.Person) {
	p.HireDate = pm.date("hire_date", false)
	p.TerminationDate = pm.date("termination_date", false)
	p.AssignedFrom = pm.date("assigned_from", false)
	p.AssignedUntil = pm.date("assigned_until", false)
	if !p.AssignedFrom.IsZero() && !p.AssignedUntil.IsZero() && p.AssignedUntil.Before(p.AssignedFrom) {
		if n := pm.value("assigned_until", false); n != nil {
			r.errorf(n, "%s.assigned_until: %s is before assigned_from %s", pm.what, p.AssignedUntil, p.AssignedFrom)
		}
	}
	if !p.HireDate.IsZero() && !p.TerminationDate.IsZero() && p.TerminationDate.Before(p.HireDate) {
		if n := pm.value("termination_date", false); n != nil {
			r.errorf(n, "%s.termination_date: %s is before hire_date %s", pm.what, p.TerminationDate, p.HireDate)
		}
	}
}

// employedMonths counts the calendar months of r (a target period, which
// starts on the first of a month) and those of them p was employed on
// every day of.
func employedMonths(p *facts.Person, r period.Range) (worked, months int) {
	for start := r.Start.Time(); !period.NewDate(start.Year(), start.Month(), 1).After(r.End); start = start.AddDate(0, 1, 0) {
		first := period.NewDate(start.Year(), start.Month(), 1)
		last := period.NewDate(start.Year(), start.Month()+1, 0)
		months++
		if Employed(p, first) && Employed(p, last) {
			worked++
		}
	}
	return worked, months
}
