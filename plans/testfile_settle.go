package plans

import (
	"fmt"
	"path/filepath"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// KindSettlementTest is the kind of a settlement test file: cases of
// several periods, each with what people earned, expecting what is
// payable and the balances carried (draws, deficits) period by period.
const KindSettlementTest = "settlement_test"

// settlementTestPeriodsMax bounds the periods of one settlement test case.
const settlementTestPeriodsMax = 120

// SettlementTestFile is a settlement test file.
type SettlementTestFile struct {
	File string
	// PolicyPaths are resolved relative to the test file.
	PolicyPaths []string
	Policies    []*SettlementPolicy
	Calendar    period.Calendar
	Cases       []SettlementTestCase
}

// SettlementTestCase is one case: people and a sequence of periods of one
// frequency, settled in order, each opening with the balances the one
// before closed with.
type SettlementTestCase struct {
	Name    string
	Pos     Pos
	People  []SettlementTestPerson
	Periods []SettlementTestPeriod
}

// SettlementTestPerson is a person of a case, with employment dates.
type SettlementTestPerson struct {
	facts.Person
	Hire, Termination period.Date
}

// SettlementTestPeriod is one period of a case.
type SettlementTestPeriod struct {
	Pos    Pos
	Period period.Period
	// Earned are what the plans computed for the period.
	Earned []SettlementTestEarning
	// Adjustments are added as adjustments 1, 2, … of the period.
	Adjustments []SettlementTestAdjustment
	// ExpectPayable is person → payable line subject ("plan/component"
	// for an earning, "draw/POLICY/DRAW", "deficit/USD/carried",
	// "adjustment/N", …) → amount. Every non-zero payable line must be
	// listed.
	ExpectPayable map[string]map[string]Expected
	// ExpectTotals is person → payable total.
	ExpectTotals map[string]Expected
	// ExpectBalances is person → balance subject ("draw/POLICY/DRAW",
	// "deficit/USD") → balance at the end of the period. Every non-zero
	// balance must be listed.
	ExpectBalances map[string]map[string]Expected
}

// SettlementTestEarning is one earned (payout) line.
type SettlementTestEarning struct {
	Person, Plan, Component, EarningCode, Currency string
	Amount                                         decimal.Decimal
}

// SettlementTestAdjustment is one adjustment.
type SettlementTestAdjustment struct {
	Person, EarningCode, Currency, Reason string
	Amount                                decimal.Decimal
}

func (r *reader) settlementTestFile(root *yaml.Node, load func(path string) (*File, Diagnostics)) *SettlementTestFile {
	m := r.mapping(root, "settlement test")
	m.value("kind", true)
	tf := &SettlementTestFile{File: r.file}
	dir := filepath.Dir(r.file)
	policies := m.list("policies", false)
	tf.Calendar.FiscalYearStartMonth = m.integer("fiscal_year_start", 1, 1, 12)
	cases := m.list("cases", true)
	m.done()
	for _, pn := range policies {
		if pn.Kind != yaml.ScalarNode {
			r.errorf(pn, "policies: want paths of settlement policy files, got %s", kindName(pn))
			continue
		}
		path, f := r.referenced(pn, "policy", dir, KindSettlementPolicy, load)
		tf.PolicyPaths = append(tf.PolicyPaths, path)
		if f != nil {
			tf.Policies = append(tf.Policies, f.Settlement)
		}
	}
	if len(cases) > testCasesMax {
		r.errorf(root, "settlement test: %d cases; the limit is %d", len(cases), testCasesMax)
		return tf
	}
	names := map[string]bool{}
	for i, n := range cases {
		c := r.settlementTestCase(n, i, tf)
		if names[c.Name] {
			r.errorf(n, "case %q appears twice", c.Name)
		}
		names[c.Name] = true
		tf.Cases = append(tf.Cases, c)
	}
	return tf
}

func (r *reader) settlementTestCase(n *yaml.Node, i int, tf *SettlementTestFile) SettlementTestCase {
	cm := r.mapping(n, fmt.Sprintf("case %d", i+1))
	c := SettlementTestCase{Pos: r.pos(n)}
	c.Name = cm.str("name", true)
	if c.Name != "" {
		cm.what = fmt.Sprintf("case %q", c.Name)
	}
	people := map[string]bool{}
	for j, pn := range cm.list("people", true) {
		pm := r.mapping(pn, fmt.Sprintf("%s person %d", cm.what, j+1))
		p := SettlementTestPerson{Person: facts.Person{
			ID:        pm.str("id", true),
			Name:      pm.str("name", false),
			Role:      pm.str("role", false),
			Territory: pm.str("territory", false),
			Manager:   pm.str("manager", false),
			Currency:  pm.str("currency", false),
			Attrs:     r.stringMap(pm.value("attrs", false), pm.what+".attrs"),
		}}
		p.Hire = pm.date("hire_date", false)
		p.Termination = pm.date("termination_date", false)
		pm.done()
		if people[p.ID] {
			r.errorf(pn, "%s: person %q appears twice", cm.what, p.ID)
		}
		people[p.ID] = true
		c.People = append(c.People, p)
	}
	periods := cm.list("periods", true)
	cm.done()
	if len(periods) > settlementTestPeriodsMax {
		r.errorf(n, "%s: %d periods; the limit is %d", cm.what, len(periods), settlementTestPeriodsMax)
		return c
	}
	var prev *period.Period
	for j, pn := range periods {
		sp := r.settlementTestPeriod(pn, fmt.Sprintf("%s period %d", cm.what, j+1), tf, people)
		if sp.Period.Label != "" {
			if prev != nil && (sp.Period.Frequency != prev.Frequency || sp.Period.Ordinal() <= prev.Ordinal()) {
				r.errorf(pn, "%s period %d: %s does not come after %s; list periods of one frequency in order", cm.what, j+1, sp.Period.Label, prev.Label)
			}
			p := sp.Period
			prev = &p
		}
		c.Periods = append(c.Periods, sp)
	}
	return c
}

func (r *reader) settlementTestPeriod(n *yaml.Node, what string, tf *SettlementTestFile, people map[string]bool) SettlementTestPeriod {
	m := r.mapping(n, what)
	sp := SettlementTestPeriod{Pos: r.pos(n)}
	if v := m.scalar("period", true); v != nil {
		p, err := tf.Calendar.Parse(v.Value)
		if err != nil {
			r.errorf(v, "%s.period: %v", what, err)
		} else {
			sp.Period = p
			m.what = fmt.Sprintf("%s (%s)", what, p.Label)
		}
	}
	person := func(pm *mapping) string {
		id := pm.str("person", true)
		if id != "" && !people[id] {
			r.errorf(pm.value("person", false), "%s.person: no person %q in this case%s", pm.what, id, peopleHint(people))
		}
		return id
	}
	for j, en := range m.list("earned", false) {
		em := r.mapping(en, fmt.Sprintf("%s earned %d", m.what, j+1))
		e := SettlementTestEarning{Person: person(em), Plan: em.name("plan", true), Component: em.name("component", true)}
		e.EarningCode = em.name("earning_code", false)
		if e.EarningCode == "" {
			e.EarningCode = "COMM"
		}
		e.Currency = em.str("currency", false)
		if e.Currency == "" {
			e.Currency = "USD"
		}
		e.Amount, _ = em.decimal("amount", true)
		em.done()
		sp.Earned = append(sp.Earned, e)
	}
	for j, an := range m.list("adjustments", false) {
		am := r.mapping(an, fmt.Sprintf("%s adjustment %d", m.what, j+1))
		a := SettlementTestAdjustment{Person: person(am), EarningCode: am.name("earning_code", false), Currency: am.str("currency", false), Reason: am.str("reason", false)}
		if a.EarningCode == "" {
			a.EarningCode = "ADJ"
		}
		if a.Currency == "" {
			a.Currency = "USD"
		}
		a.Amount, _ = am.decimal("amount", true)
		am.done()
		sp.Adjustments = append(sp.Adjustments, a)
	}
	if en := m.value("expect", true); en != nil {
		em := r.mapping(en, m.what+".expect")
		sp.ExpectPayable = r.settlementExpect(em.value("payable", false), em.what+".payable", people)
		sp.ExpectBalances = r.settlementExpect(em.value("balances", false), em.what+".balances", people)
		sp.ExpectTotals = r.expectTotals(em.value("totals", false), em.what+".totals", people)
		em.done()
	}
	m.done()
	return sp
}

// settlementExpect reads person → line subject → amount.
func (r *reader) settlementExpect(n *yaml.Node, what string, people map[string]bool) map[string]map[string]Expected {
	if n == nil {
		return nil
	}
	pm := r.mapping(n, what)
	out := map[string]map[string]Expected{}
	for person, kn := range pm.keys {
		if !people[person] {
			r.errorf(kn, "%s: no person %q in this case%s", what, person, peopleHint(people))
		}
		vm := r.mapping(pm.values[person], what+"."+person)
		row := map[string]Expected{}
		for name := range vm.keys {
			if v, ok := r.decimalNode(vm.values[name], vm.what+"."+name); ok {
				row[name] = Expected{Value: v, Pos: r.pos(vm.values[name])}
			}
		}
		out[person] = row
	}
	return out
}
