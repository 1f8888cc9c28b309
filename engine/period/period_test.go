package period

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		start    int
		label    string
		want     string
		qtd, ytd string
		wantErr  bool
	}{
		{1, "2027-Q1", "2027-01-01..2027-03-31", "2027-01-01..2027-03-31", "2027-01-01..2027-03-31", false},
		{1, "2027-Q4", "2027-10-01..2027-12-31", "2027-10-01..2027-12-31", "2027-01-01..2027-12-31", false},
		{2, "2027-Q1", "2026-02-01..2026-04-30", "2026-02-01..2026-04-30", "2026-02-01..2026-04-30", false},
		{2, "2027-M12", "2027-01-01..2027-01-31", "2026-11-01..2027-01-31", "2026-02-01..2027-01-31", false},
		{1, "2027-M02", "2027-02-01..2027-02-28", "2027-01-01..2027-02-28", "2027-01-01..2027-02-28", false},
		{1, "2028-M02", "2028-02-01..2028-02-29", "2028-01-01..2028-02-29", "2028-01-01..2028-02-29", false},
		{4, "2027", "2026-04-01..2027-03-31", "2026-04-01..2027-03-31", "2026-04-01..2027-03-31", false},
		{1, "2027-Q5", "", "", "", true},
		{1, "2027-M13", "", "", "", true},
		{1, "27-Q1", "", "", "", true},
	} {
		c := Calendar{FiscalYearStartMonth: tc.start}
		p, err := c.Parse(tc.label)
		if tc.wantErr {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", tc.label, p.Range)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.label, err)
		}
		if got := p.Range.String(); got != tc.want {
			t.Errorf("start %d %s: range %s, want %s", tc.start, tc.label, got, tc.want)
		}
		if got := p.Window(WindowQTD).String(); got != tc.qtd {
			t.Errorf("start %d %s: qtd %s, want %s", tc.start, tc.label, got, tc.qtd)
		}
		if got := p.Window(WindowYTD).String(); got != tc.ytd {
			t.Errorf("start %d %s: ytd %s, want %s", tc.start, tc.label, got, tc.ytd)
		}
		if p.Label != tc.label {
			t.Errorf("label %s, want %s", p.Label, tc.label)
		}
	}
}

func TestDateString(t *testing.T) {
	t.Parallel()
	for _, d := range []Date{
		NewDate(2027, 1, 1), NewDate(2027, 12, 31), NewDate(2028, 2, 29), NewDate(1, 1, 1),
		NewDate(0, 6, 15), NewDate(999, 10, 9), NewDate(9999, 12, 31), NewDate(10000, 1, 1),
		NewDate(-1, 3, 4), {},
	} {
		if got, want := d.String(), d.t.Format("2006-01-02"); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	for d := NewDate(2026, 1, 1); d.Before(NewDate(2029, 1, 1)); d = d.AddDays(1) {
		if got, want := d.String(), d.t.Format("2006-01-02"); got != want {
			t.Fatalf("String() = %q, want %q", got, want)
		}
	}
}

// Only canonical labels parse; every near miss is refused with a message
// that gives the canonical forms, and a suggestion when one is obvious.
func TestParseStrict(t *testing.T) {
	t.Parallel()
	forms := "want " + LabelForms
	for _, tc := range []struct {
		label string
		want  string // the error; "" when the label is canonical
	}{
		{"2027", ""},
		{"2027-Q1", ""},
		{"2027-Q4", ""},
		{"2027-M01", ""},
		{"2027-M09", ""},
		{"2027-M10", ""},
		{"2027-M12", ""},
		{"1000-M01", ""},
		{"9999-Q4", ""},
		{"2027-M+1", `period "2027-M+1": ` + forms},
		{"2027-M-1", `period "2027-M-1": ` + forms},
		{"2027-M 1", `period "2027-M 1": ` + forms},
		{"2027-Q5", `period "2027-Q5": ` + forms},
		{"2027-Q9", `period "2027-Q9": ` + forms},
		{"2027-Q0", `period "2027-Q0": ` + forms},
		{"2027-Q01", `period "2027-Q01": ` + forms},
		{"2027-M13", `period "2027-M13": ` + forms},
		{"2027-M00", `period "2027-M00": ` + forms},
		{"2027-M3", `period "2027-M3": ` + forms + `; did you mean "2027-M03"?`},
		{"2027-M003", `period "2027-M003": ` + forms},
		{" 2027-Q1", `period " 2027-Q1": ` + forms + `; did you mean "2027-Q1"?`},
		{"2027-Q1 ", `period "2027-Q1 ": ` + forms + `; did you mean "2027-Q1"?`},
		{"2027-q1", `period "2027-q1": ` + forms + `; did you mean "2027-Q1"?`},
		{"2027-m03", `period "2027-m03": ` + forms + `; did you mean "2027-M03"?`},
		{"+027", `period "+027": ` + forms},
		{"+027-Q1", `period "+027-Q1": ` + forms},
		{"0999", `period "0999": ` + forms},
		{"0999-Q1", `period "0999-Q1": ` + forms},
		{"27-Q1", `period "27-Q1": ` + forms},
		{"20270", `period "20270": ` + forms},
		{"2027-", `period "2027-": ` + forms},
		{"2027Q1", `period "2027Q1": ` + forms},
		{"2027-H1", `period "2027-H1": ` + forms},
		{"2027-Q1-", `period "2027-Q1-": ` + forms},
		{"", `period "": ` + forms},
		{"２０２７", `period "２０２７": ` + forms},
		{strings.Repeat("2027-Q1", 10), `period "2027-Q12027-Q12027-Q12027-Q12027-Q12027-"…: ` + forms},
	} {
		p, err := Calendar{}.Parse(tc.label)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v, want it accepted", tc.label, err)
			} else if p.Label != tc.label {
				t.Errorf("Parse(%q).Label = %q, want the label itself", tc.label, p.Label)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", tc.label, p.Label, tc.want)
		} else if err.Error() != tc.want {
			t.Errorf("Parse(%q) error:\n  %s\nwant:\n  %s", tc.label, err, tc.want)
		}
	}
}

// A huge label or date is never echoed back whole.
func TestParseHugeInputShortError(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("9", 10<<20)
	if _, err := (Calendar{}).Parse(huge); err == nil || len(err.Error()) > 200 {
		t.Fatalf("Parse of a 10 MB label: error of %d bytes, want a short error", len(fmt.Sprint(err)))
	}
	if _, err := ParseDate(huge); err == nil || len(err.Error()) > 200 {
		t.Fatalf("ParseDate of a 10 MB date: error of %d bytes, want a short error", len(fmt.Sprint(err)))
	}
}

// Every period of every frequency formats to a label that parses back to it.
func TestLabelsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, start := range []int{1, 2, 7, 12} {
		c := Calendar{FiscalYearStartMonth: start}
		for _, fy := range []int{1000, 2027, 9999} {
			for _, f := range Frequencies {
				for _, p := range c.Periods(fy, f) {
					got, err := c.Parse(p.Label)
					if err != nil || got != p {
						t.Fatalf("start %d: Parse(%q) = %+v, %v; want %+v", start, p.Label, got, err, p)
					}
				}
			}
		}
	}
}
