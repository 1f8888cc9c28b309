// Package period is icomp's fiscal calendar: period labels such as
// "2027-Q1", "2027-M03" and "2027", the dates they cover, and the
// quarter-to-date and year-to-date windows that measures use.
//
// Fiscal year N is the fiscal year that ends in calendar year N. With a
// fiscal year start month of 1 (January) FY2027 is calendar 2027; with a
// start month of 2 (February) FY2027 runs from 2026-02-01 to 2027-01-31.
// Fiscal months and quarters count from the start month: with start month
// 2, 2027-M01 is February 2026 and 2027-Q1 is February to April 2026.
package period

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Frequency is how often a plan pays.
type Frequency string

// The supported frequencies.
const (
	Monthly   Frequency = "monthly"
	Quarterly Frequency = "quarterly"
	Annual    Frequency = "annual"
)

// Frequencies lists the supported frequencies in order.
var Frequencies = []Frequency{Monthly, Quarterly, Annual}

// Date is a calendar day, compared and printed as YYYY-MM-DD.
type Date struct{ t time.Time }

// ParseDate parses a YYYY-MM-DD day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// MustDate parses a YYYY-MM-DD day and panics on error; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDate returns the day y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// String formats the day as YYYY-MM-DD. The engine formats every
// transaction's date for rules, so years 0 to 9999 skip time's layout
// interpreter.
func (d Date) String() string {
	y, m, day := d.t.Date()
	if y < 0 || y > 9999 {
		return d.t.Format(time.DateOnly)
	}
	b := [10]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + int(m)/10), byte('0' + int(m)%10), '-',
		byte('0' + day/10), byte('0' + day%10),
	}
	return string(b[:])
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.t.After(o.t) }

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Time returns d as midnight UTC.
func (d Date) Time() time.Time { return d.t }

// Range is the closed interval of days [Start, End].
type Range struct {
	Start, End Date
}

// Contains reports whether day lies in r.
func (r Range) Contains(day Date) bool { return !day.Before(r.Start) && !day.After(r.End) }

// ContainsRange reports whether o lies wholly in r.
func (r Range) ContainsRange(o Range) bool { return r.Contains(o.Start) && r.Contains(o.End) }

// Overlaps reports whether r and o share a day.
func (r Range) Overlaps(o Range) bool { return !o.End.Before(r.Start) && !o.Start.After(r.End) }

// String formats r as START..END.
func (r Range) String() string { return r.Start.String() + ".." + r.End.String() }

// Calendar is a fiscal calendar: the month the fiscal year starts in.
type Calendar struct {
	// FiscalYearStartMonth is 1 (January, the default when zero) to 12.
	FiscalYearStartMonth int
}

func (c Calendar) startMonth() int {
	if c.FiscalYearStartMonth == 0 {
		return 1
	}
	return c.FiscalYearStartMonth
}

// Period is one labelled pay period of a fiscal calendar.
type Period struct {
	// Label is the canonical label: "2027", "2027-Q1" or "2027-M01".
	Label     string
	Frequency Frequency
	// FiscalYear is the fiscal year the period belongs to.
	FiscalYear int
	// Index is the period's 1-based number within the fiscal year (1 for annual).
	Index int
	Range
	// Quarter is the fiscal quarter holding the period (the whole year for an annual period).
	Quarter Range
	// Year is the whole fiscal year.
	Year Range
}

// Parse reads a period label: "2027" (fiscal year), "2027-Q1".."2027-Q4"
// (fiscal quarters) or "2027-M01".."2027-M12" (fiscal months).
func (c Calendar) Parse(label string) (Period, error) {
	year, rest, hasRest := strings.Cut(label, "-")
	fy, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 {
		return Period{}, fmt.Errorf("period %q: want YYYY, YYYY-Qn or YYYY-Mnn", label)
	}
	switch {
	case !hasRest:
		return c.period(fy, Annual, 1), nil
	case len(rest) == 2 && rest[0] == 'Q' && rest[1] >= '1' && rest[1] <= '4':
		return c.period(fy, Quarterly, int(rest[1]-'0')), nil
	case len(rest) == 3 && rest[0] == 'M':
		m, err := strconv.Atoi(rest[1:])
		if err == nil && m >= 1 && m <= 12 {
			return c.period(fy, Monthly, m), nil
		}
	}
	return Period{}, fmt.Errorf("period %q: want YYYY, YYYY-Qn (n 1-4) or YYYY-Mnn (nn 01-12)", label)
}

// FiscalYearRange returns the days of fiscal year fy.
func (c Calendar) FiscalYearRange(fy int) Range {
	start := c.monthStart(fy, 1)
	return Range{start, Date{start.t.AddDate(1, 0, -1)}}
}

// monthStart is the first day of fiscal month m (1-based) of fiscal year fy.
func (c Calendar) monthStart(fy, m int) Date {
	sm := c.startMonth()
	y := fy
	if sm != 1 {
		y = fy - 1
	}
	return NewDate(y, time.Month(sm), 1).addMonths(m - 1)
}

func (d Date) addMonths(n int) Date { return Date{d.t.AddDate(0, n, 0)} }

func (c Calendar) months(fy, first, n int) Range {
	start := c.monthStart(fy, first)
	return Range{start, Date{start.t.AddDate(0, n, -1)}}
}

func (c Calendar) period(fy int, f Frequency, i int) Period {
	p := Period{Frequency: f, FiscalYear: fy, Index: i, Year: c.FiscalYearRange(fy)}
	switch f {
	case Annual:
		p.Label = strconv.Itoa(fy)
		p.Range = p.Year
		p.Quarter = p.Year
	case Quarterly:
		p.Label = fmt.Sprintf("%d-Q%d", fy, i)
		p.Range = c.months(fy, 3*(i-1)+1, 3)
		p.Quarter = p.Range
	case Monthly:
		p.Label = fmt.Sprintf("%d-M%02d", fy, i)
		p.Range = c.months(fy, i, 1)
		q := (i-1)/3 + 1
		p.Quarter = c.months(fy, 3*(q-1)+1, 3)
	}
	return p
}

// Periods lists every period of frequency f in fiscal year fy, in order.
func (c Calendar) Periods(fy int, f Frequency) []Period {
	n := map[Frequency]int{Monthly: 12, Quarterly: 4, Annual: 1}[f]
	out := make([]Period, n)
	for i := range out {
		out[i] = c.period(fy, f, i+1)
	}
	return out
}

// Window names the span of days a measure aggregates over.
type Window string

// The supported windows.
const (
	// WindowPeriod is the pay period itself.
	WindowPeriod Window = "period"
	// WindowQTD runs from the start of the fiscal quarter to the period's end.
	WindowQTD Window = "qtd"
	// WindowYTD runs from the start of the fiscal year to the period's end.
	WindowYTD Window = "ytd"
)

// Windows lists the supported windows in order.
var Windows = []Window{WindowPeriod, WindowQTD, WindowYTD}

// Window returns the days that window w covers for period p.
func (p Period) Window(w Window) Range {
	switch w {
	case WindowQTD:
		return Range{p.Quarter.Start, p.End}
	case WindowYTD:
		return Range{p.Year.Start, p.End}
	default:
		return p.Range
	}
}
