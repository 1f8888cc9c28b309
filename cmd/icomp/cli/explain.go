package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/reports"
)

func newExplainCmd(e *env, db *string) *cobra.Command {
	var ref reports.LineRef
	var format string
	cmd := &cobra.Command{
		Use:   "explain [PLAN/PERIOD/PERSON/COMPONENT] [--plan P --period P --person ID --component C] [--format text|json]",
		Short: "Show the full derivation of one payout line: credits, measures, target, attainment, tiers, cap, rounding, prior periods, rules with file:line",
		Long: `Show the full derivation of one payout line, enough to recompute it by hand:
the credited transactions (with the content hash of the version each used), the
measures the component read and the credits each took in, target and
attainment, the tiers, rate, gate and cap, rounding, what earlier periods paid
(cumulative components), per-deal parts, clawbacks, ramps and proration,
currency conversions, and the plan's rules with file:line:column. Per-credit
components list the deals that qualified. The line is recomputed from the
stored data with the plan version it was posted with, and the check says
whether that still gives the posted amount.

Name the line by its handle, PLAN/PERIOD/PERSON/COMPONENT, which the statement
prints under each payout line, or by the four flags.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			if len(args) == 1 {
				if ref != (reports.LineRef{}) {
					return usageError{fmt.Errorf("give the line either as PLAN/PERIOD/PERSON/COMPONENT or with --plan, --period, --person and --component, not both")}
				}
				r, err := reports.ParseLineRef(args[0])
				if err != nil {
					return usageError{err}
				}
				ref = r
			} else if ref.Plan == "" || ref.Period == "" || ref.Person == "" || ref.Component == "" {
				return usageError{fmt.Errorf("name the line: icomp explain PLAN/PERIOD/PERSON/COMPONENT, or --plan, --period, --person and --component")}
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			x, err := reports.Explain(cmd.Context(), ws.store, ref)
			if err != nil {
				return err
			}
			if format == "json" {
				return x.WriteJSON(e.out)
			}
			return x.WriteText(e.out)
		},
	}
	cmd.Flags().StringVar(&ref.Plan, "plan", "", "comp plan name")
	cmd.Flags().StringVar(&ref.Period, "period", "", "period label, e.g. 2027-Q1")
	cmd.Flags().StringVar(&ref.Person, "person", "", "person id")
	cmd.Flags().StringVar(&ref.Component, "component", "", "component (or step) name")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}
