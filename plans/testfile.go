package plans

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// TestFile is a plan test file: cases of inputs and expected results for one
// plan (and its target plan).
type TestFile struct {
	File string
	// PlanPath and TargetsPath are resolved relative to the test file.
	PlanPath    string
	TargetsPath string
	Plan        *CompPlan
	Targets     *TargetPlan
	// TeamPlans are computed first in each case, for the tested plan's
	// override components (team_plans.go).
	TeamPlans []TeamPlan
	Cases     []TestCase
	// CheckErrors, when set, makes this a test of a deliberately bad
	// plan: the plan check of PlanPath must fail with exactly these
	// problems (see testfile_check.go). Such a file has no cases.
	CheckErrors []ExpectedCheckError
	// CheckDiagnostics are the problems the plan check found in PlanPath,
	// when CheckErrors is set.
	CheckDiagnostics Diagnostics
}

// TestCase is one plan test: given these facts for a period, expect these
// results.
type TestCase struct {
	Name         string
	Pos          Pos
	Period       period.Period
	People       []facts.Person
	Transactions []facts.Transaction
	Prior        []facts.PriorPayout
	// Moves are people's later places in the manager hierarchy
	// (test_moves.go).
	Moves []facts.Reporting
	// Scores are the case's MBO scores for its period.
	Scores []facts.Score
	// FX are the exchange rates of the case (fx.go).
	FX []facts.FXRate
	// ExpectPayouts is person → component → amount, to the cent. Every
	// non-zero payout must be listed.
	ExpectPayouts map[string]map[string]Expected
	// ExpectAttainment is person → measure → attainment, compared at the
	// number of decimal places written.
	ExpectAttainment map[string]map[string]Expected
	// ExpectMeasures is person → measure → value over the measure's
	// window, compared exactly.
	ExpectMeasures map[string]map[string]Expected
	// ExpectTotals is person → total payout.
	ExpectTotals map[string]Expected
	// ExpectDeals is person → per-deal component → deal → amount paid
	// for the deal (see testfile_deals.go).
	ExpectDeals map[string]map[string]map[string]Expected
}

// Expected is an expected number and where it was written.
type Expected struct {
	Value decimal.Decimal
	Pos   Pos
}

const testCasesMax = 1000

func (r *reader) testFile(root *yaml.Node, load func(path string) (*File, Diagnostics)) *TestFile {
	m := r.mapping(root, "plan test")
	m.value("kind", true)
	tf := &TestFile{File: r.file}
	dir := filepath.Dir(r.file)
	planNode := m.scalar("plan", true)
	targetsNode := m.scalar("targets", false)
	checkNode := m.value("expect_check_errors", false)
	cases := m.list("cases", checkNode == nil)
	teamNodes := m.list("team_plans", false)
	m.done()
	if checkNode != nil {
		r.expectCheckErrors(tf, root, planNode, targetsNode, checkNode, cases, load)
		return tf
	}
	if planNode != nil {
		var f *File
		if tf.PlanPath, f = r.referenced(planNode, "plan", dir, KindCompPlan, load); f != nil {
			tf.Plan = f.Comp
		}
	}
	if targetsNode != nil {
		var f *File
		if tf.TargetsPath, f = r.referenced(targetsNode, "targets", dir, KindTargetPlan, load); f != nil {
			tf.Targets = f.Target
		}
	}
	if tf.Plan != nil && tf.Targets != nil {
		if tf.Plan.Targets != tf.Targets.Name {
			r.errorf(targetsNode, "targets: %s is target plan %q, but plan %q names targets %q", targetsNode.Value, tf.Targets.Name, tf.Plan.Name, tf.Plan.Targets)
		}
		if tf.Plan.Calendar.FiscalYearStartMonth != tf.Targets.Calendar.FiscalYearStartMonth {
			r.errorf(targetsNode, "targets: fiscal_year_start %d differs from the plan's %d", tf.Targets.Calendar.FiscalYearStartMonth, tf.Plan.Calendar.FiscalYearStartMonth)
		}
	}
	if tf.Plan != nil && tf.Plan.Targets != "" && targetsNode == nil {
		r.errorf(root, "plan test: plan %q uses targets %q; add targets: with the path of that target plan file", tf.Plan.Name, tf.Plan.Targets)
	}
	r.teamPlans(root, teamNodes, tf, load)
	if len(cases) > testCasesMax {
		r.errorf(root, "plan test: %d cases; the limit is %d", len(cases), testCasesMax)
		return tf
	}
	names := map[string]bool{}
	for i, n := range cases {
		c := r.testCase(n, i, tf)
		if names[c.Name] {
			r.errorf(n, "case %q appears twice", c.Name)
		}
		names[c.Name] = true
		tf.Cases = append(tf.Cases, c)
	}
	return tf
}

// referenced loads the file a plan test names under key; it returns nil
// (after reporting why at n) unless the file is valid and of kind want.
func (r *reader) referenced(n *yaml.Node, key, dir, want string, load func(string) (*File, Diagnostics)) (string, *File) {
	path := resolve(dir, n.Value)
	f, diags := load(path)
	switch {
	case len(diags) == 1 && diags[0].Line <= 0:
		r.errorf(n, "%s: %s: %s", key, n.Value, diags[0].Message)
	case len(diags) > 0:
		r.errorf(n, "%s %s has %d problem(s); run icomp plan check on it", key, n.Value, len(diags))
	case f.Kind != want:
		r.errorf(n, "%s: %s is a %s file, want a %s", key, n.Value, f.Kind, want)
	default:
		return path, f
	}
	return path, nil
}

func (r *reader) testCase(n *yaml.Node, i int, tf *TestFile) TestCase {
	cm := r.mapping(n, fmt.Sprintf("case %d", i+1))
	c := TestCase{Pos: r.pos(n)}
	c.Name = cm.str("name", true)
	if c.Name != "" {
		cm.what = fmt.Sprintf("case %q", c.Name)
	}
	if pn := cm.scalar("period", true); pn != nil && tf.Plan != nil {
		p, err := tf.Plan.Calendar.Parse(pn.Value)
		switch {
		case err != nil:
			r.errorf(pn, "%s.period: %v", cm.what, err)
		case p.Frequency != tf.Plan.Frequency:
			r.errorf(pn, "%s.period: %s is %s %s period; plan %q pays %s", cm.what, pn.Value, article(string(p.Frequency)), p.Frequency, tf.Plan.Name, tf.Plan.Frequency)
		case !tf.Plan.EffectiveIn(p):
			r.errorf(pn, "%s.period: %s (%s) is outside plan %q's effective dates %s", cm.what, pn.Value, p.Range, tf.Plan.Name, tf.Plan.EffectiveText())
		default:
			c.Period = p
		}
	}
	people := map[string]bool{}
	movePos := map[int]Pos{}
	for j, pn := range cm.list("people", true) {
		pm := r.mapping(pn, fmt.Sprintf("%s person %d", cm.what, j+1))
		p := facts.Person{
			ID:        pm.str("id", true),
			Name:      pm.str("name", false),
			Role:      pm.str("role", false),
			Territory: pm.str("territory", false),
			Manager:   pm.str("manager", false),
			Currency:  pm.str("currency", false),
			Attrs:     r.stringMap(pm.value("attrs", false), pm.what+".attrs"),
		}
		for _, mv := range r.personMoves(pm, p) {
			movePos[len(c.Moves)] = r.pos(pn)
			c.Moves = append(c.Moves, mv)
		}
		r.employment(pm, &p)
		pm.done()
		r.checkAttrs(pm.values["attrs"], pm.what+".attrs", tf.Plan, true)
		if people[p.ID] {
			r.errorf(pn, "%s: person %q appears twice", cm.what, p.ID)
		}
		people[p.ID] = true
		c.People = append(c.People, p)
	}
	r.checkMoves(&c, people, movePos)
	txnIDs := map[string]bool{}
	for j, tn := range cm.list("transactions", false) {
		tm := r.mapping(tn, fmt.Sprintf("%s transaction %d", cm.what, j+1))
		t := facts.Transaction{
			ID:        tm.str("id", true),
			Date:      tm.date("date", true),
			Type:      tm.str("type", false),
			Owner:     tm.str("owner", false),
			Territory: tm.str("territory", false),
			Product:   tm.str("product", false),
			Currency:  tm.str("currency", false),
		}
		t.Amount, _ = tm.decimal("amount", true)
		if t.Currency == "" && tf.Plan != nil {
			t.Currency = tf.Plan.Currency
		}
		for k, sn := range tm.list("splits", false) {
			sm := r.mapping(sn, fmt.Sprintf("%s split %d", tm.what, k+1))
			s := facts.Split{Person: sm.str("person", true)}
			s.Share, _ = sm.decimal("share", true)
			sm.done()
			t.Splits = append(t.Splits, s)
		}
		t.Attrs = r.stringMap(tm.value("attrs", false), tm.what+".attrs")
		tm.done()
		r.checkAttrs(tm.values["attrs"], tm.what+".attrs", tf.Plan, false)
		if txnIDs[t.ID] {
			r.errorf(tn, "%s: transaction %q appears twice", cm.what, t.ID)
		}
		txnIDs[t.ID] = true
		c.Transactions = append(c.Transactions, t)
	}
	for j, pn := range cm.list("prior", false) {
		pm := r.mapping(pn, fmt.Sprintf("%s prior %d", cm.what, j+1))
		p := facts.PriorPayout{Person: pm.str("person", true), Component: pm.str("component", true)}
		p.Amount, _ = pm.decimal("amount", true)
		pm.done()
		r.checkPrior(pm, p, people, tf)
		c.Prior = append(c.Prior, p)
	}
	c.Scores = r.caseScores(cm, people, tf)
	c.FX = r.fxRates(cm.list("fx", false), cm.what)
	if en := cm.value("expect", true); en != nil {
		em := r.mapping(en, cm.what+".expect")
		c.ExpectPayouts = r.expectTable(em.value("payouts", false), em.what+".payouts", people, tf, true)
		c.ExpectAttainment = r.expectTable(em.value("attainment", false), em.what+".attainment", people, tf, false)
		c.ExpectMeasures = r.expectTable(em.value("measures", false), em.what+".measures", people, tf, false)
		c.ExpectDeals = r.expectDeals(em.value("deals", false), em.what+".deals", people, tf)
		c.ExpectTotals = r.expectTotals(em.value("totals", false), em.what+".totals", people)
		em.done()
	}
	cm.done()
	return c
}

// expectTotals reads person → total (nil when n is nil); every person
// must be one of the case's.
func (r *reader) expectTotals(n *yaml.Node, what string, people map[string]bool) map[string]Expected {
	if n == nil {
		return nil
	}
	tm := r.mapping(n, what)
	out := map[string]Expected{}
	for k, kn := range tm.keys {
		if !people[k] {
			r.errorf(kn, "%s: no person %q in this case%s", tm.what, k, peopleHint(people))
		}
		if v, ok := r.decimalNode(tm.values[k], tm.what+"."+k); ok {
			out[k] = Expected{Value: v, Pos: r.pos(tm.values[k])}
		}
	}
	return out
}

// expectTable reads person → (component or measure) → number.
func (r *reader) expectTable(n *yaml.Node, what string, people map[string]bool, tf *TestFile, payouts bool) map[string]map[string]Expected {
	if n == nil {
		return nil
	}
	pm := r.mapping(n, what)
	out := map[string]map[string]Expected{}
	var known []string
	if tf.Plan != nil {
		if payouts {
			for _, c := range tf.Plan.Components {
				known = append(known, c.Name)
			}
			for _, s := range tf.Plan.Steps {
				known = append(known, s.Name)
			}
			known = append(known, tf.Plan.ClawbackLines()...)
			known = append(known, tf.Plan.HoldLines()...)
		} else {
			for _, m := range tf.Plan.Measures {
				known = append(known, m.Name)
			}
		}
	}
	sort.Strings(known)
	for person, kn := range pm.keys {
		if !people[person] {
			r.errorf(kn, "%s: no person %q in this case%s", what, person, peopleHint(people))
		}
		vm := r.mapping(pm.values[person], what+"."+person)
		row := map[string]Expected{}
		for name, nn := range vm.keys {
			if tf.Plan != nil && !contains(known, name) {
				kind := "measure"
				if payouts {
					kind = "component or step"
				}
				r.errorf(nn, "%s: plan %q has no %s %q%s", vm.what, tf.Plan.Name, kind, name, didYouMean(name, known))
				continue
			}
			if v, ok := r.decimalNode(vm.values[name], vm.what+"."+name); ok {
				row[name] = Expected{Value: v, Pos: r.pos(vm.values[name])}
			}
		}
		out[person] = row
	}
	return out
}

// resolve is path relative to dir, unless it is absolute: filepath.Join
// would turn /plans/plan.yaml into dir/plans/plan.yaml.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(dir, path)
}

// didYouMean is "; did you mean X?" for the known word closest to word,
// or "; known: A, B" when none is close, or "" when nothing is known.
func didYouMean(word string, known []string) string {
	if sug := rules.Suggest(word, known); sug != "" {
		return fmt.Sprintf("; did you mean %q?", sug)
	}
	if len(known) == 0 {
		return ""
	}
	return "; known: " + strings.Join(known, ", ")
}

// peopleHint lists the people of a case, for a message about a person the
// case does not list. Person ids are short codes (ae-1, ae-2), too alike
// for a "did you mean".
func peopleHint(people map[string]bool) string {
	ids := make([]string, 0, len(people))
	for id := range people {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return "; the case lists no people"
	}
	sort.Strings(ids)
	const shown = 10
	more := ""
	if len(ids) > shown {
		more = fmt.Sprintf(" and %d more", len(ids)-shown)
		ids = ids[:shown]
	}
	return "; the case lists " + strings.Join(ids, ", ") + more
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (r *reader) stringMap(n *yaml.Node, what string) map[string]string {
	if n == nil {
		return nil
	}
	m := r.mapping(n, what)
	out := make(map[string]string, len(m.keys))
	for k, v := range m.values {
		if v.Kind != yaml.ScalarNode {
			r.errorf(v, "%s.%s: want a single value, got %s", what, k, kindName(v))
			continue
		}
		out[k] = v.Value
	}
	return out
}
