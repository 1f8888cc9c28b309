package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// rollupPlan credits managers two levels up and directors wherever they
// are up the chain, measures the team's bookings, pays 1% of the roll-up
// credit one level up and 0.5% two levels up, and 5% of the reports' (two levels down)
// commission on plan ae as an override.
const rollupPlan = `kind: comp_plan
name: mgr
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role in ["Manager", "Director"]
credit:
  - name: two-up
    to: managers
    levels: 2
  - name: directors
    to: managers
    roles: [Director]
    when: txn.type == "new"
measures:
  - name: team
    where: credit.rule == "two-up"
components:
  - name: rollup_pay
    type: per_credit
    where: credit.rule == "two-up"
    amount: "credit.amount * (credit.level == 1 ? 0.01 : 0.005)"
  - name: override
    type: override
    of: team_payouts
    plan: ae
    components: [commission]
    levels: 2
    rate: 0.05
`

func version(person, manager, role, from string) facts.Reporting {
	r := facts.Reporting{Person: person, Manager: manager, Role: role}
	if from != "" {
		r.From = period.MustDate(from)
	}
	return r
}

// org: ae-1 → m-1 → d-1 → vp-1 (all year); ae-2 moves from m-1 to m-2
// on 2027-05-01; m-2 → d-1.
func org() []facts.Reporting {
	return []facts.Reporting{
		version("ae-1", "m-1", "AE", ""),
		version("ae-2", "m-1", "AE", ""),
		version("ae-2", "m-2", "AE", "2027-05-01"),
		version("m-1", "d-1", "Manager", ""),
		version("m-2", "d-1", "Manager", ""),
		version("d-1", "vp-1", "Director", ""),
		version("vp-1", "", "Director", ""),
	}
}

func orgPeople() []facts.Person {
	return []facts.Person{
		{ID: "ae-1", Role: "AE", Manager: "m-1"}, {ID: "ae-2", Role: "AE", Manager: "m-2"},
		{ID: "m-1", Role: "Manager", Manager: "d-1"}, {ID: "m-2", Role: "Manager", Manager: "d-1"},
		{ID: "d-1", Role: "Director", Manager: "vp-1"}, {ID: "vp-1", Role: "Director"},
	}
}

func TestRollupCredit(t *testing.T) {
	plan := compPlan(t, rollupPlan)
	in := engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: orgPeople(), Hierarchy: org(),
		Transactions: []facts.Transaction{
			txn("T1", "2027-04-10", "new", "ae-1", "1000"),
			txn("T2", "2027-04-20", "new", "ae-2", "2000"),   // ae-2 under m-1 then
			txn("T3", "2027-05-02", "upsell", "ae-2", "300"), // under m-2 from May
		}}
	res, err := engine.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Credits {
		got = append(got, fmt.Sprintf("%s %s %s L%d %s", c.Person, c.TxnID, c.Rule, c.Level, c.Amount))
	}
	want := []string{
		// d-1 is two up from every AE (two-up) and the first director up
		// (directors, new deals only).
		"d-1 T1 directors L2 1000", "d-1 T1 two-up L2 1000",
		"d-1 T2 directors L2 2000", "d-1 T2 two-up L2 2000",
		"d-1 T3 two-up L2 300",
		"m-1 T1 two-up L1 1000", "m-1 T2 two-up L1 2000",
		"m-2 T3 two-up L1 300",
		// vp-1 is three up: only the directors rule reaches it.
		"vp-1 T1 directors L3 1000", "vp-1 T2 directors L3 2000",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("credits:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tt := range []struct {
		person string
		want   string
	}{{"m-1", "30"}, {"m-2", "3"}, {"d-1", "16.5"}, {"vp-1", "0"}} {
		for _, p := range res.Payouts {
			if p.Person == tt.person && p.Component == "rollup_pay" && !p.Amount.Equal(d(tt.want)) {
				t.Errorf("%s rollup_pay = %s, want %s", tt.person, p.Amount, tt.want)
			}
		}
	}
}

func TestOverrideOnTeamPayouts(t *testing.T) {
	plan := compPlan(t, rollupPlan)
	team := []facts.TeamPayout{
		{Person: "ae-1", Plan: "ae", Component: "commission", Amount: d("1000")},
		{Person: "ae-1", Plan: "ae", Component: "spiff", Amount: d("999")}, // not named
		{Person: "ae-2", Plan: "ae", Component: "commission", Amount: d("2000.10")},
		{Person: "ae-2", Plan: "other", Component: "commission", Amount: d("5")}, // other plan
		{Person: "m-1", Plan: "ae", Component: "commission", Amount: d("100")},   // a manager paid on ae too
	}
	in := engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: orgPeople(), Hierarchy: org(), TeamPayouts: team}
	res, err := engine.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]engine.Payout{}
	for _, p := range res.Payouts {
		if p.Component == "override" {
			got[p.Person] = p
		}
	}
	// As of 2027-06-30 ae-2 reports to m-2. d-1 is two levels above the
	// AEs and one above m-1.
	for _, tt := range []struct {
		person, amount string
		team           []string
	}{
		{"m-1", "50", []string{"ae-1 L1 1000"}},
		{"m-2", "100.01", []string{"ae-2 L1 2000.1"}}, // 2000.10 × 5% = 100.005 → 100.01
		{"d-1", "155.01", []string{"ae-1 L2 1000", "ae-2 L2 2000.1", "m-1 L1 100"}},
		// vp-1 is three levels above the AEs (beyond levels: 2) and two
		// above m-1: 5% × 100.
		{"vp-1", "5", []string{"m-1 L2 100"}},
	} {
		p := got[tt.person]
		var lines []string
		for _, l := range p.Trace.Team {
			lines = append(lines, fmt.Sprintf("%s L%d %s", l.Person, l.Level, l.Amount))
		}
		if !p.Amount.Equal(d(tt.amount)) || strings.Join(lines, ",") != strings.Join(tt.team, ",") {
			t.Errorf("%s override = %s from %v, want %s from %v", tt.person, p.Amount, lines, tt.amount, tt.team)
		}
		if p.Trace.Rate == nil || !p.Trace.Rate.Equal(d("0.05")) {
			t.Errorf("%s override trace rate = %v", tt.person, p.Trace.Rate)
		}
	}
}

func TestManagerCycleIsAnError(t *testing.T) {
	plan := compPlan(t, rollupPlan)
	hier := []facts.Reporting{
		version("ae-1", "m-1", "AE", ""),
		version("m-1", "d-1", "Manager", ""),
		version("m-1", "ae-1", "Manager", "2027-05-01"), // ae-1 → m-1 → ae-1 from May
		version("d-1", "", "Director", ""),
	}
	people := []facts.Person{{ID: "m-1", Role: "Manager"}, {ID: "d-1", Role: "Director"}}
	for _, tt := range []struct {
		name string
		in   engine.Input
	}{
		{"roll-up", engine.Input{Transactions: []facts.Transaction{txn("T1", "2027-05-02", "upsell", "ae-1", "10")}}},
		{"override", engine.Input{TeamPayouts: []facts.TeamPayout{{Person: "ae-1", Plan: "ae", Component: "commission", Amount: d("1")}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Plan, in.Period, in.People, in.Hierarchy = plan, quarter(t, "2027-Q2"), people, hier
			_, err := engine.Compute(in)
			if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), "manager cycle ae-1 → m-1 → ae-1") {
				t.Fatalf("err = %v, want a manager cycle naming ae-1 and m-1", err)
			}
		})
	}
	// Before May there is no cycle.
	in := engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: people, Hierarchy: hier,
		Transactions: []facts.Transaction{txn("T1", "2027-04-02", "upsell", "ae-1", "10")}}
	if _, err := engine.Compute(in); err != nil {
		t.Fatalf("April deal: %v", err)
	}
}

// TestRollupIsOrderAndBatchIndependent: for random effective-dated
// hierarchies, deals and team payouts, computing managers in two batches
// (each given only its own people, and the hierarchy, deals and team
// payouts of everyone, as calc gives them) gives each person exactly the
// lines of one batch of everyone, whatever the order of the inputs.
func TestRollupIsOrderAndBatchIndependent(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, rollupPlan)
	q2 := quarter(t, "2027-Q2")
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 20).Draw(t, "people")
		var people []facts.Person
		var hier []facts.Reporting
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("p%02d", i)
		}
		for i, id := range ids {
			role := rapid.SampledFrom([]string{"AE", "AE", "Manager", "Director"}).Draw(t, "role")
			// Managers have lower ids, so no day has a cycle.
			mgr := func() string {
				if i == 0 || rapid.IntRange(0, 4).Draw(t, "top") == 0 {
					return ""
				}
				return ids[rapid.IntRange(0, i-1).Draw(t, "manager")]
			}
			m := mgr()
			hier = append(hier, facts.Reporting{Person: id, Manager: m, Role: role})
			if rapid.Bool().Draw(t, "moves") {
				m2 := mgr()
				hier = append(hier, facts.Reporting{Person: id, Manager: m2, Role: role, From: period.MustDate("2027-01-01").AddDays(rapid.IntRange(0, 200).Draw(t, "move day"))})
				m = m2
			}
			people = append(people, facts.Person{ID: id, Role: role, Manager: m})
		}
		var txns []facts.Transaction
		for i := range rapid.IntRange(0, 60).Draw(t, "txns") {
			txns = append(txns, facts.Transaction{
				ID:     fmt.Sprintf("T%03d", i),
				Date:   period.MustDate("2027-01-01").AddDays(rapid.IntRange(0, 200).Draw(t, "day")),
				Type:   rapid.SampledFrom([]string{"new", "upsell"}).Draw(t, "type"),
				Owner:  rapid.SampledFrom(append(ids, "outsider")).Draw(t, "owner"),
				Amount: decimal.New(rapid.Int64Range(-100_000, 10_000_000).Draw(t, "cents"), -2),
			})
		}
		var team []facts.TeamPayout
		for _, id := range ids {
			for _, comp := range []string{"commission", "spiff"} {
				if rapid.Bool().Draw(t, "paid") {
					team = append(team, facts.TeamPayout{Person: id, Plan: "ae", Component: comp, Amount: decimal.New(rapid.Int64Range(0, 1_000_000).Draw(t, "paid cents"), -2)})
				}
			}
		}
		in := engine.Input{Plan: plan, Period: q2, People: people, Hierarchy: hier, Transactions: txns, TeamPayouts: team}
		res, err := engine.Compute(in)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		want := canonical(t, res)
		for _, c := range res.Credits {
			want[c.Person] = append(want[c.Person], fmt.Sprintf("level %s %s %d", c.TxnID, c.Rule, c.Level))
		}

		shuffled := in
		shuffled.People = rapid.Permutation(people).Draw(t, "people order")
		shuffled.Hierarchy = rapid.Permutation(hier).Draw(t, "hierarchy order")
		shuffled.Transactions = rapid.Permutation(txns).Draw(t, "transaction order")
		shuffled.TeamPayouts = rapid.Permutation(team).Draw(t, "team order")
		var batches [2][]facts.Person
		for _, p := range shuffled.People {
			b := rapid.IntRange(0, 1).Draw(t, "batch")
			batches[b] = append(batches[b], p)
		}
		merged := map[string][]string{}
		for _, batch := range batches {
			part := shuffled
			part.People = batch
			r, err := engine.Compute(part)
			if err != nil {
				t.Fatalf("Compute, batch: %v", err)
			}
			got := canonical(t, r)
			for _, c := range r.Credits {
				got[c.Person] = append(got[c.Person], fmt.Sprintf("level %s %s %d", c.TxnID, c.Rule, c.Level))
			}
			for person, lines := range got {
				merged[person] = lines
			}
		}
		if diff := firstDifference(merged, want); diff != "" {
			t.Fatalf("two batches give another result: %s", diff)
		}
	})
}

// The plan's checks: each mistake is an error at its line.
func TestRollupPlanErrors(t *testing.T) {
	base := rollupPlan
	for _, tt := range []struct {
		name, from, to, want string
	}{
		{"levels and roles", "    levels: 2\n", "    levels: 2\n    roles: [Manager]\n", "give levels or roles, not both"},
		{"neither", "    levels: 2\n", "", "to: managers needs levels"},
		{"levels on owner", "  - name: two-up\n    to: managers\n", "  - name: two-up\n    to: owner\n", `key "levels" applies only to credit rules with to: managers`},
		{"levels too deep", "    levels: 2\n", "    levels: 21\n", "want a whole number from 1 to 20"},
		{"own plan", "    plan: ae\n", "    plan: mgr\n", "not from plan \"mgr\" itself"},
		{"no components", "    components: [commission]\n", "", `missing required key "components"`},
		{"rate over 1", "    rate: 0.05\n", "    rate: 5\n", "want a fraction from 0 to 1"},
		{"amount on override", "    rate: 0.05\n", "    rate: 0.05\n    amount: 1\n", `key "amount" does not apply to override components`},
		{"rate on formula", "    rate: 0.05\n", "    rate: 0.05\n  - name: f\n    type: formula\n    amount: 1\n    rate: 0.1\n", `key "rate" applies only to override components`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(base, tt.from, tt.to, 1)
			if src == base {
				t.Fatal("replacement did not apply")
			}
			_, diags := plans.Load("plan.yaml", []byte(src))
			if !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("diagnostics:\n%v\nwant one containing %q", diags, tt.want)
			}
		})
	}
}

// BenchmarkComputeRollup runs the roll-up plan (two levels, and to every
// Director up the chain) over the realistic facts, 100 AEs under 10
// managers under 2 directors, with everyone's hierarchy and 100,000
// transactions, and reports the cost per transaction.
func BenchmarkComputeRollup(b *testing.B) {
	const nPeople, nTxns = 100, 100_000
	people, txns := realisticFacts(1, nPeople, nTxns)
	var hier []facts.Reporting
	for i := range people {
		p := &people[i]
		p.Manager = fmt.Sprintf("m-%d", i%10)
		hier = append(hier, facts.Reporting{Person: p.ID, Manager: p.Manager, Role: p.Role})
	}
	for i := range 10 {
		m := facts.Person{ID: fmt.Sprintf("m-%d", i), Role: "Manager", Manager: fmt.Sprintf("d-%d", i%2)}
		people = append(people, m)
		hier = append(hier, facts.Reporting{Person: m.ID, Manager: m.Manager, Role: m.Role})
	}
	for i := range 2 {
		people = append(people, facts.Person{ID: fmt.Sprintf("d-%d", i), Role: "Director"})
		hier = append(hier, facts.Reporting{Person: fmt.Sprintf("d-%d", i), Role: "Director"})
	}
	in := engine.Input{Plan: compPlan(b, rollupPlan), Period: quarter(b, "2027-Q2"), People: people, Transactions: txns, Hierarchy: hier}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := engine.Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N) * nTxns
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/txn")
	b.ReportMetric(n/b.Elapsed().Seconds(), "txn/s")
}

// TestManagerCycleDeepChain: on a chain longer than climb scans (where it
// indexes the people met instead), a cycle is found and named from where
// it starts, and a chain without one is climbed to its top.
func TestManagerCycleDeepChain(t *testing.T) {
	plan := compPlan(t, rollupPlan)
	const depth = 40
	id := func(i int) string { return fmt.Sprintf("m-%02d", i) }
	hier := []facts.Reporting{version("ae-1", id(1), "AE", "")}
	people := []facts.Person{{ID: "d-1", Role: "Director"}}
	for i := 1; i < depth; i++ {
		hier = append(hier, version(id(i), id(i+1), "Manager", ""))
		people = append(people, facts.Person{ID: id(i), Role: "Manager"})
	}
	hier = append(hier, version(id(depth), "d-1", "Manager", ""), version("d-1", "", "Director", ""),
		version(id(depth), id(30), "Manager", "2027-05-01")) // m-30 → … → m-40 → m-30 from May
	people = append(people, facts.Person{ID: id(depth), Role: "Manager"})
	var cycle []string
	for i := 30; i <= depth; i++ {
		cycle = append(cycle, id(i))
	}
	want := "manager cycle " + strings.Join(cycle, " → ") + " → m-30 as of 2027-05-02"
	in := engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: people, Hierarchy: hier,
		Transactions: []facts.Transaction{txn("T1", "2027-05-02", "new", "ae-1", "10")}} // "new": the directors rule climbs the whole chain
	if _, err := engine.Compute(in); !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	in.Transactions = []facts.Transaction{txn("T1", "2027-04-02", "new", "ae-1", "10")}
	res, err := engine.Compute(in)
	if err != nil {
		t.Fatalf("April deal: %v", err)
	}
	credited := map[string]bool{}
	for _, c := range res.Credits {
		credited[c.Person+"/"+c.Rule] = true
	}
	if !credited["d-1/directors"] {
		t.Fatalf("April deal: the director at the top of the %d-deep chain is not credited: %v", depth, credited)
	}
}
