package calc

import (
	"context"
	"errors"
	"fmt"
	"sort"

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
	// BatchPeopleMax caps the people in one batch.
	BatchPeopleMax = 500
)

// BatchPlan is how one plan's run of a period is cut into batches.
type BatchPlan struct {
	Period period.Period
	// TargetHash is the target plan version the batches read ("" for none).
	TargetHash string
	// People holds each batch's people, in id order.
	People [][]string
}

// BatchSource is what PlanBatches reads.
type BatchSource interface {
	storage.PeopleReader
	storage.TransactionReader
	storage.PlanReader
}

// PlanBatches slices a plan's payees in a period into batches: in id
// order, cut when a batch reaches BatchTxnsTarget owned transactions or
// BatchPeopleMax people, or exactly batchSize people when set (> 0). It
// refuses, naming them all, payees who lack a target the plan reads.
//
// inScope are the people with lines of the plan in the period: those no
// longer among its payees (reassigned, terminated, no longer eligible) are
// batched too, so that their batch computes nothing for them and its diff
// reverses their lines.
func PlanBatches(ctx context.Context, r BatchSource, cache *PlanCache, plan *plans.CompPlan, periodLabel string, inScope []string, batchSize int) (BatchPlan, error) {
	var bp BatchPlan
	p, err := ParsePeriod(plan, periodLabel)
	if err != nil {
		return bp, err
	}
	bp.Period = p
	if plan.Targets != "" {
		tv, err := r.PlanVersionLatest(ctx, plans.KindTargetPlan, plan.Targets)
		if errors.Is(err, storage.ErrNotFound) {
			return bp, fmt.Errorf("%w: plan %s needs target plan %s, which is not published (icomp plan publish FILE)", ErrPlan, plan.Name, plan.Targets)
		}
		if err != nil {
			return bp, err
		}
		bp.TargetHash = tv.Hash
	}
	people, err := Candidates(ctx, r, plan, p, nil)
	if err != nil {
		return bp, err
	}
	// Refuse before any batch posts when payees lack a target the plan
	// reads, naming all of them (a batch would name only its own).
	targets, err := cache.Target(ctx, r, bp.TargetHash)
	if err != nil {
		return bp, err
	}
	if err := engine.CheckTargets(plan, targets, p, Persons(people)); err != nil {
		return bp, err
	}
	payees := make(map[string]bool, len(people))
	for _, person := range people {
		payees[person.ID] = true
	}
	for _, id := range inScope {
		if !payees[id] {
			people = append(people, storage.PersonRecord{Person: facts.Person{ID: id}})
		}
	}
	sort.Slice(people, func(i, j int) bool { return people[i].ID < people[j].ID })
	counts, err := r.TransactionCountByOwner(ctx, period.Range{Start: p.Year.Start, End: p.End})
	if err != nil {
		return bp, err
	}
	// A territory credit rule brings a batch every transaction of its
	// people's territories: weigh each person by those too, estimated from
	// the owners' territories, or one batch of overlay people would load
	// every deal. A territory counts once per batch.
	byTerritory := map[string]int{}
	if CreditsTerritory(plan) {
		all, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: p.End})
		if err != nil {
			return bp, err
		}
		for _, o := range all {
			byTerritory[o.Territory] += counts[o.ID]
		}
	}
	// A roll-up brings a manager's batch their reports' transactions too.
	teamTxns, err := rollupWeights(ctx, r, plan, p, counts)
	if err != nil {
		return bp, err
	}
	var cur []string
	txns := 0
	inBatch := map[string]bool{}
	flush := func() {
		if len(cur) > 0 {
			bp.People = append(bp.People, cur)
		}
		cur, txns = nil, 0
		clear(inBatch)
	}
	for _, person := range people {
		cur = append(cur, person.ID)
		txns += counts[person.ID] + teamTxns(person.ID)
		if t := person.Territory; len(byTerritory) > 0 && t != "" && !inBatch[t] {
			inBatch[t] = true
			txns += byTerritory[t]
		}
		if (batchSize > 0 && len(cur) >= batchSize) ||
			(batchSize <= 0 && (txns >= BatchTxnsTarget || len(cur) >= BatchPeopleMax)) {
			flush()
		}
	}
	flush()
	return bp, nil
}
