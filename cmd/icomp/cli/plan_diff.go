package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/reports"
)

func newPlanDiffCmd(e *env, db *string) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "diff NAME [--from LABEL|HASH] [--to LABEL|HASH]",
		Short: "Print a unified diff between two published versions of a plan (default: the version in force against the one before)",
		Long: `Print the line diff between two published versions of the named plan as a
unified diff (diff -u), headed by each version's label, hash, publication
number and file. --to defaults to the version in force, --from to the
newest publication before it with other content. A version is named by
its label or by 6 or more leading hex digits of its content hash. Two
versions with the same content print nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			d, err := reports.DiffPlanVersions(ctx, ws.store, args[0], from, to)
			if err != nil {
				return fmt.Errorf("%w (icomp plan show %s --history lists them)", err, args[0])
			}
			out, err := d.Unified()
			if err != nil {
				return err
			}
			if out == "" {
				fmt.Fprintf(e.errOut, "%s versions %s and %s have the same content\n", d.Name, d.From.Version, d.To.Version)
				return nil
			}
			_, err = fmt.Fprint(e.out, out)
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the older version: label or hash prefix (default: the one published before --to)")
	cmd.Flags().StringVar(&to, "to", "", "the newer version: label or hash prefix (default: the version in force)")
	return cmd
}
