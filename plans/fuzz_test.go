package plans_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/plans"
)

// fuzzName is the name FuzzLoad loads its input as. A plan test's plan:
// and targets: resolve next to it, so the example plan tests' plan.yaml
// and targets.yaml name the valid fixtures in testdata/diagnostics.
const fuzzName = "testdata/diagnostics/fuzz.yaml"

// fuzzSeeds are hand-written inputs that reach what the examples do not:
// every component and step type, flow and block styles, anchors, syntax
// errors and odd documents. More seeds, and every crasher found so far,
// are under testdata/fuzz/FuzzLoad.
var fuzzSeeds = []string{
	"",
	"null\n",
	"[]\n",
	"kind: [comp_plan]\n",
	"kind: plan_test\nplan: fuzz.yaml\ncases: []\n",
	"kind: comp_plan\nname: p\n---\nkind: target_plan\n",
	"a: &a {kind: comp_plan}\nb: *a\n<<: *a\n",
	"kind: comp_plan\nname: x\n\tversion: 1\n",
	`kind: comp_plan
name: all-types
version: "1"
effective: {from: 2027-01-01, to: 2027-12-31}
currency: JPY
period: monthly
fiscal_year_start: 4
targets: t
eligibility: person.role in ["AE", "AM"]
credit:
  - {name: owner, to: owner, when: 'txn.type == ''new'''}
  - name: splits
    to: splits
    amount: >
      txn.amount *
      0.5
  - {name: overlay, to: territory}
measures:
  - {name: bookings, window: qtd, where: credit.rule == "owner"}
  - {name: deals, aggregate: count, window: ytd}
components:
  - name: commission
    type: rate_table
    measure: bookings
    key: attainment
    mode: retroactive
    tiers: [{from: 0, to: 0.5, rate: 0}, {from: 0.5, to: 1, rate: 0.1}, {from: 1, rate: 0.15}]
    gate: measure.deals >= 3
    cap: "target.bookings * 0.2"
  - name: spiff
    type: per_credit
    where: txn.product == "widget"
    amount: |
      min(credit.amount * 0.01,
          500)
    cumulative: true
  - name: kicker
    type: formula
    amount: "attainment.bookings > 1.2 ? payout.commission * 0.1 : 0"
steps:
  - {name: cap, type: cap_total, amount: 100000}
`,
	`kind: target_plan
name: t
version: "1"
period: monthly
fiscal_year_start: 4
targets:
  - {person: ae-1, measure: bookings, annual: 1200000, fiscal_year: 2027,
     seasonality: [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.1]}
  - role: AE
    measure: bookings
    periods: {2027-M01: 100000, 2027-M02: 1_000.50}
`,
	`kind: plan_test
plan: plan.yaml
targets: targets.yaml
cases:
  - name: splits, prior and totals
    period: 2027-Q1
    people:
      - {id: ae-1, role: AE, territory: west, manager: m-1, currency: USD, attrs: {tier: gold}}
      - {id: ae-2, role: AE}
    transactions:
      - id: T1
        date: 2027-01-10
        owner: ae-1
        amount: 1000.25
        type: new
        splits: [{person: ae-1, share: 0.5}, {person: ae-2, share: 0.5}]
        attrs: {term: annual}
    prior:
      - {person: ae-1, component: bonus, amount: 10}
    expect:
      payouts: {ae-1: {commission: 0, bonus: 0}}
      attainment: {ae-1: {bookings: 0.001}}
      totals: {ae-1: 0, ae-2: 0}
`,
}

// countLines counts the lines of src as yaml.v3 does: CR LF, CR, LF, NEL,
// LS and PS each end a line.
func countLines(src []byte) int {
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

// loadTimeMax is the longest FuzzLoad lets one Load run.
const loadTimeMax = 10 * time.Second

// FuzzLoad loads arbitrary bytes as a plan file. Load must never panic;
// every diagnostic must name the file and a line and column; the same
// input must give the same diagnostics; and a file without diagnostics
// must be exactly the kind it says.
func FuzzLoad(f *testing.F) {
	err := filepath.WalkDir("../examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f.Add(src)
		}
		return nil
	})
	if err != nil {
		f.Fatalf("reading the examples: %v", err)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, src []byte) {
		// The fuzzer has no timeout of its own: a hang would stall it
		// silently. A crash saves the input to testdata/fuzz/FuzzLoad.
		watchdog := time.AfterFunc(loadTimeMax, func() {
			panic(fmt.Sprintf("Load took more than %v on %q", loadTimeMax, src))
		})
		defer watchdog.Stop()
		file, diags := plans.Load(fuzzName, src)
		if file == nil {
			t.Fatal("Load returned a nil file")
		}
		lines := countLines(src)
		for _, d := range diags {
			if d.File != fuzzName || d.Line < 1 || d.Line > lines || d.Column < 1 {
				t.Errorf("diagnostic at %s:%d:%d, want %s, a line from 1 to %d and a column from 1: %s", d.File, d.Line, d.Column, fuzzName, lines, d.Message)
			}
		}
		text := diags.Error()
		if _, again := plans.Load(fuzzName, src); again.Error() != text {
			t.Errorf("a second Load gave other diagnostics:\n%s\nthe first:\n%s", again.Error(), text)
		}
		if len(diags) > 0 {
			return
		}
		var set []string
		if file.Comp != nil {
			set = append(set, plans.KindCompPlan)
		}
		if file.Target != nil {
			set = append(set, plans.KindTargetPlan)
		}
		if file.Test != nil {
			set = append(set, plans.KindPlanTest)
		}
		if file.Settlement != nil {
			set = append(set, plans.KindSettlementPolicy)
		}
		if file.SettlementTest != nil {
			set = append(set, plans.KindSettlementTest)
		}
		if len(set) != 1 || set[0] != file.Kind {
			t.Errorf("no diagnostics, but the file is kind %q with %v loaded", file.Kind, set)
		}
	})
}
