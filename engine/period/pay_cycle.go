package period

import "fmt"

// Semi-monthly and bi-weekly pay periods.
//
// Semi-monthly periods split each fiscal month in two: the 1st to the 15th
// and the 16th to the month's last day. 2027-SM01 and 2027-SM02 are the
// two halves of fiscal month 2027-M01, 2027-SM24 the second half of
// 2027-M12. They never straddle a month, quarter or fiscal year.
//
// Bi-weekly periods are the 14-day cycles counted from the calendar's
// PayCycleAnchor, forwards and backwards. A cycle can straddle a month,
// quarter or fiscal year; the rule is: **a cycle belongs to the fiscal year,
// quarter and month in which it ends.** So 2027-BW01 is the first cycle
// that ends in fiscal year 2027 (it may start up to 13 days before the
// fiscal year), a fiscal year holds 26 cycles or, when 27 cycle ends fall
// in it, 27, and the month-, quarter- and year-to-date windows of a cycle
// start at the first day of the first cycle that ends in that month,
// quarter or fiscal year. Windows therefore always cover whole cycles, nest
// (period ⊆ mtd ⊆ qtd ⊆ ytd), and every day lies in exactly one cycle of
// exactly one fiscal year's numbering.

// semiMonthlyPeriods is the number of semi-monthly periods in a fiscal year.
const semiMonthlyPeriods = 24

// semiMonthlyFirstHalfDays is the length of the first half of a month:
// the 1st to the 15th.
const semiMonthlyFirstHalfDays = 15

// payCycleDays is the length of a bi-weekly pay cycle.
const payCycleDays = 14

const secondsPerDay = 24 * 60 * 60

func (c Calendar) semiMonthly(fy, i int) Period {
	m := (i + 1) / 2
	month := c.months(fy, m, 1)
	q := (m-1)/3 + 1
	p := Period{
		Label: fmt.Sprintf("%d-SM%02d", fy, i), Frequency: SemiMonthly, FiscalYear: fy, Index: i,
		Month: month, Quarter: c.months(fy, 3*(q-1)+1, 3), Year: c.FiscalYearRange(fy),
	}
	if i%2 == 1 {
		p.Range = Range{month.Start, month.Start.AddDays(semiMonthlyFirstHalfDays - 1)}
	} else {
		p.Range = Range{month.Start.AddDays(semiMonthlyFirstHalfDays), month.End}
	}
	return p
}

func (c Calendar) biWeekly(fy, i int) Period {
	year := c.FiscalYearRange(fy)
	first, _ := c.cyclesEndingIn(year)
	r := c.cycle(first + int64(i) - 1)
	p := Period{
		Label: fmt.Sprintf("%d-BW%02d", fy, i), Frequency: BiWeekly, FiscalYear: fy, Index: i, Range: r,
		Month:   c.cycleSpan(monthOf(r.End)),
		Quarter: c.cycleSpan(c.quarterOf(r.End)),
		Year:    c.cycleSpan(year),
	}
	return p
}

// dayNumber counts days from 1970-01-01 (negative before it).
func (d Date) dayNumber() int64 {
	s := d.t.Unix()
	n := s / secondsPerDay
	if s%secondsPerDay < 0 {
		n--
	}
	return n
}

// floorDiv is a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// cycleIndex is the number of the bi-weekly cycle holding d, counting the
// cycle that starts at the anchor as 0.
func (c Calendar) cycleIndex(d Date) int64 {
	return floorDiv(d.dayNumber()-c.PayCycleAnchor.dayNumber(), payCycleDays)
}

// cycle returns the days of cycle k.
func (c Calendar) cycle(k int64) Range {
	start := c.PayCycleAnchor.AddDays(int(k * payCycleDays))
	return Range{start, start.AddDays(payCycleDays - 1)}
}

// cyclesEndingIn returns the first and last cycles that end in r (every
// span of 28 days or more has at least two).
func (c Calendar) cyclesEndingIn(r Range) (first, last int64) {
	return c.cycleIndex(r.Start), c.cycleIndex(r.End.AddDays(1)) - 1
}

// cycleSpan is the days of the cycles that end in r.
func (c Calendar) cycleSpan(r Range) Range {
	first, last := c.cyclesEndingIn(r)
	return Range{c.cycle(first).Start, c.cycle(last).End}
}

// monthOf is the calendar month holding d (fiscal months are calendar
// months).
func monthOf(d Date) Range {
	y, m, _ := d.t.Date()
	start := NewDate(y, m, 1)
	return Range{start, Date{start.t.AddDate(0, 1, -1)}}
}

// quarterOf is the fiscal quarter holding d.
func (c Calendar) quarterOf(d Date) Range {
	month := monthOf(d)
	back := (int(month.Start.t.Month()) - c.startMonth() + 12) % 12 % 3
	start := month.Start.addMonths(-back)
	return Range{start, Date{start.t.AddDate(0, 3, -1)}}
}

// fiscalYearOf is the fiscal year holding d.
func (c Calendar) fiscalYearOf(d Date) int {
	y, m, _ := d.t.Date()
	if c.startMonth() != 1 && int(m) >= c.startMonth() {
		return y + 1
	}
	return y
}

// PeriodAt returns the period of frequency f that holds day d. ok is false
// for a bi-weekly frequency when the calendar has no PayCycleAnchor, or
// for an unknown frequency.
func (c Calendar) PeriodAt(f Frequency, d Date) (p Period, ok bool) {
	switch f {
	case Annual:
		return c.period(c.fiscalYearOf(d), Annual, 1), true
	case Quarterly, Monthly, SemiMonthly:
		fy := c.fiscalYearOf(d)
		m := (int(d.t.Month())-c.startMonth()+12)%12 + 1
		switch f {
		case Quarterly:
			return c.period(fy, Quarterly, (m-1)/3+1), true
		case Monthly:
			return c.period(fy, Monthly, m), true
		}
		i := 2*m - 1
		if d.t.Day() > semiMonthlyFirstHalfDays {
			i++
		}
		return c.period(fy, SemiMonthly, i), true
	case BiWeekly:
		if c.PayCycleAnchor.IsZero() {
			return Period{}, false
		}
		k := c.cycleIndex(d)
		fy := c.fiscalYearOf(c.cycle(k).End)
		first, _ := c.cyclesEndingIn(c.FiscalYearRange(fy))
		return c.period(fy, BiWeekly, int(k-first)+1), true
	}
	return Period{}, false
}

// SamePayCycles reports whether c and o put bi-weekly cycles on the same
// days: both have no anchor, or their anchors are a whole number of
// cycles apart.
func (c Calendar) SamePayCycles(o Calendar) bool {
	if c.PayCycleAnchor.IsZero() || o.PayCycleAnchor.IsZero() {
		return c.PayCycleAnchor.IsZero() == o.PayCycleAnchor.IsZero()
	}
	return (c.PayCycleAnchor.dayNumber()-o.PayCycleAnchor.dayNumber())%payCycleDays == 0
}

// payCycleError explains why a label of bi-weekly form does not parse:
// the calendar has no anchor, or the fiscal year has fewer cycles.
// It returns nil for every other label.
func (c Calendar) payCycleError(label string) error {
	if len(label) != 9 || label[4:7] != "-BW" || !digits(label[7:9]) || label[0] < '1' || label[0] > '9' || !digits(label[:4]) {
		return nil
	}
	if c.PayCycleAnchor.IsZero() {
		return fmt.Errorf("period %s: bi-weekly periods need a pay cycle anchor, and no bi-weekly plan has set one (pay_cycle_anchor)", quoteInput(label))
	}
	fy := int(label[0]-'0')*1000 + int(label[1]-'0')*100 + int(label[2]-'0')*10 + int(label[3]-'0')
	if n := c.PeriodCount(fy, BiWeekly); label[7:9] != "00" {
		return fmt.Errorf("period %s: fiscal year %d has %d bi-weekly pay cycles (%s-BW01 to %s-BW%02d)", quoteInput(label), fy, n, label[:4], label[:4], n)
	}
	return nil
}

// FrequencyOf returns the frequency a label's form names ("2027-BW05" is
// bi-weekly), without checking that the label is a period of any
// calendar. ok is false when the label has none of the canonical forms.
func FrequencyOf(label string) (f Frequency, ok bool) {
	if len(label) < 4 || label[0] < '1' || label[0] > '9' || !digits(label[1:4]) {
		return "", false
	}
	switch rest := label[4:]; {
	case rest == "":
		return Annual, true
	case len(rest) == 3 && rest[:2] == "-Q":
		return Quarterly, true
	case len(rest) == 4 && rest[:2] == "-M":
		return Monthly, true
	case len(rest) == 5 && rest[:3] == "-SM":
		return SemiMonthly, true
	case len(rest) == 5 && rest[:3] == "-BW":
		return BiWeekly, true
	}
	return "", false
}
