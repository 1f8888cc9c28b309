// Package plantest runs plan test files: each case's facts go through the
// engine and the results are compared with the expected payouts (to the
// cent) and attainment (at the places written). `icomp plan test` and
// `go test ./examples/...` both use it.
package plantest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
)

// CaseResult is the outcome of one test case.
type CaseResult struct {
	File string
	Name string
	Pos  plans.Pos
	// Failures lists each mismatch; empty means the case passed.
	Failures []string
}

// Passed reports whether the case passed.
func (c CaseResult) Passed() bool { return len(c.Failures) == 0 }

// Run runs every case of a loaded test file.
func Run(tf *plans.TestFile) []CaseResult {
	if tf.CheckErrors != nil {
		return []CaseResult{checkErrors(tf)}
	}
	out := make([]CaseResult, 0, len(tf.Cases))
	for _, tc := range tf.Cases {
		out = append(out, RunCase(tf, tc))
	}
	return out
}

// RunCase runs one case.
func RunCase(tf *plans.TestFile, tc plans.TestCase) CaseResult {
	cr := CaseResult{File: tf.File, Name: tc.Name, Pos: tc.Pos}
	fx, err := facts.NewFXRates(tc.FX)
	if err != nil {
		cr.Failures = append(cr.Failures, err.Error())
		return cr
	}
	team, err := teamPayouts(tf, tc)
	if err != nil {
		cr.Failures = append(cr.Failures, err.Error())
		return cr
	}
	res, err := engine.Compute(engine.Input{
		Plan: tf.Plan, Targets: tf.Targets, Period: tc.Period,
		People: tc.People, Transactions: tc.Transactions, Prior: tc.Prior, Scores: tc.Scores, FX: fx,
		TeamPayouts: team, Hierarchy: tc.Hierarchy(),
	})
	if err != nil {
		cr.Failures = append(cr.Failures, fmt.Sprintf("calculation failed: %v", err))
		return cr
	}
	got := map[string]map[string]decimal.Decimal{}
	for _, p := range res.Payouts {
		if got[p.Person] == nil {
			got[p.Person] = map[string]decimal.Decimal{}
		}
		got[p.Person][p.Component] = p.Amount
	}
	for _, person := range sortedKeys(tc.ExpectPayouts) {
		for _, comp := range sortedKeys(tc.ExpectPayouts[person]) {
			want := tc.ExpectPayouts[person][comp]
			g, ok := got[person][comp]
			if !ok {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: payout %s / %s: got no line (is the person eligible?), want %s", want.Pos, person, comp, want.Value))
				continue
			}
			if !g.Equal(want.Value) {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: payout %s / %s: got %s, want %s (off by %s)", want.Pos, person, comp, g, want.Value, g.Sub(want.Value)))
			}
		}
	}
	// Every non-zero payout must be expected, so a test cannot pass while
	// the plan pays someone it should not.
	for _, person := range sortedKeys(got) {
		for _, comp := range sortedKeys(got[person]) {
			if _, ok := tc.ExpectPayouts[person][comp]; !ok && !got[person][comp].IsZero() {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: payout %s / %s: got %s, which the case does not expect; add it under expect.payouts", tc.Pos, person, comp, got[person][comp]))
			}
		}
	}
	for _, person := range sortedKeys(tc.ExpectTotals) {
		want := tc.ExpectTotals[person]
		if g := res.TotalFor(person); !g.Equal(want.Value) {
			cr.Failures = append(cr.Failures, fmt.Sprintf("%s: total %s: got %s, want %s", want.Pos, person, g, want.Value))
		}
	}
	cr.Failures = append(cr.Failures, measureFailures(tc, res)...)
	cr.Failures = append(cr.Failures, checkDeals(tc, res)...)
	att := map[string]map[string]engine.Attainment{}
	for _, a := range res.Attainment {
		if att[a.Person] == nil {
			att[a.Person] = map[string]engine.Attainment{}
		}
		att[a.Person][a.Measure] = a
	}
	for _, person := range sortedKeys(tc.ExpectAttainment) {
		for _, measure := range sortedKeys(tc.ExpectAttainment[person]) {
			want := tc.ExpectAttainment[person][measure]
			a, ok := att[person][measure]
			if !ok {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: attainment %s / %s: no target, so no attainment; want %s", want.Pos, person, measure, want.Value))
				continue
			}
			places := -want.Value.Exponent()
			if places < 0 {
				places = 0
			}
			if g := a.Ratio.Round(places); !g.Equal(want.Value) {
				cr.Failures = append(cr.Failures, fmt.Sprintf("%s: attainment %s / %s: got %s (%s / %s), want %s", want.Pos, person, measure, g, a.Value, a.Target, want.Value))
			}
		}
	}
	return cr
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Summary counts results and formats the summary line "N passed, M failed".
func Summary(results []CaseResult) (passed, failed int, line string) {
	for _, r := range results {
		if r.Passed() {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed, fmt.Sprintf("%d passed, %d failed", passed, failed)
}

// Format renders one failed case for a terminal.
func Format(r CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FAIL %s: %s\n", r.Pos, r.Name)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "    %s\n", f)
	}
	return b.String()
}
