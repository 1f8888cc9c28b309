package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// Batch sizing limits.
const (
	// BatchTxnsTarget is the number of transactions a batch aims for (see
	// calc.BatchTxnsTarget).
	BatchTxnsTarget = calc.BatchTxnsTarget
	// BatchSizeMax caps an explicit batch size: a batch's people are
	// query parameters, and SQLite allows 32,766 per statement.
	BatchSizeMax = 10_000
	// BatchPeopleMax caps the people in one batch (see calc.BatchPeopleMax).
	BatchPeopleMax = calc.BatchPeopleMax
	// BatchTimeout is how long one job (a batch, or splitting, settling
	// or finalizing a run) may run by default. A batch of BatchTxnsTarget
	// transactions takes a second or two, so this leaves ample room;
	// a job that runs out of it fails its run on that attempt, naming it,
	// instead of being retried on the same work. It is kept short because
	// River rescues a job whose worker died (kill -9, lost machine) only
	// once it has been running for longer than the timeout: see
	// RescueMargin.
	BatchTimeout = 20 * time.Second
	// RescueMargin is how much longer than its timeout a job may stay
	// running before River's rescuer hands it to another worker (the
	// default RescueAfter is BatchTimeout + RescueMargin = 30 s). River's
	// rescuer looks every 30 s, so a batch whose worker died is retried
	// elsewhere within about a minute (30 to 60 s, plus a 1 s retry delay).
	RescueMargin = 10 * time.Second
)

// Deps is what the workers share, for driver transactions of type TTx.
type Deps[TTx any] struct {
	Store storage.DriverStore[TTx]
	Plans *calc.PlanCache
	// Now is the clock for recorded times (default time.Now).
	Now func() time.Time
	// JobTimeout bounds one batch (set by NewRunner; default BatchTimeout).
	JobTimeout time.Duration
}

// RunArgs starts a period run.
type RunArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
	// Full recomputes every person, even when an earlier run of the
	// period lets the run recompute only the people changes reach
	// (incremental.go).
	Full bool `json:"full,omitempty"`
}

// Kind is the job kind.
func (RunArgs) Kind() string { return "icomp_run" }

// BatchArgs computes one batch of people for one plan.
type BatchArgs struct {
	RunID    int64  `json:"run_id" river:"unique"`
	Index    int    `json:"index" river:"unique"`
	Period   string `json:"period"`
	PlanHash string `json:"plan_hash" river:"unique"`
	// PlanName is the plan whose lines the batch posts. A batch with a
	// name but no hash is for a plan no longer in effect: it computes
	// nothing, so its diff reverses the plan's lines.
	PlanName   string   `json:"plan_name" river:"unique"`
	TargetHash string   `json:"target_hash"`
	People     []string `json:"people"`
	// Settle makes the batch a settlement batch: it turns its people's
	// earned lines across plans and their adjustments into payable lines.
	Settle bool `json:"settle,omitempty" river:"unique"`
	// Policies are the settlement policy versions a settlement batch
	// applies (sorted by name).
	Policies []string `json:"policies,omitempty"`
	// Wave is the plan batch's wave, of Waves (see waves.go): what the
	// last batch of a wave starts next.
	Wave  int `json:"wave,omitempty"`
	Waves int `json:"waves,omitempty"`
	// NothingPosted says that when the run split into batches none of
	// People had a line of the plan in the period (storage's LedgerScope)
	// or, for a settlement batch, a payable or balance line, so the
	// batch's diff has no posted lines to read. It still holds when the
	// batch posts: runs of a period never overlap, and within a run only
	// this batch posts its people's lines of its plan (or their payable
	// and balance lines), once (RunBatchClaim). The zero value, as in jobs
	// an older icomp enqueued, reads them.
	NothingPosted bool `json:"nothing_posted,omitempty"`
	// EarnedPlans are, for a settlement batch, the plans with lines in
	// the period once every plan batch is done: the plans whose payout
	// lines it reads, each person's of each plan found by one index seek
	// (without them, each settlement batch walked every line of the
	// period). Nil, as in jobs an older icomp enqueued, reads every plan's.
	EarnedPlans []string `json:"earned_plans,omitempty"`
}

// Kind is the job kind.
func (BatchArgs) Kind() string { return "icomp_batch" }

// SettleSplitArgs splits a run's settlement into batches of people once
// every plan batch is done.
type SettleSplitArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
}

// Kind is the job kind.
func (SettleSplitArgs) Kind() string { return "icomp_settle_split" }

// FinalizeArgs records a run's digest once every batch is done.
type FinalizeArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
}

// Kind is the job kind.
func (FinalizeArgs) Kind() string { return "icomp_finalize" }

// Register adds the workers, for River driver TDriver, to workers.
func Register[TDriver riverdriver.Driver[TTx], TTx any](workers *river.Workers, deps *Deps[TTx]) {
	river.AddWorker(workers, &RunWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &BatchWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &SettleSplitWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &WaveWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &FinalizeWorker[TDriver, TTx]{deps: deps})
}

// failRun marks the run failed and cancels the job: retrying cannot fix a
// plan error or bad input.
func failRun[TTx any](ctx context.Context, deps *Deps[TTx], runID int64, err error) error {
	ferr := deps.Store.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		// The inputs lock before the run's row, as finishing takes them.
		if err := tx.LockInputs(ctx); err != nil {
			return err
		}
		run, rerr := tx.RunGet(ctx, runID)
		if rerr != nil {
			return rerr
		}
		if run.Status != storage.RunRunning {
			return nil
		}
		if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: runID, Status: storage.RunFailed, Error: err.Error(), FinishedAt: deps.now()}); err != nil {
			return err
		}
		// What the run's batches posted before it failed stays posted:
		// seal it like a finished run's lines, and record it for other
		// periods' incremental re-runs.
		if err := audit.SealRun(ctx, tx, runID); err != nil {
			return err
		}
		return recordRun(ctx, tx, runID)
	})
	if ferr != nil {
		return fmt.Errorf("%v (and recording the failure: %v)", err, ferr)
	}
	return river.JobCancel(err)
}

// recordRun appends a run that posted lines, done or failed, to the
// change sequence: other periods' incremental re-runs recompute the people
// whose lines it changed (incremental.go).
func recordRun(ctx context.Context, tx storage.Tx, runID int64) error {
	run, err := tx.RunGet(ctx, runID)
	if err != nil || run.Lines == 0 {
		return err
	}
	return tx.InputChangeRecord(ctx, storage.ChangeRun, strconv.FormatInt(runID, 10))
}

// failOnPanic, deferred by every worker, turns a panic (a bug in icomp)
// into a failed run at once: retrying would panic again, and the run would
// wait for River's retries with their growing backoff.
func failOnPanic[TTx any](ctx context.Context, deps *Deps[TTx], runID int64, what string, err *error) {
	if r := recover(); r != nil {
		*err = failRun(context.WithoutCancel(ctx), deps, runID, fmt.Errorf("%s: internal error: %v (a bug in icomp: please report it with the run's inputs)", what, r))
	}
}

func (d *Deps[TTx]) now() string {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return now().UTC().Format(time.RFC3339)
}

// permanent reports errors no retry will fix.
func permanent(err error) bool {
	var re *engine.RuleError
	return errors.As(err, &re) || errors.Is(err, engine.ErrInput) || errors.Is(err, calc.ErrPlan)
}

// RunWorker splits a run into batches.
type RunWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[RunArgs]
	deps *Deps[TTx]
}

// Work enqueues the run's batches and completes the run job in one transaction.
func (w *RunWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[RunArgs]) (err error) {
	defer failOnPanic(ctx, w.deps, job.Args.RunID, "the run job", &err)
	st := w.deps.Store
	run, err := st.RunGet(ctx, job.Args.RunID)
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		return st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
			_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
			return err
		})
	}
	if !job.Args.Full {
		sc, why, err := incrementalScope(ctx, w.deps, run)
		if err != nil {
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "deciding what the run recomputes", err)
		}
		if sc == nil {
			sc = &storage.RunScope{Full: true, Note: why}
		}
		run.Scope = sc
	} else {
		run.Scope = &storage.RunScope{Full: true, Note: "a full run was asked for"}
	}
	var scope map[string][]string
	if !run.Incremental() {
		if scope, err = st.LedgerScope(ctx, run.Period); err != nil {
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting the run into batches", err)
		}
	}
	var batches []BatchArgs
	inRun := map[string]bool{}
	waveOf, waves, err := runPlanWaves(ctx, w.deps, run)
	if err != nil {
		if permanent(err) {
			return failRun(ctx, w.deps, run.ID, err)
		}
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting the run into batches", err)
	}
	for _, hash := range run.Plans {
		plan, err := w.deps.Plans.Comp(ctx, st, hash)
		if err != nil {
			if permanent(err) {
				return failRun(ctx, w.deps, run.ID, err)
			}
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting the run into batches", err)
		}
		inRun[plan.Name] = true
		if waveOf[plan.Name] > 0 {
			continue // a later wave's (waves.go)
		}
		bs, err := w.planBatches(ctx, run, hash, scope)
		if err != nil {
			if permanent(err) {
				return failRun(ctx, w.deps, run.ID, err)
			}
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting the run into batches", err)
		}
		for _, b := range bs {
			b.Index, b.Waves = len(batches), waves
			batches = append(batches, b)
		}
	}
	// A run of every plan also reverses what plans no longer in effect
	// (ended, renamed, unpublished) posted in the period. (An incremental
	// run's base did, with the same plans.)
	if run.PlanFilter == "" && !run.Incremental() {
		names := make([]string, 0, len(scope))
		for name := range scope {
			if !inRun[name] {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			people := scope[name]
			for start := 0; start < len(people); start += BatchPeopleMax {
				end := min(start+BatchPeopleMax, len(people))
				batches = append(batches, BatchArgs{RunID: run.ID, Index: len(batches), Period: run.Period, PlanName: name, People: people[start:end], Waves: waves})
			}
		}
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		if err := tx.RunSetBatches(ctx, run.ID, len(batches)); err != nil {
			return err
		}
		if run.Scope != nil {
			if err := tx.RunSetScope(ctx, run.ID, *run.Scope); err != nil {
				return err
			}
		}
		params := make([]river.InsertManyParams, 0, len(batches)+1)
		for _, b := range batches {
			params = append(params, river.InsertManyParams{Args: b, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if len(batches) == 0 {
			var next river.JobArgs = FinalizeArgs{RunID: run.ID}
			if waves > 1 {
				next = afterPlanBatches(run.ID, 0, waves)
			}
			params = append(params, river.InsertManyParams{Args: next, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if _, err := client.InsertManyTx(ctx, dtx, params); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
	return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting the run into batches", err)
}

// planBatches makes the batch jobs of one plan (see calc.PlanBatches).
func (w *RunWorker[TDriver, TTx]) planBatches(ctx context.Context, run storage.Run, hash string, scope map[string][]string) ([]BatchArgs, error) {
	st := w.deps.Store
	plan, err := w.deps.Plans.Comp(ctx, st, hash)
	if err != nil {
		return nil, err
	}
	if run.Incremental() {
		return scopedBatches(ctx, st, plan, hash, run)
	}
	pb, err := calc.PlanBatches(ctx, st, w.deps.Plans, plan, run.Period, scope[plan.Name], run.BatchSize)
	if err != nil {
		return nil, err
	}
	posted := make(map[string]bool, len(scope[plan.Name]))
	for _, id := range scope[plan.Name] {
		posted[id] = true
	}
	out := make([]BatchArgs, len(pb.People))
	for i, people := range pb.People {
		out[i] = BatchArgs{RunID: run.ID, Period: pb.Period.Label, PlanHash: hash, PlanName: plan.Name, TargetHash: pb.TargetHash, People: people,
			NothingPosted: !slices.ContainsFunc(people, func(id string) bool { return posted[id] })}
	}
	return out, nil
}

// BatchWorker computes and posts one batch.
type BatchWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[BatchArgs]
	deps *Deps[TTx]
}

// Timeout is the batch's time limit.
func (w *BatchWorker[TDriver, TTx]) Timeout(*river.Job[BatchArgs]) time.Duration {
	if w.deps.JobTimeout > 0 {
		return w.deps.JobTimeout
	}
	return BatchTimeout
}

// Work computes the batch, then in one transaction appends the ledger
// differences (and the credits beside new credit summary lines), counts
// the batch done (enqueueing the next stage after the last one) and
// completes the job.
func (w *BatchWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[BatchArgs]) (err error) {
	defer failOnPanic(ctx, w.deps, job.Args.RunID, fmt.Sprintf("batch %d", job.Args.Index), &err)
	st := w.deps.Store
	a := job.Args
	run, err := st.RunGet(ctx, a.RunID)
	if err != nil && timedOut(ctx) {
		return failRun(context.WithoutCancel(ctx), w.deps, a.RunID, w.timeoutError(a, err))
	}
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		// The run failed elsewhere: nothing to post.
		return complete[TDriver, TTx](ctx, st, job)
	}
	var comp *computed
	if a.Settle {
		comp, err = w.settle(ctx, run, a)
	} else {
		comp, err = w.compute(ctx, run, a)
	}
	if err != nil {
		if timedOut(ctx) {
			return failRun(context.WithoutCancel(ctx), w.deps, a.RunID, w.timeoutError(a, err))
		}
		if permanent(err) {
			return failRun(ctx, w.deps, a.RunID, fmt.Errorf("batch %d: %w", a.Index, err))
		}
		return lastAttempt(ctx, w.deps, job.JobRow, a, err)
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		// A batch job executed twice (rescued while still running) posts once.
		first, err := tx.RunBatchClaim(ctx, a.RunID, a.Index)
		if err != nil {
			return err
		}
		if !first {
			_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
			return err
		}
		posted, err := postedLines(ctx, tx, a)
		if err != nil {
			return err
		}
		chains := ledger.Fold(posted)
		diff := ledger.Diff(chains, comp.out.Lines, comp.posting)
		if _, err := tx.LedgerLineInsert(ctx, diff); err != nil {
			return err
		}
		// A line computed the same but explained differently (an input
		// that did not change its amount) keeps its place in the ledger;
		// its new trace is stored beside it.
		if err := tx.TraceInsert(ctx, ledger.Retrace(chains, comp.out.Lines, a.RunID)); err != nil {
			return err
		}
		if err := tx.CreditInsert(ctx, comp.out.AttachCredits(diff)); err != nil {
			return err
		}
		// Counting the batch locks the run row and re-reads its status: a
		// run that failed (freeing its period for the next run) while this
		// batch computed must not post, and failing a run waits for a batch
		// that counted first. Batches post in parallel up to this point.
		done, total, err := tx.RunBatchDone(ctx, a.RunID, comp.txns)
		if errors.Is(err, storage.ErrNotFound) {
			return errRunStopped
		}
		if err != nil {
			return err
		}
		if done == total {
			// The last plan batch starts settlement; the last settlement
			// batch finalizes the run.
			next := afterPlanBatches(a.RunID, a.Wave, a.Waves)
			if a.Settle {
				next = FinalizeArgs{RunID: a.RunID}
			}
			if _, err := client.InsertTx(ctx, dtx, next, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
	if errors.Is(err, errRunStopped) {
		return complete[TDriver, TTx](ctx, st, job)
	}
	if err != nil && timedOut(ctx) {
		return failRun(context.WithoutCancel(ctx), w.deps, a.RunID, w.timeoutError(a, err))
	}
	if err != nil {
		return lastAttempt(ctx, w.deps, job.JobRow, a, err)
	}
	return nil
}

// postedLines reads what a batch's diff compares its lines with: for a
// plan batch, its plan's credit, attainment and payout lines of its people
// in the period (the payable and balance ledgers are settlement's); for a
// settlement batch, its people's payable and balance lines.
func postedLines(ctx context.Context, tx storage.Tx, a BatchArgs) ([]ledger.Line, error) {
	if a.NothingPosted {
		return nil, nil
	}
	if a.Settle {
		// Settlement owns the balance ledger too: the balances its
		// people carry out of the period.
		var posted []ledger.Line
		for _, l := range []string{ledger.PayableLedger, ledger.BalanceLedger} {
			lines, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: l, Period: a.Period, People: a.People})
			if err != nil {
				return nil, err
			}
			posted = append(posted, lines...)
		}
		return posted, nil
	}
	posted, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Plan: a.PlanName, Period: a.Period, People: a.People, WithTraces: true})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(posted, func(l ledger.Line) bool {
		return l.Ledger == ledger.PayableLedger || l.Ledger == ledger.BalanceLedger
	}), nil
}

// timedOut reports whether the job's time budget ran out. Another
// attempt of the same batch would run out of it again: the run fails on
// this attempt instead of retrying.
func timedOut(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// timeoutError says which batch ran out of time, in which plan, and what
// it was doing when the engine knows (err is an *engine.StoppedError).
func (w *BatchWorker[TDriver, TTx]) timeoutError(a BatchArgs, err error) error {
	what := fmt.Sprintf("batch %d of plan %s", a.Index, a.PlanName)
	if a.Settle {
		what = fmt.Sprintf("settlement batch %d", a.Index)
	}
	if n := len(a.People); n > 0 {
		what += fmt.Sprintf(" (%d people, %s to %s)", n, a.People[0], a.People[n-1])
	}
	doing := ""
	var se *engine.StoppedError
	if errors.As(err, &se) {
		doing = ", stopped while " + se.Doing
	} else if err != nil {
		doing = fmt.Sprintf(" (%v)", err)
	}
	return fmt.Errorf("%s ran out of its time budget of %s%s; nothing it computed was posted. Give batches more time (icomp worker --job-timeout) or fewer people (icomp run --batch-size), then run the period again",
		what, w.Timeout(nil), doing)
}

// complete completes a job that has nothing to post.
func complete[TDriver riverdriver.Driver[TTx], TTx any, T river.JobArgs](ctx context.Context, st storage.DriverStore[TTx], job *river.Job[T]) error {
	return st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
}

// errRunStopped rolls back a batch whose run stopped while it computed.
var errRunStopped = errors.New("the run is no longer running")

// lastAttempt returns err for River to retry, except on the job's last
// attempt: then the run is marked failed, so that it does not wait forever
// for a batch River is about to discard.
func lastAttempt[TTx any](ctx context.Context, deps *Deps[TTx], job *rivertype.JobRow, a BatchArgs, err error) error {
	return lastAttemptOf(ctx, deps, job, a.RunID, fmt.Sprintf("batch %d", a.Index), err)
}

// lastAttemptOf is lastAttempt for any of a run's jobs (what names it).
func lastAttemptOf[TTx any](ctx context.Context, deps *Deps[TTx], job *rivertype.JobRow, runID int64, what string, err error) error {
	if err != nil && timedOut(ctx) {
		// Another attempt would run out of time again.
		return failRun(context.WithoutCancel(ctx), deps, runID, fmt.Errorf("%s ran out of its time budget of %s (%v); raise it (icomp worker --job-timeout) and run the period again", what, cmpOr(deps.JobTimeout, BatchTimeout), err))
	}
	if err == nil || job.Attempt < job.MaxAttempts {
		return err
	}
	// The job's context may be the one that timed out.
	return failRun(context.WithoutCancel(ctx), deps, runID, fmt.Errorf("%s failed %d times, last: %w", what, job.Attempt, err))
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// computed is a batch's lines, how to post them, and how many
// transactions it read.
type computed struct {
	out     calc.Output
	posting ledger.Posting
	txns    int
}

// posting says how run posts lines earned in its period: into its posted
// period, labelled as prior-period adjustments when that is later.
func posting(run storage.Run) ledger.Posting {
	p := ledger.Posting{RunID: run.ID, PostedPeriod: run.PostedPeriod}
	if run.PostedPeriod != run.Period {
		p.Reason = "prior-period adjustment: corrects " + run.Period + " (closed)"
	}
	return p
}

// compute computes a plan batch.
func (w *BatchWorker[TDriver, TTx]) compute(ctx context.Context, run storage.Run, a BatchArgs) (*computed, error) {
	st := w.deps.Store
	post := posting(run)
	if a.PlanName == "" {
		panic("invariant: a plan batch without a plan name would diff every plan's lines")
	}
	if a.PlanHash == "" {
		// A plan no longer in effect: nothing to compute, so the diff
		// reverses the plan's lines.
		post.Gone = func(ledger.Line) string {
			return fmt.Sprintf("plan %s is no longer in effect in %s", a.PlanName, a.Period)
		}
		return &computed{posting: post}, nil
	}
	plan, err := w.deps.Plans.Comp(ctx, st, a.PlanHash)
	if err != nil {
		return nil, err
	}
	targets, err := w.deps.Plans.Target(ctx, st, a.TargetHash)
	if err != nil {
		return nil, err
	}
	p, err := calc.ParsePeriod(plan, a.Period)
	if err != nil {
		return nil, err
	}
	versions, vtargets, err := calc.PlanVersions(ctx, st, w.deps.Plans, plan)
	if err != nil {
		return nil, err
	}
	res, err := calc.Compute(ctx, st, calc.Batch{Plan: plan, Targets: targets, Period: p, People: a.People, Stop: ctx.Done(), Versions: versions, VersionTargets: vtargets})
	if err != nil {
		return nil, err
	}
	post.Gone = func(l ledger.Line) string {
		if !res.Payees[l.Person] {
			return fmt.Sprintf("%s is no longer a payee of plan %s in %s (left, reassigned or not eligible)", l.Person, plan.Name, a.Period)
		}
		return fmt.Sprintf("no longer computed by plan %s (version %s)", plan.Name, plan.Version)
	}
	return &computed{out: res.Output, posting: post, txns: res.Txns}, nil
}

// settle computes a settlement batch: its people's payable lines.
func (w *BatchWorker[TDriver, TTx]) settle(ctx context.Context, run storage.Run, a BatchArgs) (*computed, error) {
	st := w.deps.Store
	earned, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: a.Period, People: a.People, Plans: a.EarnedPlans})
	if err != nil {
		return nil, err
	}
	adjustments, err := st.AdjustmentList(ctx, a.Period, a.People)
	if err != nil {
		return nil, err
	}
	s := calc.Settlement{Earned: earned, Adjustments: adjustments}
	for _, h := range a.Policies {
		pol, err := w.deps.Plans.Settlement(ctx, st, h)
		if err != nil {
			return nil, err
		}
		s.Policies = append(s.Policies, pol)
	}
	cal, err := periods.Calendar(ctx, st)
	if err != nil {
		return nil, err
	}
	s.Calendar = cal
	if s.Period, err = cal.Parse(a.Period); err != nil {
		return nil, err
	}
	// People for the policies' rules, their employment for draws and
	// their currencies; rates to convert into those.
	records, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: s.Period.End, IDs: a.People})
	if err != nil {
		return nil, err
	}
	s.Employment = make(map[string]calc.Employment, len(records))
	for _, r := range records {
		s.People = append(s.People, r.Person)
		s.Employment[r.ID] = calc.Employment{Hire: r.HireDate, Termination: r.TerminationDate}
	}
	if s.FX, err = calc.LoadFX(ctx, st); err != nil {
		return nil, err
	}
	if s.Opening, s.PreviousCalculated, err = calc.OpeningBalances(ctx, st, cal, s.Period, a.People); err != nil {
		return nil, err
	}
	lines, err := calc.Settle(s)
	if err != nil {
		return nil, err
	}
	post := posting(run)
	post.Gone = func(ledger.Line) string { return "no longer payable" }
	return &computed{out: calc.Output{Lines: lines}, posting: post}, nil
}

// SettleSplitWorker splits settlement into batches of people.
type SettleSplitWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[SettleSplitArgs]
	deps *Deps[TTx]
}

// Work enqueues one settlement batch per BatchPeopleMax people who have
// earned or payable lines or adjustments in the run's period.
func (w *SettleSplitWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[SettleSplitArgs]) (err error) {
	defer failOnPanic(ctx, w.deps, job.Args.RunID, "the settlement split", &err)
	st := w.deps.Store
	run, err := st.RunGet(ctx, job.Args.RunID)
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		return complete[TDriver, TTx](ctx, st, job)
	}
	cal, err := periods.Calendar(ctx, st)
	if err != nil {
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
	}
	p, err := cal.Parse(run.Period)
	if err != nil {
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
	}
	people, err := calc.SettlementScope(ctx, st, run.Period, cal.Shift(p, -1).Label)
	if err != nil {
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
	}
	if run.Incremental() {
		// An incremental run settles the people it recomputed (those of
		// them a full run would settle).
		people = slices.DeleteFunc(people, func(id string) bool { _, ok := slices.BinarySearch(run.Scope.People, id); return !ok })
	}
	scope, err := st.LedgerScope(ctx, run.Period)
	if err != nil {
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
	}
	earnedPlans := make([]string, 0, len(scope))
	for plan := range scope {
		earnedPlans = append(earnedPlans, plan)
	}
	sort.Strings(earnedPlans)
	// A period settled for the first time has no payable or balance line
	// yet: its settlement batches have nothing posted to read (see
	// NothingPosted).
	settled, err := st.LedgerHasLines(ctx, run.Period, []string{ledger.PayableLedger, ledger.BalanceLedger})
	if err != nil {
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		var params []river.InsertManyParams
		for start := 0; start < len(people); start += BatchPeopleMax {
			end := min(start+BatchPeopleMax, len(people))
			params = append(params, river.InsertManyParams{
				Args: BatchArgs{RunID: run.ID, Index: run.Batches + len(params), Period: run.Period, People: people[start:end], Settle: true,
					Policies: run.Policies, NothingPosted: !settled, EarnedPlans: earnedPlans},
				InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}},
			})
		}
		if err := tx.RunSetBatches(ctx, run.ID, run.Batches+len(params)); err != nil {
			return err
		}
		if len(params) == 0 {
			params = append(params, river.InsertManyParams{Args: FinalizeArgs{RunID: run.ID}, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if _, err := client.InsertManyTx(ctx, dtx, params); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
	return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, "splitting settlement", err)
}

// FinalizeWorker seals the run, records its digest and the period's new
// status, and closes it.
type FinalizeWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[FinalizeArgs]
	deps *Deps[TTx]
}

// Work finishes the run in one transaction.
func (w *FinalizeWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[FinalizeArgs]) (err error) {
	defer failOnPanic(ctx, w.deps, job.Args.RunID, "the finalize job", &err)
	st := w.deps.Store
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		run, err := tx.RunGet(ctx, job.Args.RunID)
		if err != nil {
			return err
		}
		if run.Status == storage.RunRunning {
			if err := finishRun(ctx, tx, w.deps.Plans, run, w.deps.now()); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
	return lastAttemptOf(ctx, w.deps, job.JobRow, job.Args.RunID, "finalizing the run", err)
}

// republished says which comp plans or settlement policies were
// published since run started ("" when none): the latest versions in
// effect in its period are not those it computed.
func republished(ctx context.Context, tx storage.Tx, cache *calc.PlanCache, run storage.Run) (string, error) {
	now, err := plansFor(ctx, tx, cache, StartParams{Period: run.Period, Plan: run.PlanFilter})
	if err != nil && !errors.Is(err, ErrNoPlans) {
		// The plans published now cannot run this period (a plan of the
		// filter republished with another frequency): the run's numbers
		// stand, and the period waits for a look.
		return fmt.Sprintf("the plans published while run %d ran no longer run %s as it did: %v", run.ID, run.Period, err), nil
	}
	var changed []string
	for _, h := range now {
		if slices.Contains(run.Plans, h) {
			continue
		}
		v, err := tx.PlanVersionGet(ctx, h)
		if err != nil {
			return "", err
		}
		changed = append(changed, fmt.Sprintf("comp plan %s version %s", v.Name, v.Version))
	}
	policies, err := tx.PlanVersionListLatest(ctx, plans.KindSettlementPolicy)
	if err != nil {
		return "", err
	}
	for _, v := range policies {
		if !slices.Contains(run.Policies, v.Hash) {
			changed = append(changed, fmt.Sprintf("settlement policy %s version %s", v.Name, v.Version))
		}
	}
	if len(changed) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%s published while run %d ran, which computed the versions before", strings.Join(changed, ", "), run.ID), nil
}

// finishRun records the digest, marks the run done, seals its lines and
// moves the period on: calculated, and later periods of the fiscal year
// marked for a re-run when this run changed what was earned.
func finishRun(ctx context.Context, tx storage.Tx, cache *calc.PlanCache, run storage.Run, now string) error {
	// The inputs lock first, as every transaction that takes it (and then
	// locks period rows) does: finishing records the run in the change
	// sequence below.
	if err := tx.LockInputs(ctx); err != nil {
		return err
	}
	digest, _, err := tx.LedgerDigest(ctx, run.Period)
	if err != nil {
		return err
	}
	if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: run.ID, Status: storage.RunDone, Digest: digest, FinishedAt: now}); err != nil {
		return err
	}
	if err := audit.SealRun(ctx, tx, run.ID); err != nil {
		return err
	}
	cal, err := periods.Calendar(ctx, tx)
	if err != nil {
		return err
	}
	p, err := cal.Parse(run.Period)
	if err != nil {
		return err
	}
	posted, err := cal.Parse(run.PostedPeriod)
	if err != nil {
		return err
	}
	// Which ledgers the run posted into, not its lines: finalizing a
	// run of a million transactions read its tens of thousands of lines
	// again only to look at their ledgers.
	ledgers, err := tx.RunLedgers(ctx, run.ID)
	if err != nil {
		return err
	}
	changedEarnings := slices.Contains(ledgers, ledger.PayoutLedger)
	changedBalances := slices.Contains(ledgers, ledger.BalanceLedger)
	if err := periods.Calculated(ctx, tx, p, posted, run.ID, len(ledgers) > 0, run.PlanFilter == ""); err != nil {
		return err
	}
	if err := recordRun(ctx, tx, run.ID); err != nil {
		return err
	}
	// A plan published while the run ran is not in its numbers: the
	// period stays marked, as publishing marked it.
	if why, err := republished(ctx, tx, cache, run); err != nil {
		return err
	} else if why != "" {
		if err := periods.NeedsRerun(ctx, tx, p, why); err != nil {
			return err
		}
	}
	if changedEarnings {
		if _, err := periods.MarkLaterPeriods(ctx, tx, cal, p, fmt.Sprintf("run %d changed what %s earned, which later periods' year-to-date figures read", run.ID, run.Period)); err != nil {
			return err
		}
	}
	if changedBalances {
		// Draw and deficit balances carry across fiscal years.
		_, err := periods.MarkLaterPeriodsAnyYear(ctx, tx, cal, p, fmt.Sprintf("run %d changed the balances %s carries forward (draws, deficits), which later periods open with", run.ID, run.Period))
		return err
	}
	return nil
}
