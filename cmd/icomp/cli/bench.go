package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
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
	var repeat int
	var jobTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "bench [--transactions N] [--people M] [--plan examples|bench] [--rerun-one] [--repeat N]",
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
person's SQL total equals icomp's payout lines. The hand-written side loads
the same generated files as icomp imports into plain tables of its own
(bench_sql_person, bench_sql_txn: no keys, no indexes) in the same
database, at bulk speed (Postgres: COPY FROM STDIN of the CSV file; SQLite:
a prepared multi-row INSERT in one transaction), computes the payouts from
that table, and bench prints the SQL load, compute and end-to-end times
and the ratios icomp import / SQL load, icomp run / SQL compute and icomp
end to end / SQL end to end. The plain tables are dropped afterwards.
--rerun-one then changes one transaction's amount and times its re-import
and the re-run (the SQL side reloads the changed file and the payouts are
compared again).

--repeat N repeats the whole measurement N times, each time on a fresh
database with the same generated files, prints each repeat's lines and
then the median of every time and ratio printed (re-import and re-run
included), and fails unless every repeat's ledger digest is the same.
With SQLite, repeat N uses icomp-rN.db beside icomp.db. With --db, the
first repeat runs in the database as given; repeat N creates the schema
icomp_bench_rN in that database, migrates it, runs in it and drops it.`,
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
				runner: jobs.RunnerConfig{Workers: workers, JobTimeout: jobTimeout}, batchSize: batchSize, benchPlan: plan == benchPlanName, rerunOne: rerunOne, repeat: repeat})
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
	cmd.Flags().IntVar(&repeat, "repeat", 1, "measure this many times, each on a fresh database, and print the medians")
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
	// repeat is how many times the measurement runs, each on a fresh
	// database; more than one prints the medians too.
	repeat int
}

// benchInputs are the files a bench generates once and every repeat
// imports.
type benchInputs struct {
	dir                  string
	peopleCSV, txnCSV    string
	changedCSV, plansDir string
	nPeople              int
	per                  period.Period
}

func bench(ctx context.Context, e *env, p benchParams) error {
	if p.repeat < 1 {
		return usageError{fmt.Errorf("--repeat %d: want 1 or more", p.repeat)}
	}
	dir := p.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "icomp-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else {
		if err := refuseBenchOverwrite(dir, p.db == "", p.repeat); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return err
		}
	}
	cfg := datagen.ForPeople(p.people, p.txns)
	// Every transaction falls in the period run, so the run prices all N.
	per, err := defaultCalendar.Parse(p.period)
	if err != nil {
		return usageError{err}
	}
	cfg.From, cfg.To = per.Start.Time(), per.End.Time()
	in := benchInputs{dir: dir, peopleCSV: filepath.Join(dir, "people.csv"), txnCSV: filepath.Join(dir, "transactions.csv"),
		changedCSV: filepath.Join(dir, "transactions-changed.csv"), plansDir: filepath.Join(dir, "plans"), per: per}
	t0 := time.Now()
	if err := writeFile(in.peopleCSV, func(f *os.File) error { return datagen.WritePeople(f, cfg) }); err != nil {
		return err
	}
	if err := writeFile(in.txnCSV, func(f *os.File) error { return datagen.WriteTransactions(f, cfg) }); err != nil {
		return err
	}
	genTime := time.Since(t0)
	in.nPeople = len(datagen.People(cfg))
	fmt.Fprintf(e.out, "generated %d people and %d transactions in %s\n", in.nPeople, p.txns, genTime.Round(time.Millisecond))
	if err := writeBenchPlans(in.plansDir, p.benchPlan); err != nil {
		return err
	}
	var changedID string
	if p.rerunOne {
		if changedID, err = changeOneTransaction(in.txnCSV, in.changedCSV); err != nil {
			return err
		}
	}

	var all []benchMeasures
	var digest string
	for r := 1; r <= p.repeat; r++ {
		if p.repeat > 1 {
			fmt.Fprintf(e.out, "repeat %d of %d\n", r, p.repeat)
		}
		m, d, err := benchRepeat(ctx, e, p, in, changedID, r)
		if err != nil {
			if p.repeat > 1 {
				return fmt.Errorf("repeat %d: %w", r, err)
			}
			return err
		}
		if r > 1 && d != digest {
			return fmt.Errorf("repeat %d's digest is %s, repeat 1's %s: the same data gave another result", r, d, digest)
		}
		digest = d
		all = append(all, m)
	}
	if p.repeat > 1 {
		printBenchMedians(e.out, all)
	}
	return nil
}

// writeBenchPlans writes the plans bench publishes into dir: the bench
// plan or the example plans.
func writeBenchPlans(dir string, benchPlan bool) error {
	if !benchPlan {
		return writeExamplePlans(dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, benchPlanName), dirMode); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, benchPlanName, "plan.yaml"), func(f *os.File) error {
		_, err := f.WriteString(benchPlanYAML)
		return err
	})
}

// benchRepeat runs repeat r of the measurement on a fresh database,
// prints its lines and returns its measures and the run's digest.
func benchRepeat(ctx context.Context, e *env, p benchParams, in benchInputs, changedID string, r int) (benchMeasures, string, error) {
	var m benchMeasures
	target, done, err := benchDatabase(ctx, p, in.dir, r)
	if err != nil {
		return m, "", err
	}
	defer done()
	ws, err := openWorkspace(ctx, target, workspaceOptions{runner: p.runner})
	if err != nil {
		return m, "", err
	}
	defer ws.close()
	quiet := &env{stdin: e.stdin, out: discard{}, errOut: discard{}}
	if n, err := ws.store.TransactionCount(ctx); err != nil {
		return m, "", err
	} else if n > 0 {
		return m, "", usageError{fmt.Errorf("the database already holds %d transactions; bench needs an empty one", n)}
	}

	t1 := time.Now()
	if err := runImport(ctx, quiet, ws.store, "people", in.peopleCSV); err != nil {
		return m, "", err
	}
	if err := runImport(ctx, quiet, ws.store, "transactions", in.txnCSV); err != nil {
		return m, "", err
	}
	importTime := time.Since(t1)

	files, diags, err := plans.Check([]string{in.plansDir})
	if err != nil {
		return m, "", err
	}
	if len(diags) > 0 {
		return m, "", diags
	}
	if err := publish(ctx, quiet, ws.store, files, []string{in.plansDir}); err != nil {
		return m, "", err
	}
	t2 := time.Now()
	run, err := runPeriod(ctx, quiet, ws, jobs.StartParams{Period: p.period, BatchSize: p.batchSize}, false, true)
	if err != nil {
		return m, "", err
	}
	runTime := time.Since(t2)
	endToEnd := importTime + runTime
	inRun := p.txns
	fmt.Fprintf(e.out, "backend      %s\n", ws.store.Backend())
	fmt.Fprintf(e.out, "import       %d rows in %s: %.0f rows/s\n", p.txns+in.nPeople, importTime.Round(time.Millisecond), float64(p.txns+in.nPeople)/importTime.Seconds())
	fmt.Fprintf(e.out, "run %s  %d transactions in %s: %.0f transactions/s; %d batches, %d ledger lines\n",
		p.period, inRun, runTime.Round(time.Millisecond), float64(inRun)/runTime.Seconds(), run.Batches, run.Lines)
	fmt.Fprintf(e.out, "end to end   %s (import + run)\n", endToEnd.Round(time.Millisecond))
	fmt.Fprintf(e.out, "peak RSS     %s\n", peakRSS())
	fmt.Fprintf(e.out, "digest       %s\n", run.Digest)
	m.time("import", importTime)
	m.time("run", runTime)
	m.time("end to end", endToEnd)
	// The period digest is what finalize re-reads the period for: time
	// that read on its own (the run's time above includes it once).
	t6 := time.Now()
	if d, _, err := ws.store.LedgerDigest(ctx, p.period); err != nil {
		return m, "", err
	} else if d != run.Digest {
		return m, "", fmt.Errorf("the period's digest is %s, the run recorded %s", d, run.Digest)
	}
	digestRead := time.Since(t6)
	fmt.Fprintf(e.out, "digest read  %.3f s (finalize's re-read of the period)\n", digestRead.Seconds())
	m.time("digest read", digestRead)
	if p.benchPlan {
		if err := benchHandWritten(ctx, e, ws.store, in, p.period, importTime, runTime, &m); err != nil {
			return m, "", err
		}
	} else if pg, ok := ws.store.(*pgstore.Store); ok {
		d, err := plainSQL(ctx, pg, in.per)
		if err != nil {
			return m, "", err
		}
		fmt.Fprintf(e.out, "plain SQL    one credit per transaction and a flat-rate payout per owner for the same period, in %s; icomp run / plain SQL = %.1f×\n",
			d.Round(time.Millisecond), runTime.Seconds()/d.Seconds())
		m.time("plain SQL", d)
		m.ratio("icomp run / plain SQL", runTime.Seconds()/d.Seconds())
	}
	if p.rerunOne {
		t4 := time.Now()
		if err := runImport(ctx, quiet, ws.store, "transactions", in.changedCSV); err != nil {
			return m, "", err
		}
		reimport := time.Since(t4)
		t5 := time.Now()
		rerun, err := runPeriod(ctx, quiet, ws, jobs.StartParams{Period: p.period, BatchSize: p.batchSize}, false, true)
		if err != nil {
			return m, "", err
		}
		rerunTime := time.Since(t5)
		fmt.Fprintf(e.out, "rerun-one    transaction %s changed: re-import of %d rows in %.3f s; re-run in %.3f s, %d ledger lines\n",
			changedID, p.txns, reimport.Seconds(), rerunTime.Seconds(), rerun.Lines)
		m.time("re-import", reimport)
		m.time("re-run", rerunTime)
		if p.benchPlan {
			// The hand-written side reloads the changed file and
			// computes again: icomp must now pay what it says.
			if _, err := loadBenchSQLTable(ctx, ws.store, benchSQLTxnTable, in.changedCSV, true); err != nil {
				return m, "", err
			}
			want, err := runBenchSQL(ctx, ws.store, benchSQLTxnTable, in.per)
			if err != nil {
				return m, "", err
			}
			n, err := comparePayouts(ctx, ws.store, p.period, want)
			if err != nil {
				return m, "", fmt.Errorf("after the change: %w", err)
			}
			fmt.Fprintf(e.out, "payouts match after the change: %d people\n", n)
		}
	}
	if p.benchPlan {
		if err := dropBenchSQLTables(ctx, ws.store); err != nil {
			return m, "", err
		}
	}
	return m, run.Digest, nil
}

// refuseBenchOverwrite returns a usage error naming the files bench would
// write in dir that exist already: the generated CSVs, the example plans
// and, with sqlite, the database of each of the repeats and their
// companion files.
func refuseBenchOverwrite(dir string, sqlite bool, repeats int) error {
	names := []string{"people.csv", "transactions.csv", "transactions-changed.csv", filepath.Join("plans", benchPlanName, "plan.yaml")}
	for r := 1; sqlite && r <= repeats; r++ {
		db := benchSQLiteName(r)
		names = append(names, db, db+"-wal", db+"-shm", db+".lock")
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

// benchDatabase returns the database repeat r of a bench runs in, and a
// function that cleans up after it. SQLite: icomp.db under dir for the
// first repeat, icomp-rN.db for repeat N, removed after the repeat when
// dir is bench's own temporary directory. Postgres: the first repeat
// runs in --db as given (which must be empty); repeat N creates schema
// icomp_bench_rN in that database, migrates it, runs there (through the
// URL's search_path) and drops it afterwards.
func benchDatabase(ctx context.Context, p benchParams, dir string, r int) (string, func(), error) {
	if p.db == "" {
		name := benchSQLiteName(r)
		target := filepath.Join(dir, name)
		done := func() {
			if p.dir == "" {
				for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
					os.Remove(target + suffix)
				}
			}
		}
		return target, done, nil
	}
	if r == 1 || !isPostgres(p.db) {
		return p.db, func() {}, nil
	}
	schema := fmt.Sprintf("icomp_bench_r%d", r)
	u, err := url.Parse(p.db)
	if err != nil {
		return "", nil, usageError{fmt.Errorf("--db: %w", err)}
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	admin, err := pgstore.Connect(ctx, p.db)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema %s for repeat %d (a bench that failed may have left it: drop it): %w", schema, r, err)
	}
	done := func() {
		if _, err := admin.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "icomp: drop schema %s: %v\n", schema, err)
		}
		admin.Close()
	}
	pool, err := pgstore.Connect(ctx, u.String())
	if err != nil {
		done()
		return "", nil, err
	}
	_, err = pgstore.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		done()
		return "", nil, fmt.Errorf("migrate schema %s: %w", schema, err)
	}
	return u.String(), done, nil
}

// benchSQLiteName is the SQLite database file of repeat r.
func benchSQLiteName(r int) string {
	if r == 1 {
		return "icomp.db"
	}
	return fmt.Sprintf("icomp-r%d.db", r)
}

// benchMeasure is one printed time (seconds) or ratio of a repeat.
type benchMeasure struct {
	name  string
	value float64
	ratio bool
}

// benchMeasures are a repeat's printed times and ratios, in print order.
type benchMeasures []benchMeasure

func (m *benchMeasures) time(name string, d time.Duration) {
	*m = append(*m, benchMeasure{name: name, value: d.Seconds()})
}

func (m *benchMeasures) ratio(name string, r float64) {
	*m = append(*m, benchMeasure{name: name, value: r, ratio: true})
}

// printBenchMedians prints the median over the repeats of every measure
// of the first repeat, in its order: times in seconds, ratios as ×. The
// median of an even count is the mean of the middle two.
func printBenchMedians(w io.Writer, all []benchMeasures) {
	fmt.Fprintf(w, "medians of %d repeats\n", len(all))
	for _, first := range all[0] {
		var vs []float64
		for _, m := range all {
			for _, x := range m {
				if x.name == first.name {
					vs = append(vs, x.value)
				}
			}
		}
		v := median(vs)
		if first.ratio {
			fmt.Fprintf(w, "  %-36s %.1f×\n", first.name, v)
		} else {
			fmt.Fprintf(w, "  %-36s %.3f s\n", first.name, v)
		}
	}
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
