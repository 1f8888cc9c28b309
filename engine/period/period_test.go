package period

import "testing"

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
