package period

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

func TestSemiMonthlyAndBiWeekly(t *testing.T) {
	t.Parallel()
	anchor := MustDate("2027-01-01") // a Friday: cycles 2027-01-01..01-14, 01-15..01-28, …
	for _, tc := range []struct {
		start               int
		anchor              Date
		label               string
		want, mtd, qtd, ytd string
	}{
		{1, Date{}, "2027-SM01", "2027-01-01..2027-01-15", "2027-01-01..2027-01-15", "2027-01-01..2027-01-15", "2027-01-01..2027-01-15"},
		{1, Date{}, "2027-SM02", "2027-01-16..2027-01-31", "2027-01-01..2027-01-31", "2027-01-01..2027-01-31", "2027-01-01..2027-01-31"},
		{1, Date{}, "2028-SM04", "2028-02-16..2028-02-29", "2028-02-01..2028-02-29", "2028-01-01..2028-02-29", "2028-01-01..2028-02-29"},
		{1, Date{}, "2027-SM04", "2027-02-16..2027-02-28", "2027-02-01..2027-02-28", "2027-01-01..2027-02-28", "2027-01-01..2027-02-28"},
		{2, Date{}, "2027-SM24", "2027-01-16..2027-01-31", "2027-01-01..2027-01-31", "2026-11-01..2027-01-31", "2026-02-01..2027-01-31"},
		{1, anchor, "2027-BW01", "2027-01-01..2027-01-14", "2027-01-01..2027-01-14", "2027-01-01..2027-01-14", "2027-01-01..2027-01-14"},
		{1, anchor, "2027-BW03", "2027-01-29..2027-02-11", "2027-01-29..2027-02-11", "2027-01-01..2027-02-11", "2027-01-01..2027-02-11"},
		// 2027-BW26 is 2027-12-17..12-30; 2027-12-31..2028-01-13 ends in 2028.
		// Its month-to-date starts with 2027-11-19..12-02, the first cycle
		// that ends in December; its quarter-to-date with 2027-09-24..10-07.
		{1, anchor, "2027-BW26", "2027-12-17..2027-12-30", "2027-11-19..2027-12-30", "2027-09-24..2027-12-30", "2027-01-01..2027-12-30"},
		{1, anchor, "2028-BW01", "2027-12-31..2028-01-13", "2027-12-31..2028-01-13", "2027-12-31..2028-01-13", "2027-12-31..2028-01-13"},
		// A cycle straddling two months belongs to the month it ends in.
		{1, anchor, "2028-BW03", "2028-01-28..2028-02-10", "2028-01-28..2028-02-10", "2027-12-31..2028-02-10", "2027-12-31..2028-02-10"},
		// Fiscal 2037 has 27 cycle ends: 2037-BW01 (2036-12-19..2037-01-01)
		// straddles the fiscal years and belongs to 2037, where it ends.
		{1, anchor, "2037-BW01", "2036-12-19..2037-01-01", "2036-12-19..2037-01-01", "2036-12-19..2037-01-01", "2036-12-19..2037-01-01"},
		{1, anchor, "2037-BW27", "2037-12-18..2037-12-31", "2037-11-20..2037-12-31", "2037-09-25..2037-12-31", "2036-12-19..2037-12-31"},
	} {
		c := Calendar{FiscalYearStartMonth: tc.start, PayCycleAnchor: tc.anchor}
		p, err := c.Parse(tc.label)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.label, err)
		}
		for _, w := range []struct {
			name      string
			got, want string
		}{
			{"period", p.Range.String(), tc.want},
			{"mtd", p.Window(WindowMTD).String(), tc.mtd},
			{"qtd", p.Window(WindowQTD).String(), tc.qtd},
			{"ytd", p.Window(WindowYTD).String(), tc.ytd},
		} {
			if w.got != w.want {
				t.Errorf("start %d %s: %s %s, want %s", tc.start, tc.label, w.name, w.got, w.want)
			}
		}
	}
}

func TestPayCycleParseErrors(t *testing.T) {
	t.Parallel()
	withAnchor := Calendar{PayCycleAnchor: MustDate("2027-01-01")}
	for _, tc := range []struct {
		c     Calendar
		label string
		want  string
	}{
		{Calendar{}, "2027-BW05", `period "2027-BW05": bi-weekly periods need a pay cycle anchor, and no bi-weekly plan has set one (pay_cycle_anchor)`},
		{withAnchor, "2027-BW27", `period "2027-BW27": fiscal year 2027 has 26 bi-weekly pay cycles (2027-BW01 to 2027-BW26)`},
		{withAnchor, "2027-BW00", `period "2027-BW00": want ` + LabelForms},
		{withAnchor, "2027-SM25", `period "2027-SM25": want ` + LabelForms},
		{withAnchor, "2027-SM00", `period "2027-SM00": want ` + LabelForms},
		{withAnchor, "2027-SM3", `period "2027-SM3": want ` + LabelForms + `; did you mean "2027-SM03"?`},
		{withAnchor, "2027-bw05", `period "2027-bw05": want ` + LabelForms + `; did you mean "2027-BW05"?`},
		{Calendar{}, "2027-bw05", `period "2027-bw05": want ` + LabelForms},
	} {
		_, err := tc.c.Parse(tc.label)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error:\n  %v\nwant:\n  %s", tc.label, err, tc.want)
		}
	}
}

// bwCount counts the days of fiscal year fy on which a cycle ends,
// independently of cyclesEndingIn: the oracle for PeriodCount.
func bwCount(c Calendar, fy int) int {
	n := 0
	y := c.FiscalYearRange(fy)
	for d := y.Start; !d.After(y.End); d = d.AddDays(1) {
		if diff := d.dayNumber() - c.PayCycleAnchor.dayNumber(); ((diff%14)+14)%14 == 13 {
			n++
		}
	}
	return n
}

// Every day lies in exactly one period of each frequency; consecutive
// periods and fiscal years meet without gap or overlap; labels parse back
// and sort in date order; windows nest. For any fiscal year start and any
// bi-weekly anchor.
func TestPayCalendarsProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		c := Calendar{
			FiscalYearStartMonth: rapid.IntRange(1, 12).Draw(t, "start"),
			PayCycleAnchor:       MustDate("2020-01-01").AddDays(rapid.IntRange(-4000, 4000).Draw(t, "anchor")),
		}
		fy := rapid.IntRange(1001, 9998).Draw(t, "fy")
		for _, f := range Frequencies {
			prev := c.Periods(fy-1, f)
			ps := append(prev[len(prev)-1:], c.Periods(fy, f)...)
			ps = append(ps, c.Periods(fy+1, f)[0])
			if f == BiWeekly {
				if n := c.PeriodCount(fy, f); n != bwCount(c, fy) || (n != 26 && n != 27) {
					t.Fatalf("%s: %d cycles in %d, counted %d", f, n, fy, bwCount(c, fy))
				}
			}
			for i, p := range ps {
				if p.End.Before(p.Start) {
					t.Fatalf("%s: empty range %s", p.Label, p.Range)
				}
				if i > 0 {
					q := ps[i-1]
					if q.End.AddDays(1) != p.Start {
						t.Fatalf("%s ends %s but %s starts %s", q.Label, q.End, p.Label, p.Start)
					}
					if q.Label >= p.Label {
						t.Fatalf("labels %s, %s do not sort in date order", q.Label, p.Label)
					}
				}
				again, err := c.Parse(p.Label)
				if err != nil || again != p {
					t.Fatalf("Parse(%q) = %+v, %v; want %+v", p.Label, again, err, p)
				}
				var prevWindow Range
				for j, w := range Windows {
					win := p.Window(w)
					if win.End != p.End || (j > 0 && !win.ContainsRange(prevWindow)) {
						t.Fatalf("%s: window %s = %s does not hold %s", p.Label, w, win, prevWindow)
					}
					prevWindow = win
				}
				if !p.Year.ContainsRange(p.Quarter) || !p.Quarter.ContainsRange(p.Month) || !p.Month.ContainsRange(p.Range) {
					t.Fatalf("%s: %s, month %s, quarter %s, year %s do not nest", p.Label, p.Range, p.Month, p.Quarter, p.Year)
				}
				// Every day of the period is in it and in no other.
				for d := p.Start; !d.After(p.End); d = d.AddDays(1) {
					at, ok := c.PeriodAt(f, d)
					if !ok || at != p {
						t.Fatalf("PeriodAt(%s, %s) = %s, want %s", f, d, at.Label, p.Label)
					}
				}
			}
		}
	})
}

func ExampleCalendar_Parse_biWeekly() {
	c := Calendar{FiscalYearStartMonth: 1, PayCycleAnchor: MustDate("2027-01-01")}
	for _, label := range []string{"2027-BW26", "2028-BW01", "2027-SM04"} {
		p, _ := c.Parse(label)
		fmt.Println(p.Label, p.Range, "ytd", p.Window(WindowYTD))
	}
	// Output:
	// 2027-BW26 2027-12-17..2027-12-30 ytd 2027-01-01..2027-12-30
	// 2028-BW01 2027-12-31..2028-01-13 ytd 2027-12-31..2028-01-13
	// 2027-SM04 2027-02-16..2027-02-28 ytd 2027-01-01..2027-02-28
}

func TestFrequencyOf(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]Frequency{
		"2027": Annual, "2027-Q1": Quarterly, "2027-M03": Monthly, "2027-SM24": SemiMonthly, "2027-BW27": BiWeekly,
		"2027-X1": "", "27": "", "0999-BW01": "", "": "",
	} {
		got, ok := FrequencyOf(label)
		if got != want || ok != (want != "") {
			t.Errorf("FrequencyOf(%q) = %q, %v; want %q", label, got, ok, want)
		}
	}
	// Every label Parse accepts has the frequency of its period.
	c := Calendar{FiscalYearStartMonth: 4, PayCycleAnchor: MustDate("2027-01-08")}
	for _, f := range Frequencies {
		for _, p := range c.Periods(2027, f) {
			if got, _ := FrequencyOf(p.Label); got != f {
				t.Fatalf("FrequencyOf(%q) = %q, want %q", p.Label, got, f)
			}
		}
	}
}
