package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// slowStore makes every batch's transaction read outlast the batch's time
// budget, as a batch too big for it would.
type slowStore struct{ *sqlitestore.Store }

func (s slowStore) TransactionListForPeople(ctx context.Context, p storage.TransactionListForPeopleParams) ([]facts.Transaction, error) {
	<-ctx.Done()
	return s.Store.TransactionListForPeople(context.WithoutCancel(ctx), p)
}

// TestBatchTimeoutFailsRun: a batch that runs out of its time budget fails
// the run on its first attempt (no retry of the same work), with a message
// naming the plan, the budget and what the engine was doing, and posts
// nothing.
func TestBatchTimeoutFailsRun(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, 1)
	b.load(t)
	b.runner.Deps.Store = slowStore{b.st}
	b.runner.Deps.JobTimeout = 200 * time.Millisecond
	b.work(t)
	run, err := b.run(t, jobs.StartParams{Period: testPeriod, BatchSize: 50})
	if err == nil || run.Status != storage.RunFailed {
		t.Fatalf("run with batches out of time: %+v, %v; want failed", run, err)
	}
	for _, want := range []string{"of plan ", "ran out of its time budget of 200ms", "stopped while crediting transaction", "--job-timeout", "--batch-size"} {
		if !strings.Contains(run.Error, want) {
			t.Errorf("run error %q does not say %q", run.Error, want)
		}
	}
	if n := len(b.lines(t, testPeriod)); n != 0 {
		t.Errorf("the failed run posted %d lines", n)
	}
	for _, j := range b.runJobs(t, run.ID, rivertype.JobStateCancelled, rivertype.JobStateRetryable, rivertype.JobStateDiscarded) {
		if j.Kind == "icomp_batch" && (j.Attempt != 1 || j.State != rivertype.JobStateCancelled) {
			t.Errorf("batch job %d: attempt %d, %s; want cancelled on attempt 1", j.ID, j.Attempt, j.State)
		}
	}
	t.Logf("run error: %s", run.Error)
}
