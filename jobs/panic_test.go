package jobs_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// panickyStore panics when a batch reads its transactions, as a bug in
// icomp would.
type panickyStore struct{ *sqlitestore.Store }

func (panickyStore) TransactionListForPeople(context.Context, storage.TransactionListForPeopleParams) ([]facts.Transaction, error) {
	panic("boom")
}

// A panic in a job fails the run at once, naming it, instead of waiting
// for River's retries (regression: a settlement batch that divided by
// zero kept a semi-monthly run waiting for hours).
func TestPanicFailsTheRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &testBundle{st: st, dir: dir}
	b.load(t)
	deps := &jobs.Deps[*sql.Tx]{Store: panickyStore{st}, Plans: calc.NewPlanCache()}
	if b.runner, err = jobs.NewRunner[*riversqlite.Driver, *sql.Tx](riversqlite.New(st.DB), deps, jobs.RunnerConfig{FetchCooldown: 5 * time.Millisecond, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	run, err := b.run(t, jobs.StartParams{Period: testPeriod})
	if err == nil || run.Status != storage.RunFailed || !strings.Contains(run.Error, "internal error: boom") {
		t.Fatalf("run %+v, err %v: want a failed run naming the panic", run, err)
	}
}
