package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/examples"
	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage/pgstore"
)

func newBenchCmd(e *env, db *string) *cobra.Command {
	var txns, people, workers, batchSize int
	var dir, periodLabel, cpuProfile, plan string
	var rerunOne bool
	var jobTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "bench [--transactions N] [--people M] [--plan examples|bench] [--rerun-one]",
		Short: "Generate synthetic data, import it and run a period; print throughput and peak memory",
		Long: `Generate synthetic data (the demo's generator, scaled) with every transaction
dated in the period, import people and transactions, publish the example plans and run a quarter, then print import
and run throughput and this process's peak RSS. Uses a fresh SQLite file under
--dir (default a temporary directory), or --db postgres://… (an empty database).
Bench never overwrites: a --dir that holds any file it would write is
refused, naming those files.

--plan bench publishes one simple plan instead of the example plans (owner
credit of every transaction; a marginal rate table on the credited amount,
capped; a 1% bonus per deal over 10,000), computes the same payouts with
hand-written SQL in the same database, times it, and fails unless every
person's SQL total equals icomp's payout lines. --rerun-one then changes one
transaction's amount and times its re-import and the re-run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cpuProfile != "" {
				f, err := os.OpenFile(cpuProfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if plan != "examples" && plan != benchPlanName {
				return usageError{fmt.Errorf("--plan %q: want examples or %s", plan, benchPlanName)}
			}
			return bench(cmd.Context(), e, benchParams{db: *db, dir: dir, txns: txns, people: people, period: periodLabel,
				runner: jobs.RunnerConfig{Workers: workers, JobTimeout: jobTimeout}, batchSize: batchSize, benchPlan: plan == benchPlanName, rerunOne: rerunOne})
		},
	}
	cmd.Flags().IntVar(&txns, "transactions", 100_000, "transactions to generate (over one fiscal year)")
	cmd.Flags().IntVar(&people, "people", 100, "people to generate (about; in the demo's role mix)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the generated files and SQLite database (default: temporary, removed after)")
	cmd.Flags().StringVar(&periodLabel, "period", "2027-Q1", "period to run")
	cmd.Flags().IntVar(&workers, "workers", 1, "jobs worked at once in this process")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole bench to this file")
	cmd.Flags().IntVar(&batchSize, "batch-size", 0, "people per batch (default: sized to about 20,000 transactions)")
	cmd.Flags().StringVar(&plan, "plan", "examples", "plans to publish: examples (the four example plans) or bench (one plan that hand-written SQL checks)")
	cmd.Flags().BoolVar(&rerunOne, "rerun-one", false, "after the run, change one transaction's amount and time its re-import and the re-run")
	cmd.Flags().DurationVar(&jobTimeout, "job-timeout", jobs.BatchTimeout, "how long one job may run (as icomp worker --job-timeout): a loaded machine may need more")
	cmd.AddCommand(newBenchServeCmd(e), newBenchStatementCmd(e))
	return cmd
}

type benchParams struct {
	db, dir      string
	txns, people int
	period       string
	runner       jobs.RunnerConfig
	batchSize    int
	// benchPlan publishes the bench plan instead of the example plans and
	// checks icomp's payouts against hand-written SQL.
	benchPlan bool
	// rerunOne changes one transaction after the run and times the
	// re-import and re-run.
	rerunOne bool
}

func bench(ctx context.Context, e *env, p benchParams) error {
	dir := p.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "icomp-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else {
		if err := refuseBenchOverwrite(dir, p.db == ""); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return err
		}
	}
	target := p.db
	if target == "" {
		target = filepath.Join(dir, "icomp.db")
	}
	cfg := datagen.ForPeople(p.people, p.txns)
	// Every transaction falls in the period run, so the run prices all N.
	per, err := defaultCalendar.Parse(p.period)
	if err != nil {
		return usageError{err}
	}
	cfg.From, cfg.To = per.Start.Time(), per.End.Time()
	peopleCSV, txnCSV := filepath.Join(dir, "people.csv"), filepath.Join(dir, "transactions.csv")
	t0 := time.Now()
	if err := writeFile(peopleCSV, func(f *os.File) error { return datagen.WritePeople(f, cfg) }); err != nil {
		return err
	}
	if err := writeFile(txnCSV, func(f *os.File) error { return datagen.WriteTransactions(f, cfg) }); err != nil {
		return err
	}
	genTime := time.Since(t0)
	nPeople := len(datagen.People(cfg))
	fmt.Fprintf(e.out, "generated %d people and %d transactions in %s\n", nPeople, p.txns, genTime.Round(time.Millisecond))

	ws, err := openWorkspace(ctx, target, workspaceOptions{runner: p.runner})
	if err != nil {
		return err
	}
	defer ws.close()
	quiet := &env{stdin: e.stdin, out: discard{}, errOut: discard{}}
	if n, err := ws.store.TransactionCount(ctx); err != nil {
		return err
	} else if n > 0 {
		return usageError{fmt.Errorf("the database already holds %d transactions; bench needs an empty one", n)}
	}

	t1 := time.Now()
	if err := runImport(ctx, quiet, ws.store, "people", peopleCSV); err != nil {
		return err
	}
	if err := runImport(ctx, quiet, ws.store, "transactions", txnCSV); err != nil {
		return err
	}
	importTime := time.Since(t1)

	plansDir := filepath.Join(dir, "plans")
	if p.benchPlan {
		if err := os.MkdirAll(filepath.Join(plansDir, benchPlanName), dirMode); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(plansDir, benchPlanName, "plan.yaml"), func(f *os.File) error {
			_, err := f.WriteString(benchPlanYAML)
			return err
		}); err != nil {
			return err
		}
	} else if err := writeExamplePlans(plansDir); err != nil {
		return err
	}
	files, diags, err := plans.Check([]string{plansDir})
	if err != nil {
		return err
	}
	if len(diags) > 0 {
		return diags
	}
	if err := publish(ctx, quiet, ws.store, files, []string{plansDir}); err != nil {
		return err
	}
	t2 := time.Now()
	run, err := runPeriod(ctx, quiet, ws, jobs.StartParams{Period: p.period, BatchSize: p.batchSize}, false, true)
	if err != nil {
		return err
	}
	runTime := time.Since(t2)
	inRun := p.txns
	fmt.Fprintf(e.out, "backend      %s\n", ws.store.Backend())
	fmt.Fprintf(e.out, "import       %d rows in %s: %.0f rows/s\n", p.txns+nPeople, importTime.Round(time.Millisecond), float64(p.txns+nPeople)/importTime.Seconds())
	fmt.Fprintf(e.out, "run %s  %d transactions in %s: %.0f transactions/s; %d batches, %d ledger lines\n",
		p.period, inRun, runTime.Round(time.Millisecond), float64(inRun)/runTime.Seconds(), run.Batches, run.Lines)
	fmt.Fprintf(e.out, "end to end   %s (import + run)\n", (importTime + runTime).Round(time.Millisecond))
	fmt.Fprintf(e.out, "peak RSS     %s\n", peakRSS())
	fmt.Fprintf(e.out, "digest       %s\n", run.Digest)
	// The period digest is what finalize re-reads the period for: time
	// that read on its own (the run's time above includes it once).
	t6 := time.Now()
	if d, _, err := ws.store.LedgerDigest(ctx, p.period); err != nil {
		return err
	} else if d != run.Digest {
		return fmt.Errorf("the period's digest is %s, the run recorded %s", d, run.Digest)
	}
	fmt.Fprintf(e.out, "digest read  %.3f s (finalize's re-read of the period)\n", time.Since(t6).Seconds())
	if p.benchPlan {
		t3 := time.Now()
		want, err := runBenchSQL(ctx, ws.store, per)
		if err != nil {
			return err
		}
		sqlTime := time.Since(t3)
		fmt.Fprintf(e.out, "hand-written SQL  the bench plan's payout per person for the same period, in %.3f s; icomp run / SQL = %.1f×\n",
			sqlTime.Seconds(), runTime.Seconds()/sqlTime.Seconds())
		n, err := comparePayouts(ctx, ws.store, p.period, want)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "payouts match: %d people\n", n)
	} else if pg, ok := ws.store.(*pgstore.Store); ok {
		d, err := plainSQL(ctx, pg, per)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "plain SQL    one credit per transaction and a flat-rate payout per owner for the same period, in %s; icomp run / plain SQL = %.1f×\n",
			d.Round(time.Millisecond), runTime.Seconds()/d.Seconds())
	}
	if p.rerunOne {
		changed := filepath.Join(dir, "transactions-changed.csv")
		id, err := changeOneTransaction(txnCSV, changed)
		if err != nil {
			return err
		}
		t4 := time.Now()
		if err := runImport(ctx, quiet, ws.store, "transactions", changed); err != nil {
			return err
		}
		reimport := time.Since(t4)
		t5 := time.Now()
		rerun, err := runPeriod(ctx, quiet, ws, jobs.StartParams{Period: p.period, BatchSize: p.batchSize}, false, true)
		if err != nil {
			return err
		}
		rerunTime := time.Since(t5)
		fmt.Fprintf(e.out, "rerun-one    transaction %s changed: re-import of %d rows in %.3f s; re-run in %.3f s, %d ledger lines\n",
			id, p.txns, reimport.Seconds(), rerunTime.Seconds(), rerun.Lines)
		if p.benchPlan {
			want, err := runBenchSQL(ctx, ws.store, per)
			if err != nil {
				return err
			}
			n, err := comparePayouts(ctx, ws.store, p.period, want)
			if err != nil {
				return fmt.Errorf("after the change: %w", err)
			}
			fmt.Fprintf(e.out, "payouts match after the change: %d people\n", n)
		}
	}
	return nil
}

// refuseBenchOverwrite returns a usage error naming the files bench would
// write in dir that exist already: the generated CSVs, the example plans
// and, with sqlite, the database and its companion files.
func refuseBenchOverwrite(dir string, sqlite bool) error {
	names := []string{"people.csv", "transactions.csv", "transactions-changed.csv", filepath.Join("plans", benchPlanName, "plan.yaml")}
	if sqlite {
		names = append(names, "icomp.db", "icomp.db-wal", "icomp.db-shm", "icomp.db.lock")
	}
	err := fs.WalkDir(examples.Plans, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, filepath.Join("plans", filepath.FromSlash(path)))
		}
		return err
	})
	if err != nil {
		return err
	}
	var existing []string
	for _, name := range names {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			existing = append(existing, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if len(existing) > 0 {
		return usageError{fmt.Errorf("--dir %s already holds %s; bench does not overwrite files: pick another directory or remove them",
			dir, strings.Join(existing, ", "))}
	}
	return nil
}

// peakRSS reads this process's peak resident set size from /proc.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
				return fmt.Sprintf("%d MiB", kb/1024)
			}
		}
	}
	return "unknown"
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// plainSQL times the simplest hand-written SQL that does a comparable job
// in the same database: credit every transaction of the period to its
// owner (one row each) and pay each owner a flat rate on the sum, rounded
// to cents. It writes into temporary tables and rolls back.
func plainSQL(ctx context.Context, st *pgstore.Store, p period.Period) (time.Duration, error) {
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	start := time.Now()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE sql_credit ON COMMIT DROP AS
		SELECT id AS txn_id, owner AS person, amount FROM txn WHERE date >= $1 AND date <= $2`, p.Start.String(), p.End.String()); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE sql_payout ON COMMIT DROP AS
		SELECT person, SUM(amount) AS measure, ROUND(SUM(amount) * 0.08, 2) AS payout FROM sql_credit GROUP BY person`); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
