package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// nowText is the time recorded on approvals, closes, adjustments and
// payroll batches.
func nowText() string { return time.Now().UTC().Format(time.RFC3339) }

// whoami names the person at the keyboard, for the record.
func whoami() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if v := os.Getenv("USER"); v != "" {
		return v
	}
	return "unknown"
}

func newPeriodCmd(e *env, db *string) *cobra.Command {
	cmd := group("period", "The company calendar's periods and their status: open, calculated, approved, closed")
	var year int
	list := &cobra.Command{
		Use:   "list [--year FY]",
		Short: "List the periods of the company calendar with their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			return periodList(ctx, e.out, ws.store, year)
		},
	}
	list.Flags().IntVar(&year, "year", 0, "fiscal year (default: every year with a run)")
	cmd.AddCommand(list)
	var by string
	for _, to := range []string{storage.PeriodApproved, storage.PeriodClosed} {
		verb := map[string]string{storage.PeriodApproved: "approve", storage.PeriodClosed: "close"}[to]
		short := map[string]string{
			storage.PeriodApproved: "Approve a calculated period: payroll can then export it",
			storage.PeriodClosed:   "Close an approved period for good: nothing in it changes again; late changes post into the next open period",
		}[to]
		c := &cobra.Command{
			Use:   verb + " PERIOD",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx := cmd.Context()
				ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
				if err != nil {
					return err
				}
				defer ws.close()
				who := by
				if who == "" {
					who = whoami()
				}
				rec, err := setPeriodStatus(ctx, ws.store, args[0], to, who)
				if errors.Is(err, periods.ErrTransition) {
					fmt.Fprintf(e.errOut, "icomp: %v\n", err)
					return errFailed
				}
				if err != nil {
					return err
				}
				at := rec.ApprovedAt
				if to == storage.PeriodClosed {
					at = rec.ClosedAt
				}
				fmt.Fprintf(e.out, "%s is %s (by %s at %s)\n", rec.Label, rec.Status, who, at)
				return nil
			},
		}
		c.Flags().StringVar(&by, "by", "", "who approves or closes, for the record (default: the current user)")
		cmd.AddCommand(c)
	}
	return cmd
}

// setPeriodStatus approves or closes a period.
func setPeriodStatus(ctx context.Context, st storage.Store, label, to, by string) (storage.PeriodRecord, error) {
	var rec storage.PeriodRecord
	err := st.InTx(ctx, func(tx storage.Tx) error {
		p, err := periods.Parse(ctx, tx, label)
		if err != nil {
			return err
		}
		if to == storage.PeriodApproved {
			rec, err = periods.Approve(ctx, tx, p, by, nowText())
		} else {
			rec, err = periods.Close(ctx, tx, p, by, nowText())
		}
		return err
	})
	return rec, err
}

func periodList(ctx context.Context, w io.Writer, st storage.Store, year int) error {
	cal, err := periods.Calendar(ctx, st)
	if err != nil {
		return err
	}
	rows, err := st.PeriodList(ctx)
	if err != nil {
		return err
	}
	byLabel := map[string]storage.PeriodRecord{}
	years := map[int]bool{}
	for _, r := range rows {
		byLabel[r.Label] = r
		years[r.FiscalYear] = true
	}
	if year != 0 {
		years = map[int]bool{year: true}
	}
	if len(years) == 0 {
		fmt.Fprintln(w, "no period has been run yet (icomp run --period P)")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "period\tfrom\tto\tstatus\tapproved\tclosed\tnote\n")
	for _, fy := range sortedInts(years) {
		for _, f := range []period.Frequency{period.Annual, period.Quarterly, period.Monthly, period.SemiMonthly, period.BiWeekly} {
			for _, p := range cal.Periods(fy, f) {
				r, ok := byLabel[p.Label]
				if !ok {
					if f == period.Monthly && year == 0 || f == period.SemiMonthly || f == period.BiWeekly {
						continue // months nobody ran would bury the list; pay cycles too, even for one year
					}
					r = periods.Record(p)
				}
				note := ""
				if r.NeedsRerun != "" {
					note = "needs a re-run: " + r.NeedsRerun
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Label, r.Start, r.End, r.Status, who(r.ApprovedBy, r.ApprovedAt), who(r.ClosedBy, r.ClosedAt), note)
			}
		}
	}
	return tw.Flush()
}

func who(by, at string) string {
	if by == "" {
		return "-"
	}
	return by + " " + at
}

func sortedInts(m map[int]bool) []int {
	return slices.Sorted(maps.Keys(m))
}

func newAdjustCmd(e *env, db *string) *cobra.Command {
	var a storage.Adjustment
	var amount, by string
	cmd := &cobra.Command{
		Use:   "adjust --person ID --period P --amount N --currency C --earning-code CODE --reason TEXT",
		Short: "Record a manual adjustment: the next run of the period makes it payable, and no re-run reverses it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			if err := refuseDuringRun(ctx, ws.store); err != nil {
				return err
			}
			ids, err := ws.store.PersonIDs(ctx)
			if err != nil {
				return err
			}
			a.CreatedBy, a.CreatedAt, a.Source = by, nowText(), "cli"
			if a.CreatedBy == "" {
				a.CreatedBy = whoami()
			}
			if p := imports.CheckAdjustment(ctx, ws.store, calc.NewPlanCache(), ids, &a, amount); p != nil {
				return usageError{fmt.Errorf("--%s: %s", strings.ReplaceAll(p.Field, "_", "-"), p.Reason)}
			}
			var notes []string
			err = ws.store.InTx(ctx, func(tx storage.Tx) error {
				if err := periods.GuardInputs(ctx, tx, "an adjustment"); err != nil {
					return err
				}
				id, err := tx.AdjustmentInsert(ctx, a)
				if err != nil {
					return err
				}
				a.ID = id
				notes, err = periods.MarkAdjusted(ctx, tx, []storage.Adjustment{a})
				return err
			})
			if err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(e.errOut, n)
			}
			fmt.Fprintf(e.out, "adjustment %d recorded: %s %s %s for %s in %s; run the period to make it payable (icomp run --period %s)\n",
				a.ID, a.Amount.StringFixed(money.MustPrecision(a.Currency)), a.Currency, a.EarningCode, a.Person, a.Period, a.Period)
			return nil
		},
	}
	cmd.Flags().StringVar(&a.Person, "person", "", "person id (required)")
	cmd.Flags().StringVar(&a.Period, "period", "", "the period the adjustment belongs to, e.g. 2027-Q1 (required)")
	cmd.Flags().StringVar(&amount, "amount", "", "amount, negative to take back, e.g. 250.00 (required)")
	cmd.Flags().StringVar(&a.Currency, "currency", "USD", "ISO 4217 currency")
	cmd.Flags().StringVar(&a.EarningCode, "earning-code", "", "payroll earning code (required)")
	cmd.Flags().StringVar(&a.Reason, "reason", "", "why, shown on the statement (required)")
	cmd.Flags().StringVar(&by, "by", "", "who adjusts, for the record (default: the current user)")
	for _, f := range []string{"person", "period", "amount", "earning-code", "reason"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newVerifyCmd(e *env, db *string) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute the seal chain over every run's lines and credits and every payroll batch; exit 1 at the first broken link",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			rep, err := audit.Verify(ctx, ws.store)
			if err != nil {
				return err
			}
			if rep.Broken != nil {
				fmt.Fprintf(e.out, "BROKEN at %v\n", rep.Broken)
				return errFailed
			}
			if rep.Problem != "" {
				fmt.Fprintf(e.out, "BROKEN: %s\n", rep.Problem)
				return errFailed
			}
			fmt.Fprintf(e.out, "ok: %d seals verified (%d payroll batches, %d credits)\n", rep.Seals, rep.Exports, rep.Credits)
			return nil
		},
	}
}

func newRunsCmd(e *env, db *string) *cobra.Command {
	cmd := group("runs", "Inspect period runs")
	var periodLabel string
	list := &cobra.Command{
		Use:   "list [--period P]",
		Short: "List runs: period, where they posted, status, lines and digest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			runs, err := ws.store.RunList(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "run\tperiod\tposted in\tstatus\tlines\tstarted\tfinished\tdigest\n")
			for _, r := range runs {
				if periodLabel != "" && r.Period != periodLabel {
					continue
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%.16s\n", r.ID, r.Period, r.PostedPeriod, r.Status, r.Lines, r.StartedAt, r.FinishedAt, r.Digest)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&periodLabel, "period", "", "only runs of this period")
	var format string
	diff := &cobra.Command{
		Use:   "diff A B [--format table|json|csv]",
		Short: "Compare what two runs of a period left earned, per person and component",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "csv" {
				return usageError{fmt.Errorf("--format %q: want table, json or csv", format)}
			}
			var ids [2]int64
			for i, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return usageError{fmt.Errorf("run %q: want a run id from icomp runs list", a)}
				}
				ids[i] = id
			}
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			rows, err := reports.RunDiff(ctx, ws.store, ids[0], ids[1])
			if err != nil {
				return err
			}
			return reports.WriteRunDiff(e.out, rows, format)
		},
	}
	diff.Flags().StringVar(&format, "format", "table", "table, json or csv")
	cmd.AddCommand(list, diff)
	return cmd
}

// refuseDuringRun refuses an import while a run is in progress or was
// interrupted: the run must read the inputs it started with.
func refuseDuringRun(ctx context.Context, r storage.RunReader) error {
	run, found, err := periods.RunInProgress(ctx, r)
	if err != nil || !found {
		return err
	}
	return fmt.Errorf("run %d of %s is in progress or was interrupted; importing now would change its inputs half-way: let it finish (icomp run --period %s resumes it), then import", run.ID, run.Period, run.Period)
}

func exportPayroll(ctx context.Context, e *env, st storage.Store, req reports.PayrollRequest, out string, again bool) error {
	// A file already there may be a batch sent to payroll: checked before
	// the batch is recorded, and written only if still absent.
	if err := refuseExisting(out); err != nil {
		return err
	}
	pe, err := reports.ExportPayroll(ctx, st, req)
	repeat := errors.Is(err, reports.ErrRepeat)
	if err != nil && !repeat {
		return err
	}
	if repeat {
		fmt.Fprintf(e.errOut, "nothing new to pay for %s: this repeats payroll batch %d (pay date %s, %d rows, sha256 %s, created %s)\n",
			req.Period, pe.Export.ID, pe.Export.PayDate, pe.Rows, pe.Export.Digest, pe.Export.CreatedAt)
		if !again {
			fmt.Fprintln(e.errOut, "icomp: not writing it again without --again (or icomp export show ID)")
			return errFailed
		}
	}
	return writeBatch(e, pe.Export, out, !repeat)
}

// refuseExisting refuses an --out file that exists: payroll files are
// never overwritten.
func refuseExisting(out string) error {
	if out == "" {
		return nil
	}
	if _, err := os.Lstat(out); err == nil {
		return usageError{fmt.Errorf("--out %s exists; payroll files are never overwritten: give another name, or move it away", out)}
	}
	return nil
}

func writeBatch(e *env, b storage.Export, out string, isNew bool) error {
	if out == "" {
		_, err := io.WriteString(e.out, b.CSV)
		return err
	}
	err := writeFile(out, func(f *os.File) error {
		_, err := io.WriteString(f, b.CSV)
		return err
	})
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w; payroll batch %d is recorded: write it elsewhere with icomp export show %d --out FILE", refuseExisting(out), b.ID, b.ID)
	}
	if err != nil {
		return err
	}
	state := "an earlier batch, again"
	if isNew {
		state = "new batch"
	}
	fmt.Fprintf(e.errOut, "wrote %s: payroll batch %d (%s) of %s, pay date %s, %d row(s), sha256 %s\n", out, b.ID, state, b.Period, b.PayDate, b.Lines, b.Digest)
	return nil
}
