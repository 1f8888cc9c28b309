package plans

import (
	"github.com/icomp/icomp/engine/period"
)

// planFrequencies are the values of a comp plan's period key.
var planFrequencies = []string{
	string(period.Monthly), string(period.Quarterly), string(period.Annual),
	string(period.SemiMonthly), string(period.BiWeekly),
}

// payFrequency reads how often the plan pays (period) and, for a
// bi-weekly plan, where its pay cycles fall (pay_cycle_anchor). Call it
// after the targets key is read.
func (r *reader) payFrequency(m *mapping, p *CompPlan) {
	p.Frequency = period.Frequency(m.enum("period", "", planFrequencies...))
	if !m.has("period") {
		m.value("period", true)
	}
	anchor := m.scalar("pay_cycle_anchor", false)
	switch {
	case anchor != nil && p.Frequency != period.BiWeekly && p.Frequency != "":
		r.errorf(anchor, "pay_cycle_anchor: only a biweekly plan has pay cycles; this plan pays %s (remove pay_cycle_anchor, or set period: biweekly)", p.Frequency)
	case anchor != nil:
		d, err := period.ParseDate(anchor.Value)
		if err != nil {
			r.errorf(anchor, "pay_cycle_anchor: %v", err)
			return
		}
		p.Calendar.PayCycleAnchor = d
	case p.Frequency == period.BiWeekly:
		r.errorf(m.keys["period"], "period: a biweekly plan needs pay_cycle_anchor: the first day of any one of its 14-day pay cycles (YYYY-MM-DD)")
	}
	if p.Frequency == period.BiWeekly && p.Targets != "" {
		r.errorf(m.keys["targets"], "targets: a biweekly plan's pay cycles do not line up with a target plan's months, quarters or years, so it cannot have targets; pay it semimonthly or monthly, or drop the attainment measures")
	}
}

// measureWindow reads a measure's window. Month to date needs a plan that
// pays at least monthly: a quarterly plan's month is not defined.
func (r *reader) measureWindow(mm *mapping, p *CompPlan) period.Window {
	w := period.Window(mm.enum("window", string(period.WindowPeriod),
		string(period.WindowPeriod), string(period.WindowMTD), string(period.WindowQTD), string(period.WindowYTD)))
	if w == period.WindowMTD && (p.Frequency == period.Quarterly || p.Frequency == period.Annual) {
		r.errorf(mm.values["window"], "%s.window: mtd (month to date) needs a monthly, semimonthly or biweekly plan; this plan pays %s", mm.what, p.Frequency)
	}
	return w
}
