package main_test

// These tests run the icomp binary as separate processes against one
// Postgres database, as a deployment does: several `icomp worker`
// processes share a period run's batches, a worker killed mid-batch loses
// nothing and doubles nothing, and the ledger comes out byte-identical to
// a single-process SQLite run of the same data.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	// The test runs the icomp binary it builds; importing the command's
	// package makes go test's cache see changes to any of its code.
	_ "github.com/icomp/icomp/cmd/icomp/cli"
	"github.com/icomp/icomp/examples"
	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/storage/pgtest"
)

// testPeriod is the quarter every test runs.
const testPeriod = "2027-Q1"

// Timeouts of the steps run as subprocesses.
const (
	// commandWaitMax bounds one short icomp command (import, publish, digest).
	commandWaitMax = 2 * time.Minute
	// runWaitMax bounds a period run, including River's rescue of a killed
	// worker's batch (its rescuer runs every 30 s).
	runWaitMax = 3 * time.Minute
	// workerReadyMax bounds a worker's start-up.
	workerReadyMax = 30 * time.Second
	// gracefulStopMax is how soon an idle worker must exit after SIGTERM.
	gracefulStopMax = 5 * time.Second
)

// workerFlags leave the job timeout and rescue delay at their defaults:
// the kill test checks that those retry a dead worker's batch within
// about a minute.
var workerFlags = []string{"--workers", "2"}

// rescueMax is how soon after a worker is killed its batch must be
// started again elsewhere, with the default timeouts: 30 s until it counts
// as stuck, up to 30 s until River's rescuer looks, a 1 s retry delay.
const rescueMax = 75 * time.Second

// binDir holds the icomp binary built for this test binary; TestMain
// removes it, and datasetDir.
var binDir string

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	for _, dir := range []string{binDir, datasetDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// icompBinary builds ./cmd/icomp once per test binary, from the module
// root, and returns its path.
var icompBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "icomp-workers-test-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "icomp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/icomp")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/icomp: %v\n%s", err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := icompBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// newCommand makes a command of bin, run in dir, that dies with the test
// binary.
func newCommand(bin, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ICOMP_DATABASE_URL=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// command makes an icomp command that dies with the test binary.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return newCommand(binary(t), t.TempDir(), args...)
}

// runIcomp runs bin to completion in dir and returns its standard output,
// or an error with its output if it fails or outlives wait.
func runIcomp(bin, dir string, wait time.Duration, args ...string) (string, error) {
	cmd := newCommand(bin, dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("icomp %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), tail(stderr.String()))
		}
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
		return "", fmt.Errorf("icomp %s: still running after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), wait, stdout.String(), tail(stderr.String()))
	}
	return stdout.String(), nil
}

// icomp runs icomp to completion and returns its standard output; a
// non-zero exit fails t.
func icomp(t *testing.T, wait time.Duration, args ...string) string {
	t.Helper()
	out, err := runIcomp(binary(t), t.TempDir(), wait, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tail keeps the end of a long log.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// process is a running icomp subprocess.
type process struct {
	name   string
	cmd    *exec.Cmd
	stdout lockedBuffer
	stderr lockedBuffer
	done   chan struct{}
	err    error // set when done is closed
}

// start starts icomp in the background. It is killed, if still running,
// when t ends.
func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{name: name, done: make(chan struct{})}
	p.cmd = command(t, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to exit and returns its error;
// os.ErrDeadlineExceeded if it is still running.
func (p *process) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return os.ErrDeadlineExceeded
	}
}

func (p *process) logs() string {
	return fmt.Sprintf("%s stdout:\n%s\n%s stderr:\n%s", p.name, tail(p.stdout.String()), p.name, tail(p.stderr.String()))
}

// startWorker starts `icomp worker` with River client id name and waits
// until it is working jobs.
func startWorker(t *testing.T, url, name string) *process {
	t.Helper()
	args := append([]string{"--db", url, "worker", "--id", name}, workerFlags...)
	w := start(t, name, args...)
	deadline := time.Now().Add(workerReadyMax)
	for !strings.Contains(w.stderr.String(), "working jobs") {
		if w.exited() {
			t.Fatalf("worker %s exited at start: %v\n%s", name, w.err, w.logs())
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %s not working jobs after %s\n%s", name, workerReadyMax, w.logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return w
}

// dataset is the generated input every test imports: about 120 people and
// 40,000 transactions dated in the test quarter, and the example plans;
// txnsChanged is the transactions file with every 25th amount raised, for
// a re-run that posts reversals.
type dataset struct {
	people, txns, txnsChanged, plans string
}

var (
	datasetOnce sync.Once
	datasetDir  string
	datasetErr  error
)

// loadDataset writes the dataset once per test binary, in datasetDir.
func loadDataset() (dataset, error) {
	datasetOnce.Do(func() {
		dir, err := os.MkdirTemp("", "icomp-workers-data-")
		if err != nil {
			datasetErr = err
			return
		}
		datasetDir = dir
		datasetErr = writeDataset(dir)
	})
	return dataset{people: filepath.Join(datasetDir, "people.csv"), txns: filepath.Join(datasetDir, "transactions.csv"),
		txnsChanged: filepath.Join(datasetDir, "transactions-changed.csv"), plans: filepath.Join(datasetDir, "plans")}, datasetErr
}

func testData(t *testing.T) dataset {
	t.Helper()
	d, err := loadDataset()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func writeDataset(dir string) error {
	cfg := datagen.ForPeople(120, 40_000)
	cfg.From = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.To = time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	for name, write := range map[string]func(*os.File) error{
		"people.csv":       func(f *os.File) error { return datagen.WritePeople(f, cfg) },
		"transactions.csv": func(f *os.File) error { return datagen.WriteTransactions(f, cfg) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := writeChangedTransactions(filepath.Join(dir, "transactions.csv"), filepath.Join(dir, "transactions-changed.csv")); err != nil {
		return err
	}
	return fs.WalkDir(examples.Plans, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := examples.Plans.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, "plans", path)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, src, 0o644)
	})
}

// writeChangedTransactions copies a transactions file with 100.00 added
// to every 25th non-zero amount.
func writeChangedTransactions(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	rows, err := csv.NewReader(in).ReadAll()
	if err != nil {
		return err
	}
	amount := slices.Index(rows[0], "amount")
	if amount < 0 {
		return fmt.Errorf("%s: no amount column", from)
	}
	hundred := decimal.RequireFromString("100.00")
	for i := 1; i < len(rows); i += 25 {
		d, err := decimal.NewFromString(rows[i][amount])
		if err != nil {
			return fmt.Errorf("%s:%d: %v", from, i+1, err)
		}
		if !d.IsZero() {
			rows[i][amount] = d.Add(hundred).StringFixed(2)
		}
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(rows); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// load imports the dataset into db and publishes the plans.
func load(t *testing.T, db string, d dataset) {
	t.Helper()
	icomp(t, commandWaitMax, "--db", db, "import", "people", d.people)
	icomp(t, commandWaitMax, "--db", db, "import", "transactions", d.txns)
	icomp(t, commandWaitMax, "--db", db, "plan", "publish", d.plans)
}

// ledgerDigest is what `icomp ledger digest --period` prints: the digest
// and the number of lines.
func ledgerDigest(t *testing.T, db string) string {
	t.Helper()
	out := strings.TrimSpace(icomp(t, commandWaitMax, "--db", db, "ledger", "digest", "--period", testPeriod))
	if !strings.HasSuffix(out, " lines") || strings.HasPrefix(out, "e3b0c442") {
		t.Fatalf("ledger digest printed %q, want a digest of posted lines", out)
	}
	return out
}

// reference is what single-process SQLite runs of the dataset leave in
// the ledger: `icomp ledger digest` output after the first run, and after
// importing the changed transactions and running again.
type reference struct {
	first, rerun string
	// closed is the digest after lifecycleSteps: adjustments, approval,
	// close, and a late adjustment posted into the next period.
	closed string
}

// lifecycleSteps adjust the run period, approve and close it, and adjust
// it again: the last run of the closed period posts a prior-period line
// into the next one. Each is a command line after --db; runs are marked.
var lifecycleSteps = [][]string{
	{"adjust", "--person", "vp-1", "--period", testPeriod, "--amount", "100", "--earning-code", "ADJ", "--reason", "spot award", "--by", "admin"},
	{"run", "--period", testPeriod},
	{"period", "approve", testPeriod, "--by", "admin"},
	{"period", "close", testPeriod, "--by", "admin"},
	{"adjust", "--person", "ae-1", "--period", testPeriod, "--amount", "-20", "--earning-code", "ADJ", "--reason", "over-credited", "--by", "admin"},
	{"run", "--period", testPeriod},
}

var (
	sqliteOnce sync.Once
	sqliteDone = make(chan struct{})
	sqliteRef  reference
	sqliteErr  error
)

// startReference starts, once per test binary, single-process SQLite runs
// of the dataset (with the default batch sizing) in the background: the
// first run, and the re-run after changed transactions. The Postgres
// tests do their own work meanwhile and compare with referenceDigests.
func startReference() {
	sqliteOnce.Do(func() {
		go func() {
			defer close(sqliteDone)
			sqliteRef, sqliteErr = runReference()
		}()
	})
}

func runReference() (reference, error) {
	var ref reference
	bin, err := icompBinary()
	if err != nil {
		return ref, err
	}
	d, err := loadDataset()
	if err != nil {
		return ref, err
	}
	dir, err := os.MkdirTemp(datasetDir, "sqlite-reference-")
	if err != nil {
		return ref, err
	}
	db := filepath.Join(dir, "reference.db")
	digest := func() (string, error) {
		out, err := runIcomp(bin, dir, commandWaitMax, "--db", db, "ledger", "digest", "--period", testPeriod)
		return strings.TrimSpace(out), err
	}
	for _, step := range []struct {
		wait time.Duration
		args []string
		into *string
	}{
		{commandWaitMax, []string{"import", "people", d.people}, nil},
		{commandWaitMax, []string{"import", "transactions", d.txns}, nil},
		{commandWaitMax, []string{"plan", "publish", d.plans}, nil},
		{runWaitMax, []string{"run", "--period", testPeriod}, &ref.first},
		{commandWaitMax, []string{"import", "transactions", d.txnsChanged}, nil},
		{runWaitMax, []string{"run", "--period", testPeriod}, &ref.rerun},
		{commandWaitMax, lifecycleSteps[0], nil},
		{runWaitMax, lifecycleSteps[1], nil},
		{commandWaitMax, lifecycleSteps[2], nil},
		{commandWaitMax, lifecycleSteps[3], nil},
		{commandWaitMax, lifecycleSteps[4], nil},
		{runWaitMax, lifecycleSteps[5], &ref.closed},
	} {
		if _, err := runIcomp(bin, dir, step.wait, append([]string{"--db", db}, step.args...)...); err != nil {
			return ref, fmt.Errorf("SQLite reference: %w", err)
		}
		if step.into != nil {
			if *step.into, err = digest(); err != nil {
				return ref, fmt.Errorf("SQLite reference: %w", err)
			}
		}
	}
	return ref, nil
}

// referenceDigests waits for the SQLite reference runs (starting them if
// need be) and returns their digests.
func referenceDigests(t *testing.T) reference {
	t.Helper()
	startReference()
	select {
	case <-sqliteDone:
	case <-t.Context().Done():
		t.Fatal("test ended waiting for the SQLite reference run")
	}
	if sqliteErr != nil {
		t.Fatal(sqliteErr)
	}
	for _, d := range []string{sqliteRef.first, sqliteRef.rerun, sqliteRef.closed} {
		if !strings.HasSuffix(d, " lines") || strings.HasPrefix(d, "e3b0c442") {
			t.Fatalf("SQLite reference digest %q, want a digest of posted lines", d)
		}
	}
	return sqliteRef
}

// migratedDatabase returns a fresh Postgres database migrated by `icomp
// migrate`, and a pool on it for the test's own queries.
func migratedDatabase(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	out := icomp(t, commandWaitMax, "--db", url, "migrate")
	if !strings.Contains(out, "schema version") {
		t.Fatalf("icomp migrate printed %q", out)
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return url, pool
}

// runState is the newest run's row.
type runState struct {
	id                    int64
	batches, batchesDone  int
	status, errorMessage  string
	batchSize, linesTotal int
}

func latestRun(ctx context.Context, pool *pgxpool.Pool) (runState, error) {
	var r runState
	err := pool.QueryRow(ctx, `SELECT id, batches, batches_done, status, error, batch_size, lines FROM run ORDER BY id DESC LIMIT 1`).
		Scan(&r.id, &r.batches, &r.batchesDone, &r.status, &r.errorMessage, &r.batchSize, &r.linesTotal)
	return r, err
}

// checkLedger checks the posted ledger: no key twice, and no logical key
// posted twice without a reversal between. After one run on a fresh
// database (rerun false) there must be one line per logical key and no
// reversals; after a re-run with changed data, some reversals.
func checkLedger(t *testing.T, pool *pgxpool.Pool, rerun bool) {
	t.Helper()
	ctx := t.Context()
	var dupKeys int
	if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT key FROM ledger_line GROUP BY key HAVING COUNT(*) > 1) d`).Scan(&dupKeys); err != nil {
		t.Fatal(err)
	}
	if dupKeys != 0 {
		t.Errorf("%d idempotency keys posted more than once", dupKeys)
	}
	rows, err := pool.Query(ctx, `SELECT ledger, plan, period, person, subject, kind FROM ledger_line ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	last := map[[5]string]string{}
	var doubled []string
	var posts, reversals int
	for rows.Next() {
		var k [5]string
		var kind string
		if err := rows.Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &kind); err != nil {
			t.Fatal(err)
		}
		if kind == "post" {
			posts++
			if last[k] == "post" && len(doubled) < 10 {
				doubled = append(doubled, strings.Join(k[:], "/"))
			}
		} else {
			reversals++
		}
		last[k] = kind
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(doubled) > 0 {
		t.Errorf("logical keys posted twice without a reversal between: %v", doubled)
	}
	switch {
	case !rerun && (reversals != 0 || posts != len(last)):
		t.Errorf("one run on a fresh database posted %d lines and %d reversals for %d logical keys; want one line per key and no reversals",
			posts, reversals, len(last))
	case rerun && reversals == 0:
		t.Errorf("the re-run with changed transactions posted no reversals (%d lines for %d logical keys)", posts, len(last))
	}
}

// workersOfBatches counts, per River client id, the batch jobs it
// completed.
func workersOfBatches(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT attempted_by[array_length(attempted_by, 1)], COUNT(*) FROM river_job
		WHERE kind = 'icomp_batch' AND state = 'completed' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		m[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWorkersShareARun: three worker processes work a run of many small
// batches; the ledger equals the single-process SQLite run's.
func TestWorkersShareARun(t *testing.T) {
	t.Parallel()
	pgtest.Shared(t) // skip (or fail) before the SQLite reference run when there is no Postgres
	startReference()
	d := testData(t)
	url, pool := migratedDatabase(t)
	load(t, url, d)
	// Two `icomp run` of the period at once: one starts the run, the
	// other waits for that same run. The workers start only once both
	// have enqueued or found the run, so the run cannot finish before the
	// second asks for it.
	t0 := time.Now()
	args := []string{"--db", url, "run", "--period", testPeriod, "--batch-size", "3"}
	runners := []*process{start(t, "run-1", args...), start(t, "run-2", args...)}
	for _, r := range runners {
		deadline := time.Now().Add(commandWaitMax)
		for !strings.Contains(r.stderr.String(), "waiting for icomp worker processes") && !strings.Contains(r.stderr.String(), "resuming run") {
			if r.exited() || time.Now().After(deadline) {
				t.Fatalf("%s did not enqueue or find the run: %v\n%s", r.name, r.err, r.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var workers []*process
	for i := 1; i <= 3; i++ {
		workers = append(workers, startWorker(t, url, fmt.Sprintf("share-w%d", i)))
	}
	for _, r := range runners {
		if err := r.wait(runWaitMax); err != nil {
			t.Fatalf("%s: %v\n%s", r.name, err, r.logs())
		}
		t.Logf("%s on 3 workers: %s", r.name, strings.TrimSpace(r.stdout.String()))
	}
	t.Logf("run on 3 workers took %s", time.Since(t0).Round(time.Millisecond))
	run, err := latestRun(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if run.id != 1 || run.status != "done" || run.batches < 20 || run.batchesDone != run.batches {
		t.Fatalf("run = %+v, want run 1 done in many batches", run)
	}
	for _, r := range runners {
		if want := fmt.Sprintf("run %d of %s done", run.id, testPeriod); !strings.Contains(r.stdout.String(), want) {
			t.Errorf("%s printed %q, want %q", r.name, r.stdout.String(), want)
		}
	}
	if got, want := ledgerDigest(t, url), referenceDigests(t).first; got != want {
		for _, w := range workers {
			t.Log(w.logs())
		}
		t.Fatalf("Postgres run on 3 workers: ledger digest %s, want the SQLite run's %s", got, want)
	}
	checkLedger(t, pool, false)

	// Changed transactions and a re-run on the workers: reversals and new
	// lines for exactly what changed, as on SQLite.
	icomp(t, commandWaitMax, "--db", url, "import", "transactions", d.txnsChanged)
	out := icomp(t, runWaitMax, "--db", url, "run", "--period", testPeriod, "--batch-size", "3")
	t.Logf("re-run on 3 workers: %s", strings.TrimSpace(out))
	if got, want := ledgerDigest(t, url), referenceDigests(t).rerun; got != want {
		t.Fatalf("Postgres re-run on 3 workers: ledger digest %s, want the SQLite re-run's %s", got, want)
	}
	checkLedger(t, pool, true)

	// Adjustments, approval, close and a prior-period line, on the
	// workers: the same ledger as on SQLite.
	for _, step := range lifecycleSteps {
		wait := commandWaitMax
		if step[0] == "run" {
			wait = runWaitMax
			step = append(step[:len(step):len(step)], "--batch-size", "3")
		}
		icomp(t, wait, append([]string{"--db", url}, step...)...)
	}
	if got, want := ledgerDigest(t, url), referenceDigests(t).closed; got != want {
		t.Fatalf("Postgres after close and a prior-period adjustment: ledger digest %s, want SQLite's %s", got, want)
	}
	var prior int
	if err := pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM ledger_line WHERE period = $1 AND posted_period <> period`, testPeriod).Scan(&prior); err != nil || prior == 0 {
		t.Fatalf("prior-period lines: %d, %v; want the late adjustment posted into the next period", prior, err)
	}
	if out := icomp(t, commandWaitMax, "--db", url, "ledger", "verify"); !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("ledger verify on Postgres: %s", out)
	}

	by := workersOfBatches(t, pool)
	t.Logf("batches completed per worker: %v", by)
	if len(by) < 2 {
		t.Errorf("batches completed per worker %v: want the run spread over several workers", by)
	}
	for _, w := range workers {
		if w.exited() {
			t.Errorf("worker %s exited during the run: %v\n%s", w.name, w.err, w.logs())
		}
	}
}

// TestWorkerKilledMidRun kills -9 a worker while it works a batch. River
// rescues the batch and another worker retries it; the run completes with
// the same ledger as the SQLite run, nothing posted twice. If the kill
// comes too late to hit a batch in flight, it is tried again with smaller
// batches, never passed vacuously.
func TestWorkerKilledMidRun(t *testing.T) {
	t.Parallel()
	pgtest.Shared(t) // skip (or fail) before the SQLite reference run when there is no Postgres
	startReference()
	d := testData(t)
	for _, batchSize := range []int{3, 2, 1} {
		hit := false
		if !t.Run(fmt.Sprintf("batch size %d", batchSize), func(t *testing.T) { hit = killMidRun(t, d, batchSize) }) {
			return
		}
		if hit {
			return
		}
		t.Logf("batch size %d: the kill did not hit a batch in flight; trying again with smaller batches", batchSize)
	}
	t.Fatal("every attempt finished the run before a worker could be killed mid-batch")
}

// killMidRun does one attempt; it reports false if it could not kill a
// worker while that worker had a batch in flight.
func killMidRun(t *testing.T, d dataset, batchSize int) bool {
	ctx := t.Context()
	url, pool := migratedDatabase(t)
	load(t, url, d)
	workers := map[string]*process{}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("kill-w%d", i)
		workers[name] = startWorker(t, url, name)
	}
	t0 := time.Now()
	runner := start(t, "run", "--db", url, "run", "--period", testPeriod, "--batch-size", strconv.Itoa(batchSize))

	// Wait until some, not all, batches are done, then kill a worker that
	// has a batch in flight.
	var victim string
	var victimJobs []int64
	var atKill runState
	for victim == "" {
		if runner.exited() {
			t.Logf("the run ended before the kill: %v", runner.err)
			return false
		}
		if time.Since(t0) > runWaitMax {
			t.Fatalf("no batch done after %s\n%s", runWaitMax, runner.logs())
		}
		run, err := latestRun(ctx, pool)
		if errors.Is(err, pgx.ErrNoRows) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if run.status != "running" {
			t.Logf("run %s before the kill: %+v", run.status, run)
			return false
		}
		if run.batches == 0 || run.batchesDone == 0 || run.batchesDone >= run.batches {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		rows, err := pool.Query(ctx, `SELECT id, attempted_by[array_length(attempted_by, 1)] FROM river_job
			WHERE kind = 'icomp_batch' AND state = 'running' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		running := map[string][]int64{}
		for rows.Next() {
			var id int64
			var by string
			if err := rows.Scan(&id, &by); err != nil {
				t.Fatal(err)
			}
			running[by] = append(running[by], id)
		}
		rows.Close()
		for name, ids := range running {
			if workers[name] != nil {
				victim, victimJobs, atKill = name, ids, run
				break
			}
		}
		if victim == "" {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := workers[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killTime := time.Now()
	killedAt := time.Since(t0)
	if err := workers[victim].wait(10 * time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("killed worker %s: %v, want it dead by SIGKILL", victim, err)
	}
	t.Logf("killed %s at %s with batch job(s) %v in flight; run %d at %d/%d batches",
		victim, killedAt.Round(time.Millisecond), victimJobs, atKill.id, atKill.batchesDone, atKill.batches)

	err := runner.wait(runWaitMax)
	if err != nil {
		for _, w := range workers {
			t.Log(w.logs())
		}
		t.Fatalf("icomp run after the kill: %v\n%s", err, runner.logs())
	}
	t.Logf("run finished %s after the kill: %s", (time.Since(t0) - killedAt).Round(time.Millisecond), strings.TrimSpace(runner.stdout.String()))

	// Did the kill hit a batch in flight? Then River rescued its job and
	// another worker retried it.
	var retried int
	if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE id = ANY($1) AND attempt > 1
		AND state = 'completed' AND attempted_by[array_length(attempted_by, 1)] <> $2`, victimJobs, victim).Scan(&retried); err != nil {
		t.Fatal(err)
	}
	run, err := latestRun(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if run.status != "done" || run.batchesDone != run.batches {
		t.Fatalf("run after the kill = %+v, want done with every batch", run)
	}
	if got, want := ledgerDigest(t, url), referenceDigests(t).first; got != want {
		t.Fatalf("run with a killed worker: ledger digest %s, want the SQLite run's %s", got, want)
	}
	checkLedger(t, pool, false)
	var unfinished int
	if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE state <> 'completed'`).Scan(&unfinished); err != nil {
		t.Fatal(err)
	}
	if unfinished != 0 {
		t.Errorf("%d River jobs not completed after the run", unfinished)
	}
	if retried == 0 {
		t.Logf("the killed worker's batch(es) %v had committed before the kill landed: nothing was rescued", victimJobs)
		return false
	}
	var restarted time.Time
	if err := pool.QueryRow(ctx, `SELECT MAX(attempted_at) FROM river_job WHERE id = ANY($1) AND attempt > 1`, victimJobs).Scan(&restarted); err != nil {
		t.Fatal(err)
	}
	rescue := restarted.Sub(killTime)
	t.Logf("the killed worker's batch was started again by another worker %s after the kill (default timeouts)", rescue.Round(time.Millisecond))
	if rescue > rescueMax {
		t.Errorf("a dead worker's batch was retried %s after the kill, want within %s", rescue.Round(time.Second), rescueMax)
	}
	t.Logf("%d of the killed worker's batch job(s) rescued and retried by another worker", retried)
	return true
}

// TestWorkerGracefulStop: SIGTERM makes an idle worker exit 0 promptly.
func TestWorkerGracefulStop(t *testing.T) {
	t.Parallel()
	url, _ := migratedDatabase(t)
	w := startWorker(t, url, "graceful")
	t0 := time.Now()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := w.wait(gracefulStopMax)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("worker still running %s after SIGTERM\n%s", gracefulStopMax, w.logs())
	}
	if err != nil {
		t.Fatalf("worker after SIGTERM: %v, want exit 0\n%s", err, w.logs())
	}
	if !strings.Contains(w.stderr.String(), "stopped") {
		t.Errorf("worker did not say it stopped:\n%s", w.logs())
	}
	t.Logf("idle worker exited 0 %s after SIGTERM", time.Since(t0).Round(time.Millisecond))
}

// TestWorkerGracefulStopBusy: SIGTERM to a worker with batches in flight
// lets them finish (not abandoned to River's rescuer), takes no new ones
// and exits 0; `icomp run --local` then resumes the run and finishes it
// in-process, with the same ledger as the SQLite run.
func TestWorkerGracefulStopBusy(t *testing.T) {
	t.Parallel()
	pgtest.Shared(t) // skip (or fail) before the SQLite reference run when there is no Postgres
	startReference()
	ctx := t.Context()
	d := testData(t)
	url, pool := migratedDatabase(t)
	load(t, url, d)
	w := startWorker(t, url, "busy-w1")
	waiter := start(t, "run", "--db", url, "run", "--period", testPeriod, "--batch-size", "3")

	var inFlight []int64
	deadline := time.Now().Add(runWaitMax)
	for len(inFlight) == 0 {
		if time.Now().After(deadline) || waiter.exited() {
			t.Fatalf("no batch in flight on the worker while the run went on\n%s\n%s", waiter.logs(), w.logs())
		}
		run, err := latestRun(ctx, pool)
		if err != nil || run.batchesDone == 0 {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		rows, err := pool.Query(ctx, `SELECT id FROM river_job WHERE kind = 'icomp_batch' AND state = 'running'`)
		if err != nil {
			t.Fatal(err)
		}
		inFlight, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := w.wait(30 * time.Second); err != nil {
		t.Fatalf("busy worker after SIGTERM: %v, want exit 0\n%s", err, w.logs())
	}
	var finished int
	if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE id = ANY($1) AND state = 'completed' AND attempt = 1`, inFlight).Scan(&finished); err != nil {
		t.Fatal(err)
	}
	if finished != len(inFlight) {
		t.Fatalf("%d of the %d batch jobs in flight at SIGTERM were finished by the stopping worker, want all", finished, len(inFlight))
	}
	run, err := latestRun(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worker stopped with run %d at %d/%d batches; %d in-flight batch(es) finished first", run.id, run.batchesDone, run.batches, len(inFlight))
	if run.status != "running" || run.batchesDone >= run.batches {
		t.Fatalf("run after the worker stopped = %+v, want it still running with batches left (a stopping worker takes no new jobs)", run)
	}

	out := icomp(t, runWaitMax, "--db", url, "run", "--period", testPeriod, "--local", "--workers", "2")
	if !strings.Contains(out, fmt.Sprintf("run %d of %s done", run.id, testPeriod)) {
		t.Fatalf("icomp run --local printed %q, want it to finish run %d", out, run.id)
	}
	if err := waiter.wait(runWaitMax); err != nil {
		t.Fatalf("the first icomp run, waiting for workers: %v\n%s", err, waiter.logs())
	}
	if got, want := ledgerDigest(t, url), referenceDigests(t).first; got != want {
		t.Fatalf("run finished by --local after a graceful stop: ledger digest %s, want the SQLite run's %s", got, want)
	}
	checkLedger(t, pool, false)
}

// TestUnmigratedDatabaseRefused: every command that needs the schema
// refuses an unmigrated Postgres database, says to run icomp migrate, and
// creates nothing.
func TestUnmigratedDatabaseRefused(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	d := testData(t)
	for _, args := range [][]string{
		{"worker"},
		{"run", "--period", testPeriod},
		{"import", "people", d.people},
		{"ledger", "digest"},
	} {
		cmd := command(t, append([]string{"--db", url}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "icomp migrate") {
			t.Errorf("icomp %s on an unmigrated database: %v, stderr %q; want exit 2 saying to run icomp migrate", strings.Join(args, " "), err, stderr.String())
		}
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tables int
	if err := pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused commands created %d tables", tables)
	}
}
