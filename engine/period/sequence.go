package period

// perYear is the number of periods of each frequency in a fiscal year.
var perYear = map[Frequency]int{Monthly: 12, Quarterly: 4, Annual: 1}

// Ordinal numbers the periods of one frequency consecutively across
// fiscal years: the period after p has p.Ordinal()+1, also across a
// year end. Balances carried from period to period (draws, deficits)
// count periods with it.
func (p Period) Ordinal() int {
	return p.FiscalYear*perYear[p.Frequency] + p.Index - 1
}

// Shift returns the period n periods after p (before it when n < 0), of
// p's frequency.
func (c Calendar) Shift(p Period, n int) Period {
	per := perYear[p.Frequency]
	o := p.Ordinal() + n
	return c.period(o/per, p.Frequency, o%per+1)
}

// Containing returns the period of frequency f that holds day d.
func (c Calendar) Containing(d Date, f Frequency) Period {
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
