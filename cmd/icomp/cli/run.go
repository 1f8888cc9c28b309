package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

func newRunCmd(e *env, db *string) *cobra.Command {
	var p jobs.StartParams
	var workers int
	var local bool
	cmd := &cobra.Command{
		Use:   "run --period P [--plan NAME]",
		Short: "Run a period: compute every published plan's payees in River batch jobs and post the ledgers",
		Long: `Run a period. The run is enqueued as a River job that fans out into batch jobs;
each batch computes its people and appends its ledger lines in one transaction
with its job's completion. On SQLite the jobs are worked in this process; on
Postgres, icomp worker processes work them (or this one too, with --local). The
command shows progress and exits when the run is done (1 if it failed). Re-running
an unchanged period posts nothing; a changed input posts reversals and new lines
for exactly what changed. After a complete run of the period, a re-run with the
same plans recomputes only the people the changes since reach (transactions
they read, their records, scores and adjustments, their reports' for managers);
a published plan, target plan or policy, new exchange rates or a bulk import make
it recompute everyone, as --full does. A run interrupted by a crash resumes when
run again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			target := dbTarget(*db)
			local = local || !isPostgres(target)
			ws, err := openWorkspace(cmd.Context(), target, workspaceOptions{runner: jobs.RunnerConfig{Workers: workers, NoWork: !local}})
			if err != nil {
				return err
			}
			defer ws.close()
			_, err = runPeriod(cmd.Context(), e, ws, p, true, local)
			return err
		},
	}
	cmd.Flags().StringVar(&p.Period, "period", "", "period label, e.g. 2027-Q1, 2027-M03, 2027-SM05 (semi-monthly) or 2027-BW05 (bi-weekly) (required)")
	cmd.Flags().StringVar(&p.Plan, "plan", "", "run only this comp plan")
	cmd.Flags().IntVar(&p.BatchSize, "batch-size", 0, "people per batch (default: sized to about 10,000 transactions)")
	cmd.Flags().IntVar(&workers, "workers", 1, "jobs worked at once in this process")
	cmd.Flags().BoolVar(&local, "local", false, "on Postgres, also work the jobs in this process (SQLite always does)")
	cmd.Flags().BoolVar(&p.Full, "full", false, "recompute every person, even when the changes since the period's last run reach only some")
	_ = cmd.MarkFlagRequired("period")
	cmd.AddCommand(newRunCancelCmd(e, db))
	return cmd
}

func newRunCancelCmd(e *env, db *string) *cobra.Command {
	var p jobs.CancelParams
	cmd := &cobra.Command{
		Use:   "cancel --period P",
		Short: "End the period's run in progress (failed or hung): it is marked failed and its remaining batches stop",
		Long: `End the period's run in progress, for example one that hangs, or one interrupted
while the published plans changed. The run is marked failed ("cancelled by WHO"),
its River jobs that have not finished are cancelled, and a batch computing at that
moment posts nothing. What the run's batches posted before stays posted, and is
sealed like any run's lines; the next icomp run of the period starts a new run,
which reverses or keeps those lines as the inputs say. Exit 1 when the period
has no run in progress (nothing changes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{runner: jobs.RunnerConfig{NoWork: true}})
			if err != nil {
				return err
			}
			defer ws.close()
			if p.By == "" {
				p.By = whoami()
			}
			run, err := ws.runner.Cancel(ctx, p)
			if errors.Is(err, jobs.ErrNoActiveRun) {
				fmt.Fprintf(e.errOut, "icomp: %v\n", err)
				return errFailed
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "run %d of %s cancelled by %s at %d/%d batches; what it posted stays posted and sealed; %s is free for the next run\n",
				run.ID, run.Period, p.By, run.BatchesDone, run.Batches, run.Period)
			return nil
		},
	}
	cmd.Flags().StringVar(&p.Period, "period", "", "period label, e.g. 2027-Q1, 2027-M03, 2027-SM05 (semi-monthly) or 2027-BW05 (bi-weekly) (required)")
	cmd.Flags().StringVar(&p.By, "by", "", "who cancels, for the record (default: the current user)")
	_ = cmd.MarkFlagRequired("period")
	return cmd
}

// runPeriod starts (or resumes) a run, works it in-process and waits.
func runPeriod(ctx context.Context, e *env, ws *workspace, p jobs.StartParams, showProgress, local bool) (storage.Run, error) {
	id, resumed, err := ws.runner.Start(ctx, p)
	if errors.Is(err, jobs.ErrPlansChanged) {
		// A refusal, like a failed run: exit 1, and nothing was computed.
		fmt.Fprintf(e.errOut, "icomp: %v\n", err)
		return storage.Run{}, errFailed
	}
	if err != nil {
		return storage.Run{}, err
	}
	if resumed {
		fmt.Fprintf(e.errOut, "resuming run %d of %s, which was interrupted\n", id, p.Period)
	}
	if r, err := ws.store.RunGet(ctx, id); err == nil && r.PostedPeriod != r.Period {
		fmt.Fprintf(e.errOut, "%s is closed: its changes post into %s as prior-period adjustments\n", r.Period, r.PostedPeriod)
	}
	if local {
		if err := ws.runner.Work(ctx); err != nil {
			return storage.Run{}, err
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = ws.runner.Stop(stopCtx)
		}()
	} else {
		fmt.Fprintf(e.errOut, "run %d of %s enqueued; waiting for icomp worker processes\n", id, p.Period)
	}
	start := time.Now()
	tty := showProgress && isTerminal(e.errOut)
	last := -1
	run, err := ws.runner.Wait(ctx, id, 100*time.Millisecond, func(r storage.Run) {
		if !showProgress || r.BatchesDone == last {
			return
		}
		last = r.BatchesDone
		line := progressLine(r, time.Since(start))
		if tty {
			fmt.Fprintf(e.errOut, "\r%s", line)
		} else if r.Batches > 0 && (r.BatchesDone == r.Batches || r.BatchesDone%10 == 0) {
			fmt.Fprintln(e.errOut, line)
		}
	})
	if tty {
		fmt.Fprintln(e.errOut)
	}
	if err != nil && run.Status == storage.RunFailed {
		// A failed run is a result, like a failed check: exit 1, not 2.
		fmt.Fprintf(e.errOut, "icomp: %v\n", err)
		return run, errFailed
	}
	if err != nil {
		return run, err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(e.out, "run %d of %s done in %s: %d batch(es), %d transaction(s) read (%s/s), %d ledger line(s) posted, digest %s\n",
		run.ID, run.Period, elapsed.Round(time.Millisecond), run.Batches, run.TxnsDone, rate(run.TxnsDone, elapsed), run.Lines, run.Digest)
	if run.Incremental() {
		fmt.Fprintf(e.out, "incremental: %s; recomputed %d people (icomp run --full recomputes everyone)\n", run.Scope.Note, len(run.Scope.People))
	}
	if err := printRunReport(ctx, e.errOut, ws.store, run); err != nil {
		return run, err
	}
	if ps, err := ws.store.PeriodList(ctx); err == nil {
		for _, p := range ps {
			if p.NeedsRerun != "" {
				fmt.Fprintf(e.errOut, "%s needs a re-run: %s (icomp run --period %s)\n", p.Label, p.NeedsRerun, p.Label)
			}
		}
	}
	return run, nil
}

// progressLine shows batches done and transaction throughput.
func progressLine(r storage.Run, elapsed time.Duration) string {
	return fmt.Sprintf("run %d %s: %d/%d batches, %d transactions, %s transactions/s", r.ID, r.Period, r.BatchesDone, r.Batches, r.TxnsDone, rate(r.TxnsDone, elapsed))
}

func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

// overlapLinesMax is how many earning-code overlaps a run prints.
const overlapLinesMax = 20

// printRunReport writes what a finished run has to say beside its lines:
// transactions no plan credited, and people two plans pay under the same
// earning code.
func printRunReport(ctx context.Context, w io.Writer, st storage.Store, run storage.Run) error {
	cache := calc.NewPlanCache()
	var compPlans []*plans.CompPlan
	for _, h := range run.Plans {
		plan, err := cache.Comp(ctx, st, h)
		if err != nil {
			return err
		}
		compPlans = append(compPlans, plan)
	}
	if run.Incremental() {
		// The whole period's transactions are checked for credit by full
		// runs (the base run did); an incremental run reads only what
		// changed.
		compPlans = compPlans[:0]
	}
	rep, err := calc.ReportRun(ctx, st, run.Period, compPlans)
	if err != nil {
		return err
	}
	if rep.Uncredited > 0 {
		more := ""
		if n := rep.Uncredited - len(rep.UncreditedIDs); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		fmt.Fprintf(w, "note: %d transaction(s) dated in %s credited by no plan: %s%s\n", rep.Uncredited, run.Period, strings.Join(rep.UncreditedIDs, ", "), more)
	}
	for i, o := range rep.Overlaps {
		if i == overlapLinesMax {
			fmt.Fprintf(w, "warning: and %d more people paid one earning code by two plans\n", len(rep.Overlaps)-i)
			break
		}
		fmt.Fprintf(w, "warning: %s is eligible for plans %s, which all pay earning code %s in %s: check they are not paid twice\n",
			o.Person, strings.Join(o.Plans, " and "), o.EarningCode, run.Period)
	}
	return nil
}
