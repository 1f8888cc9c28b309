package period

// perYear is the number of periods of each frequency in a fiscal year.
// (A fiscal year holds 26 or 27 bi-weekly cycles: they are counted by
// their start day instead.)
var perYear = map[Frequency]int{Monthly: 12, Quarterly: 4, Annual: 1, SemiMonthly: 24}

// Ordinal numbers the periods of one frequency consecutively across
// fiscal years: the period after p has p.Ordinal()+1, also across a
// year end. Balances carried from period to period (draws, deficits)
// count periods with it.
func (p Period) Ordinal() int {
	if p.Frequency == BiWeekly {
		// Consecutive cycles start 14 days apart.
		days := p.Start.t.Unix() / 86400
		return int(floorDiv(days, 14))
	}
	return p.FiscalYear*perYear[p.Frequency] + p.Index - 1
}

// Shift returns the period n periods after p (before it when n < 0), of
// p's frequency.
func (c Calendar) Shift(p Period, n int) Period {
	per, ok := perYear[p.Frequency]
	if !ok {
		for ; n < 0; n++ {
			p = c.Containing(p.Start.AddDays(-1), p.Frequency)
		}
		for ; n > 0; n-- {
			p = c.Containing(p.End.AddDays(1), p.Frequency)
		}
		return p
	}
	o := p.Ordinal() + n
	return c.period(o/per, p.Frequency, o%per+1)
}

// Containing returns the period of frequency f that holds day d.
func (c Calendar) Containing(d Date, f Frequency) Period {
	if p, ok := c.PeriodAt(f, d); ok {
		return p
	}
	fy := d.t.Year()
	if !c.FiscalYearRange(fy).Contains(d) {
		fy++
	}
	for _, p := range c.Periods(fy, f) {
		if p.Contains(d) {
			return p
		}
	}
	panic("invariant: a fiscal year's periods cover every day of it")
}
