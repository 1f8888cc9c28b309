package jobs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// Batch sizing limits.
const (
	// BatchTxnsTarget is the number of transactions a batch aims for: large
	// enough that job overhead is small, small enough that a batch's write
	// transaction stays short.
	BatchTxnsTarget = 10_000
	// BatchSizeMax caps an explicit batch size: a batch's people are
	// query parameters, and SQLite allows 32,766 per statement.
	BatchSizeMax = 10_000
	// BatchPeopleMax caps the people in one batch.
	BatchPeopleMax = 500
	// BatchTimeout is how long one batch may run before River retries it.
	BatchTimeout = 10 * time.Minute
)

// Deps is what the workers share.
type Deps struct {
	Store storage.Store
	Plans *PlanCache
	// JobTimeout bounds one batch (set by NewRunner; default BatchTimeout).
	JobTimeout time.Duration
}

// RunArgs starts a period run.
type RunArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
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
}

// Kind is the job kind.
func (BatchArgs) Kind() string { return "icomp_batch" }

// FinalizeArgs records a run's digest once every batch is done.
type FinalizeArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
}

// Kind is the job kind.
func (FinalizeArgs) Kind() string { return "icomp_finalize" }

// Register adds the workers, for River driver TDriver, to workers.
func Register[TDriver riverdriver.Driver[TTx], TTx any](workers *river.Workers, deps *Deps) {
	river.AddWorker(workers, &RunWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &BatchWorker[TDriver, TTx]{deps: deps})
	river.AddWorker(workers, &FinalizeWorker[TDriver, TTx]{deps: deps})
}

func rawTx[TTx any](tx storage.Tx) TTx {
	raw, ok := tx.Raw().(TTx)
	if !ok {
		panic(fmt.Sprintf("invariant: storage transaction %T is not River's %T", tx.Raw(), *new(TTx)))
	}
	return raw
}

// failRun marks the run failed and cancels the job: retrying cannot fix a
// plan error or bad input.
func failRun(ctx context.Context, st storage.Store, runID int64, err error) error {
	ferr := st.InTx(ctx, func(tx storage.Tx) error {
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: runID, Status: storage.RunFailed, Error: err.Error()})
	})
	if ferr != nil {
		return fmt.Errorf("%v (and recording the failure: %v)", err, ferr)
	}
	return river.JobCancel(err)
}

// permanent reports errors no retry will fix.
func permanent(err error) bool {
	var re *engine.RuleError
	return errors.As(err, &re) || errors.Is(err, engine.ErrInput) || errors.Is(err, errPlan)
}

// errPlan marks plan problems no retry fixes (a stored plan that no longer
// compiles, a missing target plan), as opposed to a database that failed
// to answer, which River retries.
var errPlan = errors.New("plan error")

// RunWorker splits a run into batches.
type RunWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[RunArgs]
	deps *Deps
}

// Work enqueues the run's batches and completes the run job in one transaction.
func (w *RunWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	st := w.deps.Store
	run, err := st.RunGet(ctx, job.Args.RunID)
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		return st.InTx(ctx, func(tx storage.Tx) error {
			_, err := river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
			return err
		})
	}
	scope, err := st.LedgerScope(ctx, run.Period)
	if err != nil {
		return lastAttemptOf(ctx, st, job.JobRow, run.ID, "splitting the run into batches", err)
	}
	var batches []BatchArgs
	inRun := map[string]bool{}
	for _, hash := range run.Plans {
		plan, err := w.deps.Plans.Comp(ctx, st, hash)
		if err != nil {
			if permanent(err) {
				return failRun(ctx, st, run.ID, err)
			}
			return lastAttemptOf(ctx, st, job.JobRow, run.ID, "splitting the run into batches", err)
		}
		inRun[plan.Name] = true
		bs, err := w.planBatches(ctx, run, hash, scope)
		if err != nil {
			if permanent(err) {
				return failRun(ctx, st, run.ID, err)
			}
			return lastAttemptOf(ctx, st, job.JobRow, run.ID, "splitting the run into batches", err)
		}
		for _, b := range bs {
			b.Index = len(batches)
			batches = append(batches, b)
		}
	}
	// A run of every plan also reverses what plans no longer in effect
	// (ended, renamed, unpublished) posted in the period.
	if run.PlanFilter == "" {
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
				batches = append(batches, BatchArgs{RunID: run.ID, Index: len(batches), Period: run.Period, PlanName: name, People: people[start:end]})
			}
		}
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.RunSetBatches(ctx, run.ID, len(batches)); err != nil {
			return err
		}
		params := make([]river.InsertManyParams, 0, len(batches)+1)
		for _, b := range batches {
			params = append(params, river.InsertManyParams{Args: b, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if len(batches) == 0 {
			params = append(params, river.InsertManyParams{Args: FinalizeArgs{RunID: run.ID}, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if _, err := client.InsertManyTx(ctx, rawTx[TTx](tx), params); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
		return err
	})
	return lastAttemptOf(ctx, st, job.JobRow, run.ID, "splitting the run into batches", err)
}

// planBatches slices a plan's candidate payees into batches: in id order,
// cut when a batch reaches BatchTxnsTarget owned transactions or
// BatchPeopleMax people, or exactly run.BatchSize people when set.
//
// People with lines of the plan in the period who are no longer among its
// payees (reassigned, terminated, no longer eligible) are batched too: their
// batch computes nothing for them, so its diff reverses their lines.
func (w *RunWorker[TDriver, TTx]) planBatches(ctx context.Context, run storage.Run, hash string, scope map[string][]string) ([]BatchArgs, error) {
	st := w.deps.Store
	plan, err := w.deps.Plans.Comp(ctx, st, hash)
	if err != nil {
		return nil, err
	}
	p, err := plan.Calendar.Parse(run.Period)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPlan, err)
	}
	targetHash := ""
	if plan.Targets != "" {
		tv, err := st.PlanVersionLatest(ctx, plans.KindTargetPlan, plan.Targets)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%w: plan %s needs target plan %s, which is not published (icomp plan publish FILE)", errPlan, plan.Name, plan.Targets)
		}
		if err != nil {
			return nil, err
		}
		targetHash = tv.Hash
	}
	people, err := candidates(ctx, st, plan, p, nil)
	if err != nil {
		return nil, err
	}
	payees := make(map[string]bool, len(people))
	for _, person := range people {
		payees[person.ID] = true
	}
	for _, id := range scope[plan.Name] {
		if !payees[id] {
			people = append(people, storage.PersonRecord{Person: facts.Person{ID: id}})
		}
	}
	sort.Slice(people, func(i, j int) bool { return people[i].ID < people[j].ID })
	counts, err := st.TransactionCountByOwner(ctx, period.Range{Start: p.Year.Start, End: p.End})
	if err != nil {
		return nil, err
	}
	// A territory credit rule brings a batch every transaction of its
	// people's territories: weigh each person by those too, estimated from
	// the owners' territories, or one batch of overlay people would load
	// every deal. A territory counts once per batch.
	byTerritory := map[string]int{}
	if creditsTerritory(plan) {
		all, err := st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End})
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			byTerritory[o.Territory] += counts[o.ID]
		}
	}
	var out []BatchArgs
	var cur []string
	txns := 0
	inBatch := map[string]bool{}
	flush := func() {
		if len(cur) > 0 {
			out = append(out, BatchArgs{RunID: run.ID, Period: p.Label, PlanHash: hash, PlanName: plan.Name, TargetHash: targetHash, People: cur})
		}
		cur, txns = nil, 0
		clear(inBatch)
	}
	for _, person := range people {
		cur = append(cur, person.ID)
		txns += counts[person.ID]
		if t := person.Territory; len(byTerritory) > 0 && t != "" && !inBatch[t] {
			inBatch[t] = true
			txns += byTerritory[t]
		}
		if (run.BatchSize > 0 && len(cur) >= run.BatchSize) ||
			(run.BatchSize <= 0 && (txns >= BatchTxnsTarget || len(cur) >= BatchPeopleMax)) {
			flush()
		}
	}
	flush()
	return out, nil
}

func creditsTerritory(plan *plans.CompPlan) bool {
	for _, c := range plan.Credits {
		if c.To == plans.CreditToTerritory {
			return true
		}
	}
	return false
}

// candidates lists the people a plan pays in period p: employed during
// it, assigned to the plan (or unassigned) and selected by its eligibility
// rule, as of the period's last day.
func candidates(ctx context.Context, r storage.Reader, plan *plans.CompPlan, p period.Period, ids []string) ([]storage.PersonRecord, error) {
	all, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End, IDs: ids})
	if err != nil {
		return nil, err
	}
	var people []facts.Person
	byID := map[string]storage.PersonRecord{}
	for _, person := range all {
		if person.ActiveIn(p.Range) && person.AssignedTo(plan.Name) {
			people = append(people, person.Person)
			byID[person.ID] = person
		}
	}
	eligible, err := engine.Eligible(plan, p, people)
	if err != nil {
		return nil, err
	}
	out := make([]storage.PersonRecord, len(eligible))
	for i, person := range eligible {
		out[i] = byID[person.ID]
	}
	return out, nil
}

// BatchWorker computes and posts one batch.
type BatchWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[BatchArgs]
	deps *Deps
}

// Timeout is the batch's time limit.
func (w *BatchWorker[TDriver, TTx]) Timeout(*river.Job[BatchArgs]) time.Duration {
	if w.deps.JobTimeout > 0 {
		return w.deps.JobTimeout
	}
	return BatchTimeout
}

// Work computes the batch, then in one transaction appends the ledger
// differences, counts the batch done (enqueueing the finalize job after
// the last one) and completes the job.
func (w *BatchWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	st := w.deps.Store
	a := job.Args
	run, err := st.RunGet(ctx, a.RunID)
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		// The run failed elsewhere: nothing to post.
		return st.InTx(ctx, func(tx storage.Tx) error {
			_, err := river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
			return err
		})
	}
	lines, nTxns, err := w.compute(ctx, a)
	if err != nil {
		if permanent(err) {
			return failRun(ctx, st, a.RunID, fmt.Errorf("batch %d: %w", a.Index, err))
		}
		return lastAttempt(ctx, st, job.JobRow, a, err)
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InTx(ctx, func(tx storage.Tx) error {
		// A batch job executed twice (rescued while still running) posts once.
		first, err := tx.RunBatchClaim(ctx, a.RunID, a.Index)
		if err != nil {
			return err
		}
		if !first {
			_, err := river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
			return err
		}
		posted, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Plan: a.PlanName, Period: a.Period, People: a.People})
		if err != nil {
			return err
		}
		diff := storage.Diff(storage.Fold(posted), lines, a.RunID)
		if _, err := tx.LedgerLineInsert(ctx, diff); err != nil {
			return err
		}
		// Counting the batch locks the run row and re-reads its status: a
		// run that failed (freeing its period for the next run) while this
		// batch computed must not post, and failing a run waits for a batch
		// that counted first. Batches post in parallel up to this point.
		done, total, err := tx.RunBatchDone(ctx, a.RunID, nTxns)
		if errors.Is(err, storage.ErrNotFound) {
			return errRunStopped
		}
		if err != nil {
			return err
		}
		if done == total {
			if _, err := client.InsertTx(ctx, rawTx[TTx](tx), FinalizeArgs{RunID: a.RunID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
		return err
	})
	if errors.Is(err, errRunStopped) {
		return st.InTx(ctx, func(tx storage.Tx) error {
			_, err := river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
			return err
		})
	}
	if err != nil {
		return lastAttempt(ctx, st, job.JobRow, a, err)
	}
	return nil
}

// errRunStopped rolls back a batch whose run stopped while it computed.
var errRunStopped = errors.New("the run is no longer running")

// lastAttempt returns err for River to retry, except on the job's last
// attempt: then the run is marked failed, so that it does not wait forever
// for a batch River is about to discard.
func lastAttempt(ctx context.Context, st storage.Store, job *rivertype.JobRow, a BatchArgs, err error) error {
	return lastAttemptOf(ctx, st, job, a.RunID, fmt.Sprintf("batch %d", a.Index), err)
}

// lastAttemptOf is lastAttempt for any of a run's jobs (what names it).
func lastAttemptOf(ctx context.Context, st storage.Store, job *rivertype.JobRow, runID int64, what string, err error) error {
	if err == nil || job.Attempt < job.MaxAttempts {
		return err
	}
	// The job's context may be the one that timed out.
	return failRun(context.WithoutCancel(ctx), st, runID, fmt.Errorf("%s failed %d times, last: %w", what, job.Attempt, err))
}

// compute returns the batch's ledger lines and how many transactions it read.
func (w *BatchWorker[TDriver, TTx]) compute(ctx context.Context, a BatchArgs) ([]storage.LedgerLine, int, error) {
	st := w.deps.Store
	if a.PlanHash == "" {
		return nil, 0, nil // a plan no longer in effect: nothing to compute
	}
	plan, err := w.deps.Plans.Comp(ctx, st, a.PlanHash)
	if err != nil {
		return nil, 0, err
	}
	targets, err := w.deps.Plans.Target(ctx, st, a.TargetHash)
	if err != nil {
		return nil, 0, err
	}
	p, err := plan.Calendar.Parse(a.Period)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errPlan, err)
	}
	records, err := candidates(ctx, st, plan, p, a.People)
	if err != nil {
		return nil, 0, err
	}
	people := make([]facts.Person, len(records))
	terrSet := map[string]bool{}
	for i, r := range records {
		people[i] = r.Person
		if r.Territory != "" {
			terrSet[r.Territory] = true
		}
	}
	var territories []string
	if creditsTerritory(plan) {
		for t := range terrSet {
			territories = append(territories, t)
		}
		sort.Strings(territories)
	}
	txns, err := st.TransactionListForPeople(ctx, storage.TransactionListForPeopleParams{
		Span: period.Range{Start: p.Year.Start, End: p.End}, People: a.People, Territories: territories,
	})
	if err != nil {
		return nil, 0, err
	}
	prior, err := priorPayouts(ctx, st, plan, p, a.People)
	if err != nil {
		return nil, 0, err
	}
	res, err := engine.Compute(engine.Input{Plan: plan, Targets: targets, Period: p, People: people, Transactions: txns, Prior: prior})
	if err != nil {
		return nil, 0, err
	}
	return Lines(plan, p.Label, res), len(txns), nil
}

// priorPayouts sums what earlier periods of the fiscal year posted for the
// plan's cumulative components.
func priorPayouts(ctx context.Context, r storage.Reader, plan *plans.CompPlan, p period.Period, people []string) ([]facts.PriorPayout, error) {
	cumulative := map[string]bool{}
	for _, c := range plan.Components {
		if c.Cumulative {
			cumulative[c.Name] = true
		}
	}
	if len(cumulative) == 0 {
		return nil, nil
	}
	sums := map[[2]string]decimal.Decimal{}
	for _, earlier := range plan.Calendar.Periods(p.FiscalYear, p.Frequency) {
		if earlier.Index >= p.Index {
			break
		}
		lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: storage.LedgerPayout, Plan: plan.Name, Period: earlier.Label, People: people})
		if err != nil {
			return nil, err
		}
		for _, c := range storage.Fold(lines) {
			if c.Current == nil || !cumulative[c.Current.Subject] {
				continue
			}
			k := [2]string{c.Current.Person, c.Current.Subject}
			sums[k] = sums[k].Add(c.Current.Amount)
		}
	}
	out := make([]facts.PriorPayout, 0, len(sums))
	for k, v := range sums {
		out = append(out, facts.PriorPayout{Person: k[0], Component: k[1], Amount: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Person != out[j].Person {
			return out[i].Person < out[j].Person
		}
		return out[i].Component < out[j].Component
	})
	return out, nil
}

// FinalizeWorker records the run's digest and closes it.
type FinalizeWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[FinalizeArgs]
	deps *Deps
}

// Work computes the period's ledger digest and finishes the run.
func (w *FinalizeWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[FinalizeArgs]) error {
	st := w.deps.Store
	err := st.InTx(ctx, func(tx storage.Tx) error {
		run, err := tx.RunGet(ctx, job.Args.RunID)
		if err != nil {
			return err
		}
		if run.Status == storage.RunRunning {
			digest, _, err := tx.LedgerDigest(ctx, run.Period)
			if err != nil {
				return err
			}
			if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: run.ID, Status: storage.RunDone, Digest: digest}); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[TDriver](ctx, rawTx[TTx](tx), job)
		return err
	})
	return lastAttemptOf(ctx, st, job.JobRow, job.Args.RunID, "finalizing the run", err)
}
