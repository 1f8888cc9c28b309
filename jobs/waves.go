package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// A run computes its plans in waves: a plan whose override components
// read another plan's payout lines (the reports' earnings) is computed in
// a wave after that plan's, so that every batch of it reads what this run
// posted for the reports, whatever the batch size and worker count. Most
// runs have one wave. After the last wave comes settlement.

// WaveArgs splits the plans of one wave of a run (after the first) into
// batches once every batch of the waves before it is done.
type WaveArgs struct {
	RunID int64 `json:"run_id" river:"unique"`
	Wave  int   `json:"wave" river:"unique"`
}

// Kind is the job kind.
func (WaveArgs) Kind() string { return "icomp_wave" }

// InsertOpts tags the job with its run.
func (a WaveArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Tags: []string{runTag(a.RunID)}}
}

// planWaves gives each plan of a run its wave: 0 for a plan whose
// overrides read no plan of the run, else one more than the latest wave
// of the plans they read. Plans whose overrides read each other, directly
// or not, are an error naming them.
func planWaves(ps []*plans.CompPlan) (map[string]int, int, error) {
	byName := map[string]*plans.CompPlan{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	wave := map[string]int{}
	const visiting = -1
	var visit func(name string, path []string) (int, error)
	visit = func(name string, path []string) (int, error) {
		if w, ok := wave[name]; ok {
			if w == visiting {
				i := slices.Index(path, name)
				return 0, fmt.Errorf("%w: plans %s read each other's payouts through their override components (%s → %s); an override must read a plan computed before it", calc.ErrPlan,
					strings.Join(slices.Sorted(slices.Values(path[i:])), ", "), strings.Join(path[i:], " → "), name)
			}
			return w, nil
		}
		wave[name] = visiting
		w := 0
		for _, src := range byName[name].OverridePlans() {
			if _, ok := byName[src]; !ok {
				continue // not in this run: its posted lines are read as they are
			}
			sw, err := visit(src, append(path, name))
			if err != nil {
				return 0, err
			}
			w = max(w, sw+1)
		}
		wave[name] = w
		return w, nil
	}
	waves := 1
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range byName {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		w, err := visit(n, nil)
		if err != nil {
			return nil, 0, err
		}
		waves = max(waves, w+1)
	}
	return wave, waves, nil
}

// runPlanWaves loads the run's plans and works out their waves. An
// override that reads a plan that is not published, or a component that
// plan does not have, fails the run: it would pay nothing, silently.
func runPlanWaves[TTx any](ctx context.Context, deps *Deps[TTx], run storage.Run) (map[string]int, int, error) {
	var ps []*plans.CompPlan
	byName := map[string]*plans.CompPlan{}
	for _, hash := range run.Plans {
		p, err := deps.Plans.Comp(ctx, deps.Store, hash)
		if err != nil {
			return nil, 0, err
		}
		ps = append(ps, p)
		byName[p.Name] = p
	}
	for _, p := range ps {
		for _, src := range p.OverridePlans() {
			if _, ok := byName[src]; ok {
				continue
			}
			v, err := deps.Store.PlanVersionLatest(ctx, plans.KindCompPlan, src)
			if errors.Is(err, storage.ErrNotFound) {
				return nil, 0, fmt.Errorf("%w: plan %s pays overrides on plan %s, which is not published (icomp plan publish FILE)", calc.ErrPlan, p.Name, src)
			}
			if err != nil {
				return nil, 0, err
			}
			sp, err := deps.Plans.Comp(ctx, deps.Store, v.Hash)
			if err != nil {
				return nil, 0, err
			}
			byName[src] = sp
		}
		if err := checkOverrideComponents(p, byName); err != nil {
			return nil, 0, err
		}
	}
	return planWaves(ps)
}

// checkOverrideComponents refuses an override naming a component its
// source plan (in byName) does not have.
func checkOverrideComponents(p *plans.CompPlan, byName map[string]*plans.CompPlan) error {
	for _, c := range p.Components {
		o := c.Override
		if o == nil || byName[o.Plan] == nil {
			continue
		}
		if missing, known := plans.MissingComponents(byName[o.Plan], o.Components); len(missing) > 0 {
			return fmt.Errorf("%w: %s: plan %s, component %s reads %s of plan %s, which has no such component or step (it has %s)", calc.ErrPlan, c.Pos, p.Name, c.Name,
				strings.Join(missing, ", "), o.Plan, strings.Join(known, ", "))
		}
	}
	return nil
}

// afterPlanBatches is the job that follows the last batch of plan wave
// wave of a run that has waves waves: the next wave, or settlement.
func afterPlanBatches(runID int64, wave, waves int) river.JobArgs {
	if wave+1 < waves {
		return WaveArgs{RunID: runID, Wave: wave + 1}
	}
	return SettleSplitArgs{RunID: runID}
}

// WaveWorker enqueues the batches of one wave of a run.
type WaveWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[WaveArgs]
	deps *Deps[TTx]
}

// Work enqueues the wave's batches (or, when it has none, what follows
// it) and completes the job in one transaction.
func (w *WaveWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[WaveArgs]) (err error) {
	defer failOnPanic(ctx, w.deps, job.Args.RunID, "the wave job", &err)
	st := w.deps.Store
	a := job.Args
	what := fmt.Sprintf("splitting wave %d of the run into batches", a.Wave+1)
	run, err := st.RunGet(ctx, a.RunID)
	if err != nil {
		return err
	}
	if run.Status != storage.RunRunning {
		return complete[TDriver, TTx](ctx, st, job)
	}
	waveOf, waves, err := runPlanWaves(ctx, w.deps, run)
	if err != nil {
		if permanent(err) {
			return failRun(ctx, w.deps, run.ID, err)
		}
		return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, what, err)
	}
	var scope map[string][]string
	if !run.Incremental() {
		if scope, err = st.LedgerScope(ctx, run.Period); err != nil {
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, what, err)
		}
	}
	rw := &RunWorker[TDriver, TTx]{deps: w.deps}
	var batches []BatchArgs
	for _, hash := range run.Plans {
		plan, err := w.deps.Plans.Comp(ctx, st, hash)
		if err != nil {
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, what, err)
		}
		if waveOf[plan.Name] != a.Wave {
			continue
		}
		bs, err := rw.planBatches(ctx, run, hash, scope)
		if err != nil {
			if permanent(err) {
				return failRun(ctx, w.deps, run.ID, err)
			}
			return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, what, err)
		}
		for _, b := range bs {
			b.Index, b.Wave, b.Waves = run.Batches+len(batches), a.Wave, waves
			batches = append(batches, b)
		}
	}
	client := river.ClientFromContext[TTx](ctx)
	err = st.InDriverTx(ctx, func(tx storage.Tx, dtx TTx) error {
		params := make([]river.InsertManyParams, 0, len(batches)+1)
		for _, b := range batches {
			params = append(params, river.InsertManyParams{Args: b, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if err := tx.RunSetBatches(ctx, run.ID, run.Batches+len(batches)); err != nil {
			return err
		}
		if len(batches) == 0 {
			params = append(params, river.InsertManyParams{Args: afterPlanBatches(run.ID, a.Wave, waves), InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}})
		}
		if _, err := client.InsertManyTx(ctx, dtx, params); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[TDriver](ctx, dtx, job)
		return err
	})
	return lastAttemptOf(ctx, w.deps, job.JobRow, run.ID, what, err)
}
