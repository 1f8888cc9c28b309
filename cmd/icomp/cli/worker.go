package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage/pgstore"
)

func newWorkerCmd(e *env, db *string) *cobra.Command {
	var cfg jobs.RunnerConfig
	var shutdown time.Duration
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Work run and batch jobs from Postgres until SIGTERM or SIGINT",
		Long: `Work period runs' jobs from a Postgres database, alongside any number of other
worker processes on any machines. On SIGTERM or SIGINT the worker stops fetching,
lets its in-flight batches finish for up to --shutdown-timeout, then cancels
what is left (those batches roll back and River gives them to another worker)
and exits 0. A worker that dies mid-batch loses nothing: its batch's job is
rescued and retried, and the ledger's idempotency keys prevent duplicates.

Timing (defaults): a job may run for --job-timeout (20s); a batch aims at 10,000
transactions, which takes a second or two. A job that runs out of its time fails
its run on that attempt, with a message naming the batch and plan (not retried on
the same work). A job still marked running --rescue-after (job timeout + 10s = 30s)
after it started is taken to have lost its worker; River's rescuer, which looks
every 30s, hands it to another worker, so a batch whose worker was killed is
retried within about a minute.

Logging: River's own messages go to stderr at warning level and above; one
message repeated (a database outage makes every fetch fail) is written once per
10s with a count of the repeats dropped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			target := dbTarget(*db)
			if !isPostgres(target) {
				return usageError{errors.New("icomp worker needs a Postgres database (--db postgres://… or ICOMP_DATABASE_URL); on SQLite, icomp run works the jobs itself")}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			ws, err := openWorkspace(ctx, target, workspaceOptions{runner: cfg})
			if err != nil {
				return err
			}
			defer ws.close()
			// The client runs on its own context: the signal starts a
			// graceful stop instead of cancelling in-flight batches at once.
			if err := ws.runner.Work(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			fmt.Fprintf(e.errOut, "icomp worker %d: working jobs (%d at a time); stop with SIGTERM or SIGINT\n", os.Getpid(), max(cfg.Workers, 1))
			<-ctx.Done()
			fmt.Fprintf(e.errOut, "icomp worker %d: stopping; waiting up to %s for in-flight batches\n", os.Getpid(), shutdown)
			stopCtx, cancel := context.WithTimeout(context.Background(), shutdown)
			defer cancel()
			if err := ws.runner.Stop(stopCtx); err != nil {
				fmt.Fprintf(e.errOut, "icomp worker %d: in-flight batches did not finish in time; cancelled (they will be retried): %v\n", os.Getpid(), err)
				hard, cancelHard := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancelHard()
				if r, ok := ws.runner.(interface{ StopAndCancel(context.Context) error }); ok {
					_ = r.StopAndCancel(hard)
				}
			}
			fmt.Fprintf(e.errOut, "icomp worker %d: stopped\n", os.Getpid())
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.Workers, "workers", 2, "jobs worked at once in this process")
	cmd.Flags().StringVar(&cfg.ID, "id", "", "this worker's name among River clients (default: host and time)")
	cmd.Flags().DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "how long in-flight batches may take to finish after SIGTERM")
	cmd.Flags().DurationVar(&cfg.JobTimeout, "job-timeout", jobs.BatchTimeout, "how long one job may run; one that runs out fails its run, naming the batch and plan")
	cmd.Flags().DurationVar(&cfg.RescueAfter, "rescue-after", 0, "how long a job may stay running (its worker dead) before another worker retries it (default job timeout + "+jobs.RescueMargin.String()+")")
	return cmd
}

func newMigrateCmd(e *env, db *string) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply icomp's and River's database migrations (Postgres; SQLite migrates itself)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			target := dbTarget(*db)
			if !isPostgres(target) {
				ws, err := openWorkspace(ctx, target, workspaceOptions{})
				if err != nil {
					return err
				}
				ws.close()
				fmt.Fprintf(e.out, "%s: SQLite migrates itself on open; schema is current\n", target)
				return nil
			}
			pool, err := pgstore.Connect(ctx, target)
			if err != nil {
				return err
			}
			defer pool.Close()
			applied, err := pgstore.Migrate(ctx, pool)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "applied %d icomp migration(s) %v; schema version %d; River migrations current\n", len(applied), applied, pgstore.SchemaVersion)
			return nil
		},
	}
}
