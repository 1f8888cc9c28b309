package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// RunnerConfig configures a Runner. The zero value is the default.
type RunnerConfig struct {
	// Workers is how many jobs this process works at once (default 1).
	// SQLite has one connection, so more do not help there.
	Workers int
	// FetchCooldown is the minimum time between job fetches (default 5 ms):
	// a batch is seconds of work, so fetching often costs nothing.
	FetchCooldown time.Duration
	// ID names this process among River clients (default River's).
	ID string
	// NoWork makes a client that only inserts jobs (default false).
	NoWork bool
	// JobTimeout bounds one job's run (default BatchTimeout, 20 s). A job
	// that runs out of it fails its run with a message naming it.
	JobTimeout time.Duration
	// Logger receives River's own log lines (default River's: stderr).
	Logger *slog.Logger
	// RescueAfter is how long a job may stay running before River's
	// rescuer makes it available to another worker, e.g. after its worker
	// died (default JobTimeout + RescueMargin: 30 s with the default
	// timeout). The rescuer looks every 30 s, so with the defaults a dead
	// worker's batch is retried elsewhere within about a minute. It must
	// exceed JobTimeout, or batches still working would be run twice.
	RescueAfter time.Duration
}

// Runner owns a River client for driver TDriver and the run operations.
type Runner[TDriver riverdriver.Driver[TTx], TTx any] struct {
	Client *river.Client[TTx]
	Deps   *Deps[TTx]
}

// NewRunner builds the River client with icomp's workers registered.
func NewRunner[TDriver riverdriver.Driver[TTx], TTx any](driver TDriver, deps *Deps[TTx], cfg RunnerConfig) (*Runner[TDriver, TTx], error) {
	workers := river.NewWorkers()
	Register[TDriver, TTx](workers, deps)
	rc := &river.Config{
		Workers:           workers,
		FetchCooldown:     cfg.FetchCooldown,
		FetchPollInterval: 5 * time.Millisecond,
		JobTimeout:        cmp.Or(cfg.JobTimeout, BatchTimeout),
		MaxAttempts:       10,
		ID:                cfg.ID,
		Logger:            cfg.Logger,
	}
	rc.RescueStuckJobsAfter = cmp.Or(cfg.RescueAfter, rc.JobTimeout+RescueMargin)
	deps.JobTimeout = rc.JobTimeout
	if rc.FetchCooldown == 0 {
		rc.FetchCooldown = 5 * time.Millisecond
	}
	if !cfg.NoWork {
		n := cfg.Workers
		if n <= 0 {
			n = 1
		}
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
	}
	client, err := river.NewClient[TTx](driver, rc)
	if err != nil {
		return nil, err
	}
	return &Runner[TDriver, TTx]{Client: client, Deps: deps}, nil
}

// StartParams starts a period run.
type StartParams struct {
	Period string
	// Plan limits the run to one comp plan; empty runs every published plan
	// effective in the period.
	Plan string
	// BatchSize fixes the people per batch; 0 sizes batches by transactions.
	BatchSize int
	// Full recomputes every person even when the changes since the
	// period's last run reach only some (incremental.go).
	Full bool
}

// ErrNoPlans is returned when no published plan is effective in the period.
var ErrNoPlans = calc.ErrNoPlans

// Start records a run and enqueues its job in one transaction. If the
// period already has a run in progress (for example after a crash), it
// returns that run's id and resumed=true instead.
func (r *Runner[TDriver, TTx]) Start(ctx context.Context, p StartParams) (runID int64, resumed bool, err error) {
	st := r.Deps.Store
	if p.BatchSize < 0 || p.BatchSize > BatchSizeMax {
		return 0, false, fmt.Errorf("batch size %d: want 1 to %d people (0 sizes batches by transactions)", p.BatchSize, BatchSizeMax)
	}
	if active, err := st.RunActive(ctx, p.Period); err == nil {
		return active.ID, true, r.samePlans(ctx, active)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return 0, false, err
	}
	hashes, err := r.plansFor(ctx, p)
	if err != nil {
		return 0, false, err
	}
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		// A change to the run's inputs (an import, an adjustment) commits
		// before this run starts, or sees it and is refused.
		if err := tx.LockInputs(ctx); err != nil {
			return err
		}
		// Every plan the run computes reads labels with the company
		// calendar (the first plan sets it in a workspace that has none).
		for _, h := range hashes {
			plan, err := r.Deps.Plans.Comp(ctx, tx, h)
			if err != nil {
				return err
			}
			if err := periods.AgreeCalendar(ctx, tx, plan.Name, plan.Calendar); err != nil {
				return err
			}
		}
		cal, err := periods.Calendar(ctx, tx)
		if err != nil {
			return err
		}
		per, err := cal.Parse(p.Period)
		if err != nil {
			return err
		}
		posted, err := periods.PostingPeriod(ctx, tx, cal, per)
		if err != nil {
			return err
		}
		imported, err := tx.ImportBatchLatest(ctx)
		if err != nil {
			return err
		}
		// Read under the inputs lock: every change committed before this
		// run is at or below seq, and none can commit below it later.
		seq, err := tx.InputChangeSeq(ctx)
		if err != nil {
			return err
		}
		policies, err := tx.PlanVersionListLatest(ctx, plans.KindSettlementPolicy)
		if err != nil {
			return err
		}
		var policyHashes []string
		for _, v := range policies {
			policyHashes = append(policyHashes, v.Hash)
		}
		id, err := tx.RunInsert(ctx, storage.Run{Period: per.Label, BatchSize: p.BatchSize, Plans: hashes, PlanFilter: p.Plan,
			PostedPeriod: posted.Label, Inputs: fmt.Sprintf("import_batch=%d", imported), StartedAt: r.Deps.now(), Policies: policyHashes,
			InputSeq: seq})
		if err != nil {
			return err
		}
		runID = id
		_, err = r.Client.InsertTx(ctx, dtx, RunArgs{RunID: id, Full: p.Full}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
		return err
	})
	if errors.Is(err, storage.ErrRunInProgress) {
		// Another process started the period's run since the check
		// above: wait for that one, as if it had come first.
		if active, aerr := st.RunActive(ctx, p.Period); aerr == nil {
			return active.ID, true, r.samePlans(ctx, active)
		}
	}
	return runID, false, err
}

// samePlans returns nil when the plan versions published now for run's
// period (and plan filter) are the ones it computes, and ErrPlansChanged
// naming the differences otherwise: resuming it would compute the old
// versions, so it must be cancelled and run again.
func (r *Runner[TDriver, TTx]) samePlans(ctx context.Context, run storage.Run) error {
	now, err := r.plansFor(ctx, StartParams{Period: run.Period, Plan: run.PlanFilter})
	if err != nil && !errors.Is(err, ErrNoPlans) {
		return err
	}
	if slices.Equal(now, run.Plans) {
		return nil
	}
	describe := func(hashes []string) string {
		var out []string
		for _, h := range hashes {
			v, err := r.Deps.Store.PlanVersionGet(ctx, h)
			if err != nil {
				out = append(out, h)
				continue
			}
			out = append(out, fmt.Sprintf("%s version %s (%.12s)", v.Name, v.Version, h))
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, ", ")
	}
	return fmt.Errorf("%w: run %d of %s (in progress or interrupted) computes %s; published now: %s. Cancel it first (icomp run cancel --period %s), then run the period again",
		ErrPlansChanged, run.ID, run.Period, describe(run.Plans), describe(now), run.Period)
}

func (r *Runner[TDriver, TTx]) plansFor(ctx context.Context, p StartParams) ([]string, error) {
	return plansFor(ctx, r.Deps.Store, r.Deps.Plans, p)
}

// plansFor lists, sorted, the hashes of the comp plan versions a run of
// p computes (calc.PlansFor).
func plansFor(ctx context.Context, st storage.PlanReader, cache *calc.PlanCache, p StartParams) ([]string, error) {
	return calc.PlansFor(ctx, st, cache, p.Period, p.Plan)
}

// Wait polls the run until it is done or failed, calling progress after
// each poll. It returns the final run; a failed run returns an error with
// the failing batch's message.
func (r *Runner[TDriver, TTx]) Wait(ctx context.Context, runID int64, poll time.Duration, progress func(storage.Run)) (storage.Run, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		run, err := r.Deps.Store.RunGet(ctx, runID)
		if err != nil {
			return run, err
		}
		if progress != nil {
			progress(run)
		}
		switch run.Status {
		case storage.RunDone:
			return run, nil
		case storage.RunFailed:
			return run, fmt.Errorf("run %d of %s failed: %s", run.ID, run.Period, run.Error)
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-t.C:
		}
	}
}

// Service is a Runner without its type parameters, for callers that do not
// care which backend they drive.
type Service interface {
	Start(ctx context.Context, p StartParams) (runID int64, resumed bool, err error)
	Wait(ctx context.Context, runID int64, poll time.Duration, progress func(storage.Run)) (storage.Run, error)
	// Cancel ends the period's run in progress.
	Cancel(ctx context.Context, p CancelParams) (storage.Run, error)
	// Work starts working jobs in this process until Stop.
	Work(ctx context.Context) error
	// Stop stops fetching jobs and waits for the ones in flight.
	Stop(ctx context.Context) error
}

var _ Service = (*Runner[riverdriver.Driver[any], any])(nil)

// Work starts the River client.
func (r *Runner[TDriver, TTx]) Work(ctx context.Context) error { return r.Client.Start(ctx) }

// Stop stops the River client gracefully.
func (r *Runner[TDriver, TTx]) Stop(ctx context.Context) error { return r.Client.Stop(ctx) }

// StopAndCancel stops the River client, cancelling in-flight jobs.
func (r *Runner[TDriver, TTx]) StopAndCancel(ctx context.Context) error {
	return r.Client.StopAndCancel(ctx)
}
