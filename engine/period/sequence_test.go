package period

import "testing"

// Shift and Ordinal step through semi-monthly and bi-weekly pay periods
// too, across fiscal years (regression: settlement divided by zero on a
// semi-monthly period, and the run's job panicked until its retries ran
// out).
func TestShiftPayCycles(t *testing.T) {
	cal := Calendar{FiscalYearStartMonth: 1, PayCycleAnchor: MustDate("2027-01-01")}
	for _, f := range []Frequency{SemiMonthly, BiWeekly, Monthly} {
		p := cal.Containing(MustDate("2026-11-20"), f)
		for range 60 {
			next := cal.Shift(p, 1)
			if next.Start != p.End.AddDays(1) || next.Ordinal() != p.Ordinal()+1 {
				t.Fatalf("%s: after %s (ordinal %d) comes %s (ordinal %d)", f, p.Label, p.Ordinal(), next.Label, next.Ordinal())
			}
			if back := cal.Shift(next, -1); back.Label != p.Label {
				t.Fatalf("%s: before %s comes %s, want %s", f, next.Label, back.Label, p.Label)
			}
			p = next
		}
	}
}
