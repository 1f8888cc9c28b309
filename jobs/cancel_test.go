package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// runJobs lists run id's River jobs (found by its tag) in the given states.
func (b *testBundle) runJobs(t *testing.T, id int64, states ...rivertype.JobState) []*rivertype.JobRow {
	t.Helper()
	res, err := b.runner.Client.JobList(t.Context(), river.NewJobListParams().TagsAny("icomp-run-"+strconv.FormatInt(id, 10)).States(states...).First(10_000))
	if err != nil {
		t.Fatal(err)
	}
	return res.Jobs
}

var unfinished = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// TestRunCancel: cancelling a run in progress marks it failed by whom,
// cancels its River jobs and frees the period; a period with no run in
// progress refuses, changing nothing.
func TestRunCancel(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, 2)
	b.load(t)
	ctx := t.Context()
	if _, err := b.runner.Cancel(ctx, jobs.CancelParams{Period: testPeriod, By: "tester"}); !errors.Is(err, jobs.ErrNoActiveRun) {
		t.Fatalf("cancel with no run: %v, want %v", err, jobs.ErrNoActiveRun)
	}
	if runs, _ := b.st.RunList(ctx); len(runs) != 0 {
		t.Fatalf("the refused cancel left %d runs", len(runs))
	}
	id, _, err := b.runner.Start(ctx, jobs.StartParams{Period: testPeriod})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.runJobs(t, id, unfinished...)); n != 1 {
		t.Fatalf("%d unfinished jobs tagged with run %d, want its run job", n, id)
	}
	run, err := b.runner.Cancel(ctx, jobs.CancelParams{Period: testPeriod, By: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != id || run.Status != storage.RunFailed || run.Error != "cancelled by tester" {
		t.Fatalf("cancelled run %+v", run)
	}
	if got, _ := b.st.RunGet(ctx, id); got.Status != storage.RunFailed || got.Error != "cancelled by tester" {
		t.Fatalf("stored run after cancel: %s %q", got.Status, got.Error)
	}
	if n := len(b.runJobs(t, id, unfinished...)); n != 0 {
		t.Fatalf("%d jobs of the cancelled run still unfinished", n)
	}
	if n := len(b.runJobs(t, id, rivertype.JobStateCancelled)); n != 1 {
		t.Fatalf("%d cancelled jobs of run %d, want 1", n, id)
	}
	b.work(t)
	next := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if next.ID == id {
		t.Fatalf("the run after the cancel is run %d again", id)
	}
}

// blockingStore blocks the first batch's transaction read until release
// is closed, telling entered when it is there.
type blockingStore struct {
	*sqlitestore.Store
	once             sync.Once
	entered, release chan struct{}
}

func (s *blockingStore) TransactionListForPeople(ctx context.Context, p storage.TransactionListForPeopleParams) ([]facts.Transaction, error) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.Store.TransactionListForPeople(ctx, p)
}

// TestRunCancelMidBatch: a batch computing while its run is cancelled
// posts nothing afterwards; what other batches posted before stays posted
// and sealed, and the ledger verifies.
func TestRunCancelMidBatch(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, 2)
	b.load(t)
	bs := &blockingStore{Store: b.st, entered: make(chan struct{}), release: make(chan struct{})}
	b.runner.Deps.Store = bs
	b.work(t)
	ctx := t.Context()
	id, _, err := b.runner.Start(ctx, jobs.StartParams{Period: testPeriod, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-bs.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no batch started computing")
	}
	// Let the other worker post a batch or more first.
	time.Sleep(200 * time.Millisecond)
	if _, err := b.runner.Cancel(ctx, jobs.CancelParams{Period: testPeriod, By: "tester"}); err != nil {
		t.Fatal(err)
	}
	linesAt := func() int {
		lines, err := b.st.LedgerLineList(ctx, storage.LedgerLineListParams{RunID: id})
		if err != nil {
			t.Fatal(err)
		}
		return len(lines)
	}
	atCancel := linesAt()
	close(bs.release)
	deadline := time.Now().Add(30 * time.Second)
	for len(b.runJobs(t, id, unfinished...)) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled run's jobs did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := linesAt(); got != atCancel {
		t.Fatalf("run %d has %d lines after the blocked batch finished, %d at the cancel: a cancelled run posted", id, got, atCancel)
	}
	run, err := b.st.RunGet(ctx, id)
	if err != nil || run.Status != storage.RunFailed {
		t.Fatalf("run after cancel %+v, %v", run, err)
	}
	rep, err := audit.Verify(ctx, b.st)
	if err != nil || !rep.OK() {
		t.Fatalf("ledger verify after a cancel: %+v, %v", rep, err)
	}
	t.Logf("run %d cancelled with %d line(s) posted; none after", id, atCancel)
}

// TestRunResumeRefusesChangedPlans: an interrupted run whose plans were
// republished since is not resumed with the old versions: Start says to
// cancel it first and changes nothing; after the cancel the new versions
// run.
func TestRunResumeRefusesChangedPlans(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, 2)
	b.load(t)
	ctx := t.Context()
	id, _, err := b.runner.Start(ctx, jobs.StartParams{Period: testPeriod})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/account-executive/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), `version: "2027.3"`, `version: "2027.4"`, 1)
	if changed == string(src) {
		t.Fatal("example plan version not found")
	}
	dir := filepath.Join(b.dir, "plans")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"plan.yaml": changed, "targets.yaml": ""} {
		if content == "" {
			raw, err := os.ReadFile("../examples/account-executive/" + name)
			if err != nil {
				t.Fatal(err)
			}
			content = string(raw)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.publish(t, filepath.Join(dir, "plan.yaml"), filepath.Join(dir, "targets.yaml"))

	_, resumed, err := b.runner.Start(ctx, jobs.StartParams{Period: testPeriod})
	if !errors.Is(err, jobs.ErrPlansChanged) || !resumed {
		t.Fatalf("start after republishing: resumed %v, %v; want %v", resumed, err, jobs.ErrPlansChanged)
	}
	for _, want := range []string{"ae-quarterly version 2027.3", "ae-quarterly version 2027.4", "icomp run cancel --period " + testPeriod} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if run, _ := b.st.RunGet(ctx, id); run.Status != storage.RunRunning {
		t.Fatalf("the refusal changed run %d to %s", id, run.Status)
	}
	if runs, _ := b.st.RunList(ctx); len(runs) != 1 {
		t.Fatalf("%d runs after the refusal, want 1", len(runs))
	}
	if _, err := b.runner.Cancel(ctx, jobs.CancelParams{Period: testPeriod, By: "tester"}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	run := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	old, _ := b.st.RunGet(ctx, id)
	if slices.Equal(run.Plans, old.Plans) {
		t.Fatalf("the run after the cancel computes the old plan versions %v", run.Plans)
	}
}

// TestRepublishedDuringRunKeepsPeriodMarked: a plan version published
// while a run is under way is not in that run's numbers, so the run's end
// leaves the period needing a re-run (approval refused) instead of
// clearing the mark; the next run computes the new version and clears it.
// Regression test: the run's end cleared the mark the publication set.
func TestRepublishedDuringRunKeepsPeriodMarked(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, 2)
	b.load(t)
	ctx := t.Context()
	id, _, err := b.runner.Start(ctx, jobs.StartParams{Period: testPeriod})
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/account-executive/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(b.dir, "plans")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(strings.Replace(string(src), `version: "2027.3"`, `version: "2027.4"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "targets.yaml"), must(os.ReadFile("../examples/account-executive/targets.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, filepath.Join(dir, "plan.yaml"), filepath.Join(dir, "targets.yaml"))
	b.work(t) // the run computes the versions it started with
	run, err := b.runner.Wait(ctx, id, 5*time.Millisecond, nil)
	if err != nil || run.Status != storage.RunDone {
		t.Fatalf("run %d: %s, %v", id, run.Status, err)
	}
	rec, err := b.st.PeriodGet(ctx, testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	if want := "comp plan ae-quarterly version 2027.4 published while run"; !strings.Contains(rec.NeedsRerun, want) {
		t.Fatalf("%s after the run: needs re-run %q, want %q", testPeriod, rec.NeedsRerun, want)
	}
	err = b.st.InTx(ctx, func(tx storage.Tx) error {
		p, err := periods.Parse(ctx, tx, testPeriod)
		if err != nil {
			return err
		}
		_, err = periods.Approve(ctx, tx, p, "test", "2027-04-02T00:00:00Z")
		return err
	})
	if !errors.Is(err, periods.ErrTransition) {
		t.Fatalf("approve after the run: %v, want a refusal", err)
	}
	b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if rec, err := b.st.PeriodGet(ctx, testPeriod); err != nil || rec.NeedsRerun != "" {
		t.Fatalf("%s after the second run: needs re-run %q, %v; want none", testPeriod, rec.NeedsRerun, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
