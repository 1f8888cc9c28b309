package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
)

func newWhatIfCmd(e *env, db *string) *cobra.Command {
	var planFile, targetsFile, periodLabel, format string
	cmd := &cobra.Command{
		Use:   "whatif --plan candidate.yaml [--targets targets.yaml] --period P [--format table|json|csv]",
		Short: "Run a candidate plan version on the stored data of a period and show per-person deltas against what is posted; posts nothing",
		Long: `Run a candidate comp plan version (a file, not published) on the stored people,
transactions, scores and rates of a period, on the same calculation path a run
uses, and compare each person's payout with the payout lines in force for that
plan and period. The candidate must be a version of a published plan (same
name) to have something to compare with; a new plan compares with nothing.
--targets tries a candidate target plan too; without it the published target
plan in force is read. Nothing is posted: the ledgers, runs and plan versions
are unchanged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "csv" {
				return usageError{fmt.Errorf("--format %q: want table, json or csv", format)}
			}
			f, err := loadPlanFile(planFile, plans.KindCompPlan)
			if err != nil {
				return err
			}
			in := reports.WhatIfInput{Plan: f.Comp, Period: periodLabel}
			if targetsFile != "" {
				tf, err := loadPlanFile(targetsFile, plans.KindTargetPlan)
				if err != nil {
					return err
				}
				in.Targets = tf.Target
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			w, err := reports.RunWhatIf(cmd.Context(), ws.store, in)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return w.WriteJSON(e.out)
			case "csv":
				return w.WriteCSV(e.out)
			}
			return w.WriteTable(e.out)
		},
	}
	cmd.Flags().StringVar(&planFile, "plan", "", "candidate comp plan file (required)")
	cmd.Flags().StringVar(&targetsFile, "targets", "", "candidate target plan file (default: the published one in force)")
	cmd.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv")
	_ = cmd.MarkFlagRequired("plan")
	_ = cmd.MarkFlagRequired("period")
	return cmd
}

// loadPlanFile reads and checks one plan file of the given kind.
func loadPlanFile(path, kind string) (*plans.File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	f, err := reports.LoadCandidate(path, src)
	if err != nil {
		return nil, usageError{err}
	}
	if f.Kind != kind {
		return nil, usageError{fmt.Errorf("%s: a %s, want a %s", path, f.Kind, kind)}
	}
	return f, nil
}
