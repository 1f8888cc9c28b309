package plans

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
)

const targetEntriesMax = 100_000

// TargetPlan is a validated target (quota) plan version: targets per
// person or role, measure and period.
type TargetPlan struct {
	File        string
	Name        string
	Version     string
	Description string
	Hash        string
	Source      []byte
	Frequency   period.Frequency
	Calendar    period.Calendar
	// Proration is how targets are prorated for people employed for part
	// of a target period (ProrationNone, ProrationDays or ProrationMonths).
	Proration string
	Entries   []TargetEntry
}

// TargetEntry is the targets of one person (or of every person with a
// role) for one measure, by period.
type TargetEntry struct {
	Pos     Pos
	Person  string
	Role    string
	Measure string
	// Periods holds one target per period, in period order.
	Periods []PeriodTarget
	// Ramp holds the fractions of the target for a new hire's first
	// target periods, counted from the one holding the hire date; later
	// periods take the whole target. Empty: no ramp.
	Ramp []decimal.Decimal
}

// PeriodTarget is the target for one period.
type PeriodTarget struct {
	Period period.Period
	Amount decimal.Decimal
}

func (r *reader) targetPlan(root *yaml.Node, src []byte) *TargetPlan {
	m := r.mapping(root, "target plan")
	m.value("kind", true)
	tp := &TargetPlan{File: r.file, Source: src, Hash: hashSource(src)}
	tp.Name = m.name("name", true)
	tp.Version = m.str("version", true)
	tp.Description = m.str("description", false)
	tp.Frequency = period.Frequency(m.enum("period", "", string(period.Monthly), string(period.Quarterly), string(period.Annual), string(period.SemiMonthly)))
	if !m.has("period") {
		m.value("period", true)
	}
	tp.Calendar.FiscalYearStartMonth = m.integer("fiscal_year_start", 1, 1, 12)
	tp.Proration = m.enum("proration", ProrationNone, ProrationNone, ProrationDays, ProrationMonths)
	entries := m.list("targets", true)
	m.done()
	if len(entries) > targetEntriesMax {
		r.errorf(root, "target plan: %d entries; the limit is %d", len(entries), targetEntriesMax)
		return tp
	}
	seen := map[string]Pos{}
	for i, n := range entries {
		em := r.mapping(n, fmt.Sprintf("target %d", i+1))
		e := TargetEntry{Pos: r.pos(n)}
		e.Person = em.str("person", false)
		e.Role = em.str("role", false)
		if (e.Person == "") == (e.Role == "") {
			r.errorf(n, "%s: give exactly one of person or role", em.what)
		}
		e.Measure = em.name("measure", true)
		periodsNode := em.value("periods", false)
		annualNode := em.value("annual", false)
		fyNode := em.scalar("fiscal_year", annualNode != nil)
		seasonNode := em.value("seasonality", false)
		seasonNodes := em.list("seasonality", false)
		e.Ramp = r.ramp(em.value("ramp", false), em.list("ramp", false), em.what)
		em.done()
		key := e.Person + "\x00" + e.Role + "\x00" + e.Measure
		if prev, dup := seen[key]; dup && e.Measure != "" {
			r.errorf(n, "%s: %s %s already has targets for measure %q at line %d", em.what, who(e), e.Person+e.Role, e.Measure, prev.Line)
		}
		seen[key] = e.Pos
		switch {
		case periodsNode != nil && annualNode != nil:
			r.errorf(n, "%s: give periods or annual, not both", em.what)
		case periodsNode != nil:
			e.Periods = r.periodTargets(periodsNode, em.what, tp)
		case annualNode != nil:
			e.Periods = r.annualTargets(annualNode, fyNode, seasonNode, seasonNodes, em.what, tp)
		default:
			r.errorf(n, "%s: missing targets; give periods (a target per period label) or annual with fiscal_year", em.what)
		}
		tp.Entries = append(tp.Entries, e)
	}
	return tp
}

// article is "an" before a word starting with a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func who(e TargetEntry) string {
	if e.Person != "" {
		return "person"
	}
	return "role"
}

func (r *reader) periodTargets(n *yaml.Node, what string, tp *TargetPlan) []PeriodTarget {
	if n.Kind != yaml.MappingNode {
		r.errorf(n, "%s.periods: want a mapping of period label to target, such as 2027-Q1: 250000", what)
		return nil
	}
	var out []PeriodTarget
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p, err := tp.Calendar.Parse(k.Value)
		if err != nil {
			r.errorf(k, "%s.periods: %v", what, err)
			continue
		}
		if tp.Frequency != "" && p.Frequency != tp.Frequency {
			r.errorf(k, "%s.periods: %s is %s %s period; this target plan is %s", what, k.Value, article(string(p.Frequency)), p.Frequency, tp.Frequency)
			continue
		}
		amt, ok := r.decimalNode(v, what+".periods."+k.Value)
		if !ok {
			continue
		}
		if amt.Sign() < 0 {
			r.errorf(v, "%s.periods.%s: a target cannot be negative", what, k.Value)
		}
		for _, prev := range out {
			if prev.Period.Label == p.Label {
				r.errorf(k, "%s.periods: %s appears twice", what, p.Label)
			}
		}
		out = append(out, PeriodTarget{Period: p, Amount: amt})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period.Start.Before(out[j].Period.Start) })
	return out
}

func (r *reader) annualTargets(annual, fyNode, seasonNode *yaml.Node, seasons []*yaml.Node, what string, tp *TargetPlan) []PeriodTarget {
	amt, ok := r.decimalNode(annual, what+".annual")
	if !ok || fyNode == nil || tp.Frequency == "" {
		return nil
	}
	p, err := tp.Calendar.Parse(fyNode.Value)
	if err != nil || p.Frequency != period.Annual {
		r.errorf(fyNode, "%s.fiscal_year: want a fiscal year such as 2027, got %q", what, fyNode.Value)
		return nil
	}
	periods := tp.Calendar.Periods(p.FiscalYear, tp.Frequency)
	if len(periods) == 1 {
		if seasonNode != nil {
			r.errorf(seasonNode, "%s.seasonality: an annual target plan has one period; seasonality does not apply", what)
		}
		return []PeriodTarget{{Period: periods[0], Amount: amt}}
	}
	switch {
	case seasonNode == nil:
		r.errorf(annual, "%s: an annual target on a %s plan needs seasonality: %d fractions, one per period, summing to 1", what, tp.Frequency, len(periods))
		return nil
	case seasonNode.Kind != yaml.SequenceNode:
		return nil // reported by list
	case len(seasons) != len(periods):
		r.errorf(seasonNode, "%s.seasonality: %d fractions; a %s plan needs %d, one per period, summing to 1", what, len(seasons), tp.Frequency, len(periods))
		return nil
	}
	sum := decimal.Zero
	out := make([]PeriodTarget, len(periods))
	for i, sn := range seasons {
		f, ok := r.decimalNode(sn, fmt.Sprintf("%s.seasonality[%d]", what, i))
		if !ok {
			return nil
		}
		sum = sum.Add(f)
		out[i] = PeriodTarget{Period: periods[i], Amount: amt.Mul(f)}
	}
	if !sum.Equal(decimal.NewFromInt(1)) {
		r.errorf(seasonNode, "%s.seasonality: fractions sum to %s; want exactly 1", what, sum)
		return nil
	}
	return out
}

// Target returns the target of person (with role) for measure over
// window: the sum of the targets of every target period inside the window.
// A person's own entry wins over the entry for their role. ok is false when
// there is no entry; an error means a target period straddles the window's
// edge, so no exact target exists.
func (tp *TargetPlan) Target(person, role, measure string, window period.Range) (amount decimal.Decimal, ok bool, err error) {
	entry := tp.entry(person, role, measure)
	if entry == nil {
		return decimal.Zero, false, nil
	}
	pts, err := tp.periodsIn(entry, window)
	if err != nil {
		return decimal.Zero, false, err
	}
	sum := decimal.Zero
	for _, pt := range pts {
		sum = sum.Add(pt.Amount)
	}
	return sum, len(pts) > 0, nil
}

// entry finds the entry of person (with role) for measure: the person's
// own, else their role's; nil when there is none.
func (tp *TargetPlan) entry(person, role, measure string) *TargetEntry {
	var entry *TargetEntry
	for i := range tp.Entries {
		e := &tp.Entries[i]
		if e.Measure != measure {
			continue
		}
		if e.Person == person && person != "" {
			return e
		}
		if e.Role != "" && e.Role == role && entry == nil {
			entry = e
		}
	}
	return entry
}

// periodsIn lists the entry's target periods inside window; an error
// means a target period straddles the window's edge.
func (tp *TargetPlan) periodsIn(entry *TargetEntry, window period.Range) ([]PeriodTarget, error) {
	var in []PeriodTarget
	var straddling []string
	for _, pt := range entry.Periods {
		switch {
		case window.ContainsRange(pt.Period.Range):
			in = append(in, pt)
		case window.Overlaps(pt.Period.Range):
			straddling = append(straddling, pt.Period.Label)
		}
	}
	if len(straddling) > 0 {
		return nil, fmt.Errorf("target plan %s: target period %s only partly overlaps %s; target periods must nest inside the plan's measure windows", tp.Name, strings.Join(straddling, ", "), window)
	}
	return in, nil
}
