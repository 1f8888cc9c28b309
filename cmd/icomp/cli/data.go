package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newImportCmd(e *env, db *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import people|transactions|targets FILE",
		Short: "Import people, transactions or targets from CSV (with a header) or JSON Lines",
		Long: `Import people, transactions or targets. Every row is validated first; a file with
any bad row imports nothing and each problem is printed as FILE:LINE: field: reason.
Importing the same file again changes nothing. Files ending in .jsonl are JSON Lines.

people columns:       ` + fmt.Sprint(imports.PeopleColumns) + ` (id, name required), attr.NAME
transactions columns: ` + fmt.Sprint(imports.TransactionColumns) + ` (id, date, amount, currency required), attr.NAME
targets columns:      ` + fmt.Sprint(imports.TargetColumns) + ` (person or role; one target plan version
                      per target_plan name, published like icomp plan publish)`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			return runImport(cmd.Context(), e, ws.store, args[0], args[1])
		},
	}
	return cmd
}

func runImport(ctx context.Context, e *env, st storage.Store, kind, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var r io.Reader = f
	var bar *progressbar.ProgressBar
	if isTerminal(e.errOut) {
		bar = progressbar.DefaultBytes(info.Size(), "importing "+filepath.Base(path))
		r = io.TeeReader(f, bar)
	}
	o := imports.Options{File: path, Format: imports.FormatOf(path)}
	start := time.Now()
	var counts storage.ImportCounts
	switch kind {
	case "people":
		counts, err = imports.People(ctx, st, r, o)
	case "transactions":
		counts, err = imports.Transactions(ctx, st, r, o)
	case "targets":
		var tr imports.TargetResult
		tr, err = imports.Targets(ctx, st, r, o)
		if err == nil {
			for _, v := range tr.Published {
				fmt.Fprintf(e.out, "published target plan %s version %s (%s)\n", v.Name, v.Version, v.Hash[:12])
			}
			for _, v := range tr.Unchanged {
				fmt.Fprintf(e.out, "unchanged target plan %s version %s (%s)\n", v.Name, v.Version, v.Hash[:12])
			}
			counts.Inserted = tr.Rows
		}
	default:
		return usageError{fmt.Errorf("import %q: want people, transactions or targets", kind)}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(e.errOut)
	}
	var ie *imports.Error
	if errors.As(err, &ie) {
		fmt.Fprint(e.out, ie.Error()+"\n")
		return errFailed
	}
	if err != nil {
		return err
	}
	rows := counts.Inserted + counts.Changed + counts.Unchanged
	if kind == "targets" {
		fmt.Fprintf(e.out, "targets: %d rows in %s\n", rows, time.Since(start).Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(e.out, "%s (%d rows in %s)\n", imports.String(kind, counts), rows, time.Since(start).Round(time.Millisecond))
	return nil
}

func newPublishCmd(e *env, db *string) *cobra.Command {
	return &cobra.Command{
		Use:   "publish PATH...",
		Short: "Store validated comp plan and target plan versions (directories are searched)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			files, diags, err := plans.Check(args)
			if err != nil {
				return err
			}
			if len(diags) > 0 {
				for _, d := range diags {
					fmt.Fprintln(e.out, d.String())
				}
				fmt.Fprintf(e.out, "%d problem(s); nothing was published\n", len(diags))
				return errFailed
			}
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			return publish(ctx, e, ws.store, files)
		},
	}
}

func publish(ctx context.Context, e *env, st storage.Store, files []*plans.File) error {
	return st.InTx(ctx, func(tx storage.Tx) error {
		for _, f := range files {
			var v storage.PlanVersion
			switch {
			case f.Comp != nil:
				v = storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name, Version: f.Comp.Version, File: f.Path, Source: string(f.Comp.Source)}
			case f.Target != nil:
				v = storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: f.Target.Name, Version: f.Target.Version, File: f.Path, Source: string(f.Target.Source)}
			default:
				continue
			}
			inserted, err := tx.PlanVersionInsert(ctx, v)
			if err != nil {
				return err
			}
			state := "unchanged"
			if inserted {
				state = "published"
			}
			fmt.Fprintf(e.out, "%s %s %s version %s (%s) from %s\n", state, kindLabel(v.Kind), v.Name, v.Version, v.Hash[:12], v.File)
		}
		return nil
	})
}

func kindLabel(kind string) string {
	if kind == plans.KindTargetPlan {
		return "target plan"
	}
	return "plan"
}

func newStatementCmd(e *env, db *string) *cobra.Command {
	var person, periodLabel, format string
	cmd := &cobra.Command{
		Use:   "statement --person ID --period P",
		Short: "Print a person's statement: credits, measures, attainment and each payout with its working",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			s, err := reports.BuildStatement(cmd.Context(), ws.store, person, periodLabel)
			if err != nil {
				return err
			}
			if format == "json" {
				return s.WriteJSON(e.out)
			}
			return s.WriteText(e.out)
		},
	}
	cmd.Flags().StringVar(&person, "person", "", "person id (required)")
	cmd.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	_ = cmd.MarkFlagRequired("person")
	_ = cmd.MarkFlagRequired("period")
	return cmd
}

func newExportCmd(e *env, db *string) *cobra.Command {
	cmd := group("export", "Export data for other systems")
	var periodLabel, out, payDate string
	payroll := &cobra.Command{
		Use:   "payroll --period P [--out FILE]",
		Short: "Write the period's payroll CSV: each payout line is exported once, never twice",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			if payDate == "" {
				payDate = time.Now().UTC().Format(time.DateOnly)
			}
			pe, err := reports.ExportPayroll(cmd.Context(), ws.store, periodLabel, payDate)
			if err != nil {
				return err
			}
			if out == "" {
				_, err := io.WriteString(e.out, pe.Export.CSV)
				return err
			}
			if err := os.WriteFile(out, []byte(pe.Export.CSV), 0o644); err != nil {
				return err
			}
			state := "new export"
			if !pe.New {
				state = "nothing new since the last export; wrote that export again"
			}
			fmt.Fprintf(e.errOut, "wrote %s: %d row(s), export %d (%s), sha256 %s\n", out, pe.Rows, pe.Export.ID, state, pe.Export.Digest[:16])
			return nil
		},
	}
	payroll.Flags().StringVar(&periodLabel, "period", "", "period label, e.g. 2027-Q1 (required)")
	payroll.Flags().StringVar(&out, "out", "", "file to write (default standard output)")
	payroll.Flags().StringVar(&payDate, "pay-date", "", "pay date written on each row, YYYY-MM-DD (default today)")
	_ = payroll.MarkFlagRequired("period")
	cmd.AddCommand(payroll)
	return cmd
}

func newLedgerCmd(e *env, db *string) *cobra.Command {
	cmd := group("ledger", "Inspect the ledgers")
	var periodLabel string
	digest := &cobra.Command{
		Use:   "digest [--period P]",
		Short: "Print a SHA-256 over the canonical posted ledger lines (the same on any backend)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), dbTarget(*db), workspaceOptions{})
			if err != nil {
				return err
			}
			defer ws.close()
			digest, n, err := ws.store.LedgerDigest(cmd.Context(), periodLabel)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%s  %d lines\n", digest, n)
			return nil
		},
	}
	digest.Flags().StringVar(&periodLabel, "period", "", "only this period")
	cmd.AddCommand(digest)
	return cmd
}
