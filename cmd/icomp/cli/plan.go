package cli

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/plantest"
)

func newPlanCmd(e *env, db *string) *cobra.Command {
	cmd := group("plan", "Check, test and publish compensation plans, target plans and plan tests")
	cmd.AddCommand(&cobra.Command{
		Use:   "check PATH...",
		Short: "Validate plan, target plan and plan test files (directories are searched for .yaml files)",
		Long: `Validate every plan, target plan and plan test file under PATH and report
every problem as file:line:col with the offending line. Exits 1 if there is any.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return planCheck(e, args) },
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "test PATH...",
		Short: "Run plan test files (directories are searched for files of kind plan_test)",
		Long: `Run every plan test case under PATH, print a diff for each failure and a
summary line "N passed, M failed". Exits 1 if a file has problems or a case fails.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return planTest(e, args) },
	})
	cmd.AddCommand(newPublishCmd(e, db), newPlanListCmd(e, db), newPlanShowCmd(e, db), newPlanDiffCmd(e, db))
	return cmd
}

func planCheck(e *env, paths []string) error {
	files, diags, err := plans.Check(paths)
	if err != nil {
		return err
	}
	for _, d := range diags {
		fmt.Fprintln(e.out, d.String())
	}
	counts := map[string]int{}
	for _, f := range files {
		counts[f.Kind]++
	}
	fmt.Fprintf(e.out, "checked %d file(s): %d plan(s), %d target plan(s), %d test file(s); %d problem(s)\n",
		len(files), counts[plans.KindCompPlan], counts[plans.KindTargetPlan], counts[plans.KindPlanTest]+counts[plans.KindSettlementTest], len(diags))
	if len(diags) > 0 {
		return errFailed
	}
	return nil
}

func planTest(e *env, paths []string) error {
	files, diags, err := plans.Check(paths)
	if err != nil {
		return err
	}
	for _, d := range diags {
		fmt.Fprintln(e.out, d.String())
	}
	var results []plantest.CaseResult
	if len(diags) == 0 {
		results = runPlanTests(e, files)
	}
	_, failed, line := plantest.Summary(results)
	fmt.Fprintln(e.out, line)
	if failed > 0 || len(diags) > 0 {
		return errFailed
	}
	return nil
}

// runPlanTests runs every case of the plan test files among files (which
// must have loaded without problems), prints each failure to e.out and
// returns every result.
func runPlanTests(e *env, files []*plans.File) []plantest.CaseResult {
	var results []plantest.CaseResult
	for _, f := range files {
		switch {
		case f.Test != nil:
			results = append(results, plantest.Run(f.Test)...)
		case f.SettlementTest != nil:
			results = append(results, plantest.RunSettlement(f.SettlementTest)...)
		}
	}
	for _, r := range results {
		if !r.Passed() {
			fmt.Fprint(e.out, plantest.Format(r))
		}
	}
	return results
}

// planTestsFor finds the plan tests of the comp plans and target plans
// among files, and the settlement tests of the settlement policies: the
// test files among files themselves and those beside each plan or policy
// (the .yaml and .yml files of its directory) whose plan, targets or
// policies key names one of them. It returns them with the problems of
// those test files; a test file with problems tests nothing.
func planTestsFor(files []*plans.File) ([]*plans.File, plans.Diagnostics, error) {
	published := map[string]bool{}
	dirs := map[string]bool{}
	for _, f := range files {
		if f.Comp == nil && f.Target == nil && f.Settlement == nil {
			continue
		}
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			return nil, nil, err
		}
		published[abs] = true
		dirs[filepath.Dir(f.Path)] = true
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			beside, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil {
				return nil, nil, err
			}
			paths = append(paths, beside...)
		}
	}
	names := func(path string) (bool, error) {
		if path == "" {
			return false, nil
		}
		abs, err := filepath.Abs(path)
		return published[abs], err
	}
	l := plans.NewLoader()
	seen := map[string]bool{}
	var tests []*plans.File
	var problems plans.Diagnostics
	for _, path := range paths {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, nil, err
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		f, diags := l.LoadFile(path)
		var refs []string
		switch {
		case f.Test != nil:
			refs = []string{f.Test.PlanPath, f.Test.TargetsPath}
		case f.SettlementTest != nil:
			refs = f.SettlementTest.PolicyPaths
		default:
			continue
		}
		tested := false
		for _, ref := range refs {
			ok, err := names(ref)
			if err != nil {
				return nil, nil, err
			}
			tested = tested || ok
		}
		if !tested {
			continue
		}
		if len(diags) > 0 {
			problems = append(problems, diags...)
			continue
		}
		tests = append(tests, f)
	}
	return tests, problems, nil
}

// refuseFailingPlanTests runs the plan tests of the plans among files (see
// planTestsFor) before they are published: it prints every problem and
// failure and returns errFailed if there is any, so nothing is published.
func refuseFailingPlanTests(e *env, files []*plans.File) error {
	tests, problems, err := planTestsFor(files)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		for _, d := range problems {
			fmt.Fprintln(e.out, d.String())
		}
		fmt.Fprintf(e.out, "%d problem(s) in the plan tests; nothing was published\n", len(problems))
		return errFailed
	}
	results := runPlanTests(e, tests)
	if len(results) == 0 {
		return nil
	}
	_, failed, line := plantest.Summary(results)
	if failed > 0 {
		fmt.Fprintf(e.out, "plan tests: %s; nothing was published\n", line)
		return errFailed
	}
	fmt.Fprintf(e.out, "plan tests: %s\n", line)
	return nil
}
