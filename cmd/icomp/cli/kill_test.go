package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// killPeriod is the period the kill -9 test runs.
const killPeriod = "2027-Q1"

// killAttemptsMax is how many workspaces the kill -9 test tries before it
// gives up on catching a run mid-way.
const killAttemptsMax = 4

// TestRunSurvivesKill9 starts `icomp run` in a child process, kills it
// with SIGKILL while some but not all of its batches are done, and runs
// the period again: the run must resume, finish, post every line exactly
// once, and leave the same ledger as a run that was never interrupted.
func TestRunSurvivesKill9(t *testing.T) {
	t.Parallel()
	cfg := datagen.Config{Regions: 2, Transactions: 4000}
	for attempt := 1; attempt <= killAttemptsMax; attempt++ {
		db := killWorkspace(t, cfg)
		if !killMidRun(t, db) {
			// The run finished before it could be caught: more data makes
			// each batch slower. Never pass without a kill mid-run.
			t.Logf("attempt %d: the run finished before it was caught mid-way; retrying with more data", attempt)
			cfg.Transactions *= 2
			continue
		}

		// A new process, as after a crash; bounded, so that a run that can
		// never finish (jobs stuck in running) fails instead of hanging.
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		resume := exec.CommandContext(ctx, os.Args[0], "--db", db, "run", "--period", killPeriod, "--batch-size", "1")
		resume.Env = append(os.Environ(), execMainEnv+"=1")
		var out, errOut bytes.Buffer
		resume.Stdout, resume.Stderr = &out, &errOut
		err := resume.Run()
		cancel()
		r := result{out: out.String(), errOut: errOut.String()}
		if err != nil {
			t.Fatalf("icomp run after the kill: %v\n%s", err, r)
		}
		if !strings.Contains(r.errOut, "resuming run 1 of "+killPeriod+", which was interrupted") {
			t.Fatalf("the run after the kill did not resume run 1: %s", r)
		}
		if !strings.Contains(r.out, "run 1 of "+killPeriod+" done") {
			t.Fatalf("the resumed run did not finish: %s", r)
		}
		resumed := ledgerState(t, db)

		ref := killWorkspace(t, cfg)
		mustIcomp(t, "--db", ref, "run", "--period", killPeriod, "--batch-size", "1")
		want := ledgerState(t, ref)

		// Every line posted exactly once: a first run of a period posts one
		// line per logical key and no reversals.
		chains := map[ledger.Key]int{}
		for _, l := range resumed.lines {
			if l.Kind != ledger.KindPost || l.Supersedes != "" {
				t.Fatalf("line %s is a %s superseding %q: a first run posts only new lines", l.Key, l.Kind, l.Supersedes)
			}
			chains[ledger.KeyOf(l)]++
		}
		for k, n := range chains {
			if n != 1 {
				t.Fatalf("%+v posted %d times", k, n)
			}
		}
		if len(resumed.lines) != len(want.lines) {
			t.Fatalf("the resumed run left %d lines, an uninterrupted run %d", len(resumed.lines), len(want.lines))
		}
		if got, want := ledger.Digest(resumed.lines), ledger.Digest(want.lines); got != want {
			t.Fatalf("the resumed run's digest %s, an uninterrupted run's %s", got, want)
		}
		run := resumed.run
		if run.Status != storage.RunDone || run.Batches == 0 || run.BatchesDone != run.Batches || run.Lines != len(resumed.lines) ||
			run.Digest != ledger.Digest(resumed.lines) {
			t.Fatalf("resumed run %+v: want done, every batch counted once, all %d lines and their digest", run, len(resumed.lines))
		}
		if resumed.jobsNotCompleted != 0 {
			t.Fatalf("%d River jobs are not completed", resumed.jobsNotCompleted)
		}
		return
	}
	t.Fatalf("in %d attempts the run always finished before it could be killed mid-way", killAttemptsMax)
}

// killWorkspace prepares a workspace with cfg's data imported and the
// example plans published.
func killWorkspace(t *testing.T, cfg datagen.Config) (db string) {
	t.Helper()
	dir := t.TempDir()
	people, txns := filepath.Join(dir, "people.csv"), filepath.Join(dir, "transactions.csv")
	if err := writeFile(people, func(f *os.File) error { return datagen.WritePeople(f, cfg) }); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(txns, func(f *os.File) error { return datagen.WriteTransactions(f, cfg) }); err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(dir, "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", people)
	mustIcomp(t, "--db", db, "import", "transactions", txns)
	mustIcomp(t, "--db", db, "plan", "publish", "../../../examples")
	return db
}

// killMidRun runs `icomp run` on db in a child process (this test binary,
// running Main) with one person per batch, and sends it SIGKILL once some
// but not all batches are done. It reports whether the kill caught the
// run mid-way; false means the run finished first.
func killMidRun(t *testing.T, db string) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--db", db, "run", "--period", killPeriod, "--batch-size", "1")
	cmd.Env = append(os.Environ(), execMainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	// Watch the run row through a second connection. The child holds the
	// workspace lock (an flock on db+".lock"), not the database: in WAL
	// mode another connection reads while it writes.
	watch, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	watch.SetMaxOpenConns(1)
	progress := func() (status string, batches, done int, err error) {
		err = watch.QueryRow(`SELECT status, batches, batches_done FROM run ORDER BY id DESC LIMIT 1`).Scan(&status, &batches, &done)
		return status, batches, done, err
	}

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			killed = true // nothing left to kill
			if err != nil {
				t.Fatalf("icomp run exited on its own: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
			}
			return false
		default:
		}
		status, batches, done, err := progress()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Not started yet.
		case err != nil:
			t.Fatalf("watch the run: %v", err)
		case status != storage.RunRunning:
			// Finished between two looks; the exit is picked up above.
		case batches > 0 && done >= 1 && done <= batches-2:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err := <-exited
			killed = true
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("icomp run ended with %v, want killed by SIGKILL\nstderr:\n%s", err, errOut.String())
			}
			status, batches, done, err := progress()
			if err != nil {
				t.Fatal(err)
			}
			if status != storage.RunRunning || done >= batches {
				return false // it finished in the instant before the kill
			}
			t.Logf("killed icomp run with %d of %d batches done", done, batches)
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("icomp run did not get mid-way in 60s\nstderr:\n%s", errOut.String())
	return false
}

type killLedger struct {
	run              storage.Run
	lines            []ledger.Line
	jobsNotCompleted int
}

// ledgerState reads the period's only run, its ledger lines and how many
// River jobs are not completed.
func ledgerState(t *testing.T, db string) killLedger {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var s killLedger
	runs, err := st.RunList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1: %+v", len(runs), runs)
	}
	s.run = runs[0]
	if s.lines, err = st.LedgerLineList(t.Context(), storage.LedgerLineListParams{Period: killPeriod}); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM river_job WHERE state <> 'completed'`).Scan(&s.jobsNotCompleted); err != nil {
		t.Fatal(err)
	}
	return s
}
