package cli

import (
	"fmt"

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
	cmd.AddCommand(newPublishCmd(e, db), newPlanListCmd(e, db), newPlanShowCmd(e, db))
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
		len(files), counts[plans.KindCompPlan], counts[plans.KindTargetPlan], counts[plans.KindPlanTest], len(diags))
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
	for _, f := range files {
		if f.Test == nil || len(diags) > 0 {
			continue
		}
		results = append(results, plantest.Run(f.Test)...)
	}
	for _, r := range results {
		if !r.Passed() {
			fmt.Fprint(e.out, plantest.Format(r))
		}
	}
	_, failed, line := plantest.Summary(results)
	fmt.Fprintln(e.out, line)
	if failed > 0 || len(diags) > 0 {
		return errFailed
	}
	return nil
}
