package cli

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// startIdleRun records a run of period in db and enqueues its job without
// working it, as a run interrupted before its first batch leaves it.
func startIdleRun(t *testing.T, db, period string) int64 {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deps := &jobs.Deps[*sql.Tx]{Store: st, Plans: calc.NewPlanCache()}
	runner, err := jobs.NewRunner[*riversqlite.Driver, *sql.Tx](riversqlite.New(st.DB), deps, jobs.RunnerConfig{NoWork: true})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := runner.Start(t.Context(), jobs.StartParams{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRunCancelCommand: `icomp run cancel` refuses a period with no run in
// progress (exit 1); `icomp run` refuses to resume an interrupted run whose
// plans were republished, saying to cancel it (exit 1, nothing changes);
// after the cancel the period runs with the new version.
func TestRunCancelCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")

	r := icomp(t, "--db", db, "run", "cancel", "--period", "2027-Q1")
	if r.code != ExitFailed || !strings.Contains(r.errOut, "no run is in progress in 2027-Q1") {
		t.Fatalf("cancel with no run in progress: %s\nwant exit 1 saying no run is in progress", r)
	}

	id := startIdleRun(t, db, "2027-Q1")

	// Republish the plan as version 2 while the run is interrupted.
	plans := filepath.Join(dir, "plans")
	if err := os.MkdirAll(plans, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plan.yaml", "targets.yaml"} {
		src, err := os.ReadFile(filepath.Join("testdata/statement/plans", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "plan.yaml" {
			src = []byte(strings.Replace(string(src), `version: "1"`, `version: "2"`, 1))
		}
		if err := os.WriteFile(filepath.Join(plans, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustIcomp(t, "--db", db, "plan", "publish", plans)

	r = icomp(t, "--db", db, "run", "--period", "2027-Q1")
	if r.code != ExitFailed || !strings.Contains(r.errOut, "golden-ae version 1") || !strings.Contains(r.errOut, "golden-ae version 2") ||
		!strings.Contains(r.errOut, "icomp run cancel --period 2027-Q1") || strings.Contains(r.out, " done ") {
		t.Fatalf("run over an interrupted run of other plan versions: %s\nwant exit 1 naming both versions and icomp run cancel", r)
	}

	r = mustIcomp(t, "--db", db, "run", "cancel", "--period", "2027-Q1", "--by", "ops")
	if want := "cancelled by ops"; !strings.Contains(r.out, want) {
		t.Fatalf("cancel printed %s, want %q", r, want)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.RunGet(t.Context(), id)
	st.Close()
	if err != nil || run.Status != storage.RunFailed || run.Error != "cancelled by ops" {
		t.Fatalf("cancelled run %+v, %v", run, err)
	}
	r = mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if strings.Contains(r.errOut, "resuming") || !strings.Contains(r.out, "run 2 of 2027-Q1 done") {
		t.Fatalf("run after the cancel: %s, want a new run 2", r)
	}
}
