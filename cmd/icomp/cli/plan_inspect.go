package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

func newPlanListCmd(e *env, db *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List published comp plans and target plans: the version in force and how many were published",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "kind\tname\tversion\thash\tpublications\tfile\n")
			for _, kind := range []string{plans.KindCompPlan, plans.KindTargetPlan, plans.KindSettlementPolicy} {
				latest, err := ws.store.PlanVersionListLatest(ctx, kind)
				if err != nil {
					return err
				}
				for _, v := range latest {
					history, err := ws.store.PlanVersionHistory(ctx, v.Name)
					if err != nil {
						return err
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", kindLabel(kind), v.Name, v.Version, short(v.Hash), len(history), v.File)
				}
			}
			return tw.Flush()
		},
	}
}

func newPlanShowCmd(e *env, db *string) *cobra.Command {
	var version string
	var history bool
	cmd := &cobra.Command{
		Use:   "show NAME [--version LABEL|HASH] [--history]",
		Short: "Print a published plan's source: the version in force, or the one asked for",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			all, err := ws.store.PlanVersionHistory(ctx, args[0])
			if err != nil {
				return err
			}
			if len(all) == 0 {
				return fmt.Errorf("no published plan named %q (icomp plan list)", args[0])
			}
			if history {
				tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "publication\tversion\thash\tfile\n")
				for _, v := range all {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", v.Seq, v.Version, short(v.Hash), v.File)
				}
				return tw.Flush()
			}
			v, err := pickVersion(all, version)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "# %s %s version %s, hash %s, from %s (publication %d)\n", kindLabel(v.Kind), v.Name, v.Version, v.Hash, v.File, v.Seq)
			_, err = fmt.Fprint(e.out, v.Source)
			return err
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "version label, or a prefix of the content hash (default: the version in force)")
	cmd.Flags().BoolVar(&history, "history", false, "list every publication instead")
	return cmd
}

// pickVersion finds the newest publication whose label is want or whose
// hash starts with want (the newest of all when want is empty).
func pickVersion(all []storage.PlanVersion, want string) (storage.PlanVersion, error) {
	return reports.PickPlanVersion(all, want)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
