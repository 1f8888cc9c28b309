// Package period is icomp's fiscal calendar: period labels such as
// "2027-Q1", "2027-M03", "2027", "2027-SM05" (semi-monthly) and
// "2027-BW05" (bi-weekly), the dates they cover, and the month-, quarter-
// and year-to-date windows that measures use.
//
// Fiscal year N is the fiscal year that ends in calendar year N. With a
// fiscal year start month of 1 (January) FY2027 is calendar 2027; with a
// start month of 2 (February) FY2027 runs from 2026-02-01 to 2027-01-31.
// Fiscal months and quarters count from the start month: with start month
// 2, 2027-M01 is February 2026 and 2027-Q1 is February to April 2026.
package period

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Frequency is how often a plan pays.
type Frequency string

// The supported frequencies.
const (
	Monthly   Frequency = "monthly"
	Quarterly Frequency = "quarterly"
	Annual    Frequency = "annual"
	// SemiMonthly pays twice a fiscal month: the 1st to the 15th, and the
	// 16th to the month's last day.
	SemiMonthly Frequency = "semimonthly"
	// BiWeekly pays every 14 days, counted from the calendar's
	// PayCycleAnchor. See pay_cycle.go for which fiscal year a cycle
	// belongs to.
	BiWeekly Frequency = "biweekly"
)

// Frequencies lists the supported frequencies in order.
var Frequencies = []Frequency{Monthly, Quarterly, Annual, SemiMonthly, BiWeekly}

// Date is a calendar day, compared and printed as YYYY-MM-DD.
type Date struct{ t time.Time }

// ParseDate parses a YYYY-MM-DD day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%s is not a date (want YYYY-MM-DD)", quoteInput(s))
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

// Calendar is a fiscal calendar: the month the fiscal year starts in, and
// where bi-weekly pay cycles fall.
type Calendar struct {
	// FiscalYearStartMonth is 1 (January, the default when zero) to 12.
	FiscalYearStartMonth int
	// PayCycleAnchor is the first day of one bi-weekly pay cycle: the
	// cycles are the 14-day spans before and after it. Zero (the default)
	// when nothing pays bi-weekly; bi-weekly labels then do not parse.
	PayCycleAnchor Date
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
	// Month is the fiscal month holding the period (the period itself for
	// a quarterly or annual period). For a bi-weekly period it is the
	// cycles that end in the month the period ends in.
	Month Range
	// Quarter is the fiscal quarter holding the period (the whole year for
	// an annual period); for a bi-weekly period, the cycles that end in
	// that quarter.
	Quarter Range
	// Year is the whole fiscal year; for a bi-weekly period, the cycles
	// that end in the fiscal year, which can start up to 13 days before it
	// and end up to 13 days before its end.
	Year Range
}

// LabelForms names the canonical period label forms, for error messages.
const LabelForms = "YYYY, YYYY-Qn (n 1-4), YYYY-Mnn (nn 01-12), YYYY-SMnn (nn 01-24) or YYYY-BWnn (nn 01-27)"

// inputEchoBytesMax bounds how much of a refused label or date an error repeats.
const inputEchoBytesMax = 40

// Parse reads a canonical period label: "2027" (fiscal year),
// "2027-Q1".."2027-Q4" (fiscal quarters), "2027-M01".."2027-M12"
// (fiscal months), "2027-SM01".."2027-SM24" (semi-monthly) or
// "2027-BW01".."2027-BW26" (bi-weekly; "2027-BW27" in a fiscal year in
// which 27 cycles end), with a four-digit year from 1000 to 9999. Every other
// spelling is refused, even one that names a period unambiguously
// ("2027-M3", "2027-q1", " 2027-Q1", "2027-M+1"), so a label is a stable
// key: the Label of the Period returned is always the label given.
func (c Calendar) Parse(label string) (Period, error) {
	if p, ok := c.parseCanonical(label); ok {
		return p, nil
	}
	if err := c.payCycleError(label); err != nil {
		return Period{}, err
	}
	msg := fmt.Sprintf("period %s: want %s", quoteInput(label), LabelForms)
	if s := c.suggestLabel(label); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return Period{}, errors.New(msg)
}

func (c Calendar) parseCanonical(label string) (Period, bool) {
	if len(label) != 4 && len(label) != 7 && len(label) != 8 && len(label) != 9 {
		return Period{}, false
	}
	if label[0] < '1' || label[0] > '9' || !digits(label[1:4]) {
		return Period{}, false
	}
	fy := int(label[0]-'0')*1000 + int(label[1]-'0')*100 + int(label[2]-'0')*10 + int(label[3]-'0')
	switch {
	case len(label) == 4:
		return c.period(fy, Annual, 1), true
	case label[4] != '-':
		return Period{}, false
	case len(label) == 7 && label[5] == 'Q' && label[6] >= '1' && label[6] <= '4':
		return c.period(fy, Quarterly, int(label[6]-'0')), true
	case len(label) == 8 && label[5] == 'M' && digits(label[6:8]):
		m := int(label[6]-'0')*10 + int(label[7]-'0')
		if m >= 1 && m <= 12 {
			return c.period(fy, Monthly, m), true
		}
	case len(label) == 9 && digits(label[7:9]):
		i := int(label[7]-'0')*10 + int(label[8]-'0')
		switch label[5:7] {
		case "SM":
			if i >= 1 && i <= semiMonthlyPeriods {
				return c.period(fy, SemiMonthly, i), true
			}
		case "BW":
			if i >= 1 && i <= c.PeriodCount(fy, BiWeekly) {
				return c.period(fy, BiWeekly, i), true
			}
		}
	}
	return Period{}, false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// suggestLabel returns the canonical spelling of a label that differs from
// one only by surrounding space, letter case or a one-digit number, or "".
func (c Calendar) suggestLabel(label string) string {
	if len(label) > inputEchoBytesMax {
		return ""
	}
	s := strings.ToUpper(strings.TrimSpace(label))
	for _, sep := range []string{"-M", "-SM", "-BW"} {
		if y, m, ok := strings.Cut(s, sep); ok && len(m) == 1 {
			s = y + sep + "0" + m
		}
	}
	if s == label {
		return ""
	}
	if _, ok := c.parseCanonical(s); ok {
		return s
	}
	return ""
}

// quoteInput quotes a refused label or date for an error, cut to
// inputEchoBytesMax bytes so that a huge input is never echoed whole.
func quoteInput(s string) string {
	if len(s) <= inputEchoBytesMax {
		return strconv.Quote(s)
	}
	cut := inputEchoBytesMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
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
	case SemiMonthly:
		return c.semiMonthly(fy, i)
	case BiWeekly:
		return c.biWeekly(fy, i)
	}
	p.Month = p.Range
	return p
}

// PeriodCount is the number of periods of frequency f in fiscal year fy:
// 0 for bi-weekly when the calendar has no PayCycleAnchor.
func (c Calendar) PeriodCount(fy int, f Frequency) int {
	switch f {
	case Monthly:
		return 12
	case Quarterly:
		return 4
	case Annual:
		return 1
	case SemiMonthly:
		return semiMonthlyPeriods
	case BiWeekly:
		if c.PayCycleAnchor.IsZero() {
			return 0
		}
		first, last := c.cyclesEndingIn(c.FiscalYearRange(fy))
		return int(last - first + 1)
	}
	return 0
}

// Periods lists every period of frequency f in fiscal year fy, in order.
func (c Calendar) Periods(fy int, f Frequency) []Period {
	n := c.PeriodCount(fy, f)
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
	// WindowPeriod is the pay period itself (for a semi-monthly or
	// bi-weekly plan: the pay cycle).
	WindowPeriod Window = "period"
	// WindowMTD runs from the start of the fiscal month to the period's
	// end; for a bi-weekly period, from the start of the first cycle that
	// ends in the month the period ends in.
	WindowMTD Window = "mtd"
	// WindowQTD runs from the start of the fiscal quarter to the period's end.
	WindowQTD Window = "qtd"
	// WindowYTD runs from the start of the fiscal year to the period's end.
	WindowYTD Window = "ytd"
)

// Windows lists the supported windows in order.
var Windows = []Window{WindowPeriod, WindowMTD, WindowQTD, WindowYTD}

// Window returns the days that window w covers for period p.
func (p Period) Window(w Window) Range {
	switch w {
	case WindowMTD:
		return Range{p.Month.Start, p.End}
	case WindowQTD:
		return Range{p.Quarter.Start, p.End}
	case WindowYTD:
		return Range{p.Year.Start, p.End}
	default:
		return p.Range
	}
}
