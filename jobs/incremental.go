package jobs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// Incremental re-runs (docs/lifecycle.md, "Incremental re-runs").
//
// A run of every plan after an earlier complete run of the same period
// (its base), with the same plans, settlement policies and posting period,
// recomputes only the people the changes to its inputs since the base
// reach: a batch's lines depend on its people's own records, scores and
// adjustments, the transactions they read (owned, split to them, in their
// territory, or cancelling one of those) and, through roll-ups and
// overrides, their reports' transactions and payouts; and on earlier
// periods' lines of the same people. Every other person's lines would be
// computed as they were, so the diff would post nothing for them. What
// cannot be traced to people (a plan, target plan or policy published,
// exchange rates, a bulk import) makes the run full.

// maxScopeChanges is how many changes since its base a run traces to
// people; beyond it, the run is full.
const maxScopeChanges = 20_000

// incrementalBatchPeople is the people per batch of an incremental run.
const incrementalBatchPeople = 200

// incrementalScope decides how run recomputes: the people to recompute
// (nil scope with why for a full run).
func incrementalScope[TTx any](ctx context.Context, deps *Deps[TTx], run storage.Run) (scope *storage.RunScope, why string, err error) {
	st := deps.Store
	if run.PlanFilter != "" {
		return nil, "a run of one plan recomputes all its people", nil
	}
	if run.InputSeq == 0 {
		return nil, "the run records no change sequence", nil
	}
	runs, err := st.RunList(ctx)
	if err != nil {
		return nil, "", err
	}
	var base *storage.Run
	for i := range runs {
		r := &runs[i]
		if r.ID < run.ID && r.Period == run.Period && r.Status == storage.RunDone && r.PlanFilter == "" && r.InputSeq > 0 {
			base = r
		}
	}
	if base == nil {
		return nil, fmt.Sprintf("no earlier complete run of %s to follow", run.Period), nil
	}
	switch {
	case !sameSet(base.Plans, run.Plans):
		return nil, fmt.Sprintf("the comp plans in effect are not those run %d computed", base.ID), nil
	case !sameSet(base.Policies, run.Policies):
		return nil, fmt.Sprintf("the settlement policies are not those run %d applied", base.ID), nil
	case base.PostedPeriod != run.PostedPeriod:
		return nil, fmt.Sprintf("run %d posted into %s, this run posts into %s", base.ID, base.PostedPeriod, run.PostedPeriod), nil
	}
	changes, more, err := st.InputChangesSince(ctx, base.InputSeq, maxScopeChanges)
	if err != nil {
		return nil, "", err
	}
	if more {
		return nil, fmt.Sprintf("more than %d inputs changed since run %d", maxScopeChanges, base.ID), nil
	}
	people := map[string]bool{}
	var txnIDs []string
	var runIDs []int64
	counts := map[string]int{}
	for _, c := range changes {
		if c.Seq > run.InputSeq {
			break // after this run started: the next run's
		}
		switch c.Kind {
		case storage.ChangeTransaction:
			txnIDs = append(txnIDs, c.Ref)
		case storage.ChangePerson, storage.ChangeAdjustment, storage.ChangeScore:
			people[c.Ref] = true
		case storage.ChangeRun:
			id, err := strconv.ParseInt(c.Ref, 10, 64)
			if err != nil {
				return nil, "", fmt.Errorf("change %d: run %q: %w", c.Seq, c.Ref, err)
			}
			r, err := st.RunGet(ctx, id)
			if err != nil {
				return nil, "", err
			}
			if r.Period == run.Period {
				continue // the period's own lines are what the diff reads
			}
			runIDs = append(runIDs, id)
		case storage.ChangePlan:
			return nil, fmt.Sprintf("plan %s was published since run %d", c.Ref, base.ID), nil
		case storage.ChangeFX:
			return nil, fmt.Sprintf("exchange rates changed since run %d", base.ID), nil
		case storage.ChangeTransactions:
			return nil, fmt.Sprintf("more than %d transactions changed in one import since run %d", storage.ChangeBulk, base.ID), nil
		case storage.ChangePeople:
			return nil, fmt.Sprintf("more than %d people changed in one import since run %d", storage.ChangeBulk, base.ID), nil
		default:
			return nil, fmt.Sprintf("%s changed since run %d", c.Kind, base.ID), nil
		}
		counts[c.Kind]++
	}
	territory, clawback := false, false
	for _, h := range run.Plans {
		plan, err := deps.Plans.Comp(ctx, st, h)
		if err != nil {
			return nil, "", err
		}
		territory = territory || calc.CreditsTerritory(plan)
		clawback = clawback || plan.Clawback != nil
	}
	links, err := st.PersonLinks(ctx)
	if err != nil {
		return nil, "", err
	}
	managers := map[string][]string{}
	inTerritory := map[string][]string{}
	for _, l := range links {
		if l.Manager != "" {
			managers[l.ID] = append(managers[l.ID], l.Manager)
		}
		if l.Territory != "" {
			inTerritory[l.Territory] = append(inTerritory[l.Territory], l.ID)
		}
	}
	// The people who read a transaction: its owner, the people it is
	// split to and, with a territory credit rule, its territory's people.
	readers := func(t facts.Transaction) {
		people[t.Owner] = true
		for _, s := range t.Splits {
			people[s.Person] = true
		}
		if territory && t.Territory != "" {
			for _, id := range inTerritory[t.Territory] {
				people[id] = true
			}
		}
	}
	if len(txnIDs) > 0 {
		slices.Sort(txnIDs)
		txnIDs = slices.Compact(txnIDs)
		versions, err := st.TransactionVersions(ctx, txnIDs)
		if err != nil {
			return nil, "", err
		}
		for _, t := range versions {
			readers(t)
		}
		if clawback {
			// A batch that reads a cancellation reads the deal it cancels.
			cancelling, err := st.TransactionsCancelling(ctx, txnIDs)
			if err != nil {
				return nil, "", err
			}
			for _, t := range cancelling {
				readers(t)
			}
		}
	}
	for _, id := range runIDs {
		ids, err := st.RunPeople(ctx, id)
		if err != nil {
			return nil, "", err
		}
		for _, p := range ids {
			people[p] = true
		}
	}
	// Roll-ups and overrides: a manager's batch reads their reports'
	// transactions and payouts, at any level, under any hierarchy some
	// revision of a record gave.
	stack := make([]string, 0, len(people))
	for p := range people {
		stack = append(stack, p)
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range managers[p] {
			if !people[m] {
				people[m] = true
				stack = append(stack, m)
			}
		}
	}
	delete(people, "")
	ids := make([]string, 0, len(people))
	for p := range people {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	var parts []string
	for _, k := range []struct{ kind, one, many string }{
		{storage.ChangeTransaction, "transaction", "transactions"},
		{storage.ChangePerson, "person", "people"},
		{storage.ChangeAdjustment, "adjustment", "adjustments"},
		{storage.ChangeScore, "score", "scores"},
		{storage.ChangeRun, "run of another period", "runs of other periods"},
	} {
		if n := counts[k.kind]; n > 0 {
			word := k.many
			if n == 1 {
				word = k.one
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	note := "nothing changed"
	if len(parts) > 0 {
		note = strings.Join(parts, ", ") + " changed"
	}
	return &storage.RunScope{Base: base.ID, Note: fmt.Sprintf("%s since run %d", note, base.ID), People: ids}, "", nil
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// scopedBatches makes an incremental run's batches of one plan: its
// scope's people, incrementalBatchPeople at a time.
func scopedBatches(ctx context.Context, st storage.PlanReader, plan *plans.CompPlan, hash string, run storage.Run) ([]BatchArgs, error) {
	p, err := calc.ParsePeriod(plan, run.Period)
	if err != nil {
		return nil, err
	}
	target := ""
	if plan.Targets != "" {
		tv, err := st.PlanVersionLatest(ctx, plans.KindTargetPlan, plan.Targets)
		if err != nil {
			return nil, fmt.Errorf("%w: plan %s needs target plan %s: %v", calc.ErrPlan, plan.Name, plan.Targets, err)
		}
		target = tv.Hash
	}
	people := run.Scope.People
	var out []BatchArgs
	for start := 0; start < len(people); start += incrementalBatchPeople {
		out = append(out, BatchArgs{RunID: run.ID, Period: p.Label, PlanHash: hash, PlanName: plan.Name, TargetHash: target,
			People: people[start:min(start+incrementalBatchPeople, len(people))]})
	}
	return out, nil
}
