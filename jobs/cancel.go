package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/storage"
)

// ErrNoActiveRun is returned by Cancel when the period has no run in
// progress.
var ErrNoActiveRun = errors.New("no run is in progress")

// ErrPlansChanged is returned by Start when the period's run in progress
// computes other plan versions than the ones published now.
var ErrPlansChanged = errors.New("the published plans changed since the run in progress started")

// runTag tags every River job of run id, so that cancelling the run can
// find its jobs.
func runTag(id int64) string { return "icomp-run-" + strconv.FormatInt(id, 10) }

// InsertOpts tags the job with its run.
func (a RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Tags: []string{runTag(a.RunID)}}
}

// InsertOpts tags the job with its run.
func (a BatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Tags: []string{runTag(a.RunID)}}
}

// InsertOpts tags the job with its run.
func (a SettleSplitArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Tags: []string{runTag(a.RunID)}}
}

// InsertOpts tags the job with its run.
func (a FinalizeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Tags: []string{runTag(a.RunID)}}
}

// CancelParams ends a period's run in progress.
type CancelParams struct {
	Period string
	// By names who cancels, for the run's error ("cancelled by By").
	By string
}

// Cancel ends the period's run in progress: the run is marked failed
// ("cancelled by By"), what its batches posted stays posted and is sealed,
// its River jobs not yet finished are cancelled, and the period is free
// for the next run. A batch computing meanwhile posts nothing: counting a
// batch done re-reads the run's status under the run row's lock. It
// returns the cancelled run, or ErrNoActiveRun (changing nothing).
func (r *Runner[TDriver, TTx]) Cancel(ctx context.Context, p CancelParams) (storage.Run, error) {
	if p.By == "" {
		return storage.Run{}, errors.New("cancel: who cancels is required")
	}
	var run storage.Run
	err := r.Deps.Store.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		// The inputs lock before the run's row, as finishing takes them.
		if err := tx.LockInputs(ctx); err != nil {
			return err
		}
		var err error
		run, err = tx.RunActive(ctx, p.Period)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w in %s: nothing to cancel (icomp runs list)", ErrNoActiveRun, p.Period)
		}
		if err != nil {
			return err
		}
		run.Status, run.Error, run.FinishedAt = storage.RunFailed, "cancelled by "+p.By, r.Deps.now()
		if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: run.ID, Status: run.Status, Error: run.Error, FinishedAt: run.FinishedAt}); err != nil {
			return err
		}
		if err := audit.SealRun(ctx, tx, run.ID); err != nil {
			return err
		}
		if err := recordRun(ctx, tx, run.ID); err != nil {
			return err
		}
		return r.cancelJobs(ctx, dtx, run.ID)
	})
	return run, err
}

// cancelJobs cancels run id's River jobs that have not finished. Jobs
// enqueued before jobs were tagged are not found here; their workers see
// the run is no longer running and complete without posting.
func (r *Runner[TDriver, TTx]) cancelJobs(ctx context.Context, dtx TTx, id int64) error {
	params := river.NewJobListParams().TagsAny(runTag(id)).First(10_000).States(
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled)
	for {
		res, err := r.Client.JobListTx(ctx, dtx, params)
		if err != nil {
			return err
		}
		for _, job := range res.Jobs {
			if _, err := r.Client.JobCancelTx(ctx, dtx, job.ID); err != nil && !errors.Is(err, river.ErrNotFound) {
				return err
			}
		}
		if len(res.Jobs) == 0 || res.LastCursor == nil {
			return nil
		}
		params = params.After(res.LastCursor)
	}
}
