// Package examples_test checks that every example under examples/ is a
// valid plan, target plan or plan test, and that every plan test case
// passes: the examples are documentation, so a stale expected number is a
// bug.
package examples_test

import (
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/plantest"
)

// At least this many comp plans and test cases must be found, so that the
// test cannot pass by finding nothing.
const (
	minCompPlans = 3
	minCases     = 10
)

func TestExamples(t *testing.T) {
	files, diags, err := plans.Check([]string{"."})
	if err != nil {
		t.Fatalf("reading examples: %v", err)
	}
	for _, d := range diags {
		t.Errorf("%s", d)
	}
	if len(diags) > 0 {
		t.Fatalf("%d problem(s) in the example files; run icomp plan check examples", len(diags))
	}

	var compPlans, testFiles, cases int
	for _, f := range files {
		switch {
		case f.Comp != nil:
			compPlans++
		case f.Test != nil || f.SettlementTest != nil:
			testFiles++
			var results []plantest.CaseResult
			if f.Test != nil {
				results = plantest.Run(f.Test)
			} else {
				results = plantest.RunSettlement(f.SettlementTest)
			}
			cases += len(results)
			t.Run(filepath.ToSlash(f.Path), func(t *testing.T) {
				for _, r := range results {
					t.Run(r.Name, func(t *testing.T) {
						if !r.Passed() {
							t.Errorf("\n%s", plantest.Format(r))
						}
					})
				}
			})
		}
	}
	t.Logf("%d comp plan(s), %d test file(s), %d case(s)", compPlans, testFiles, cases)
	if compPlans < minCompPlans {
		t.Errorf("found %d comp plan(s) under examples/; want at least %d", compPlans, minCompPlans)
	}
	if cases < minCases {
		t.Errorf("found %d plan test case(s) under examples/; want at least %d", cases, minCases)
	}
}
