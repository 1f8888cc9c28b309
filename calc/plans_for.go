package calc

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// ErrNoPlans is returned when no published plan is effective in the period.
var ErrNoPlans = errors.New("no published comp plan is effective in the period")

// PlansFor lists, sorted, the hashes of the comp plan versions a run of
// the period labelled label computes (of plan only, when set): of each
// plan, the newest publication that takes effect by the period's end,
// when it is in effect in the period (plans.VersionFor). A version effective from a later date
// leaves the periods before it to the version in force then.
func PlansFor(ctx context.Context, st storage.PlanReader, cache *PlanCache, label, only string) ([]string, error) {
	versions, err := st.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		return nil, err
	}
	var hashes []string
	var names []string
	for _, v := range versions {
		if only != "" && v.Name != only {
			continue
		}
		names = append(names, v.Name)
		history, err := st.PlanVersionHistory(ctx, v.Name)
		if err != nil {
			return nil, err
		}
		var hs []string // newest first
		for i := len(history) - 1; i >= 0; i-- {
			if history[i].Kind == plans.KindCompPlan {
				hs = append(hs, history[i].Hash)
			}
		}
		// Versions load only as far back as the period needs: an old one
		// that no longer loads stops only the periods it computes.
		i, _, ok, err := plans.VersionForLazy(len(hs), func(i int) (*plans.CompPlan, error) { return cache.Comp(ctx, st, hs[i]) }, label, only != "")
		if err != nil {
			return nil, err
		}
		if ok {
			hashes = append(hashes, hs[i])
		}
	}
	if only != "" && len(names) == 0 {
		return nil, fmt.Errorf("no published plan named %q (icomp plan publish FILE)", only)
	}
	if len(hashes) == 0 {
		return nil, fmt.Errorf("%w %s", ErrNoPlans, label)
	}
	sort.Strings(hashes)
	return hashes, nil
}

// PlanVersions lists the publications of plan's name, newest first, with
// plan itself in its place (first when it is not published: a what-if
// candidate), for engine.Input.Versions: nil when plan is the only one.
// A version that no longer loads (rules a newer icomp refuses) ends the
// list: clawbacks and releases cannot recompute the periods only it and
// older versions computed. targets are the target plans the other
// versions read and plan does not (the latest version of each), for
// engine.Input.VersionTargets.
func PlanVersions(ctx context.Context, st storage.PlanReader, cache *PlanCache, plan *plans.CompPlan) (versions []*plans.CompPlan, targets map[string]*plans.TargetPlan, err error) {
	history, err := st.PlanVersionHistory(ctx, plan.Name)
	if err != nil {
		return nil, nil, err
	}
	found := false
	for i := len(history) - 1; i >= 0; i-- {
		v := history[i]
		if v.Kind != plans.KindCompPlan {
			continue
		}
		if v.Hash == plan.Hash {
			versions = append(versions, plan)
			found = true
			continue
		}
		p, err := cache.Comp(ctx, st, v.Hash)
		if err != nil {
			if !found {
				continue // newer than plan: never computes a period before it
			}
			break
		}
		versions = append(versions, p)
	}
	if !found {
		versions = append([]*plans.CompPlan{plan}, versions...)
	}
	if len(versions) < 2 {
		return nil, nil, nil
	}
	for _, v := range versions {
		if v.Targets == "" || v.Targets == plan.Targets || targets[v.Targets] != nil {
			continue
		}
		tv, err := st.PlanVersionLatest(ctx, plans.KindTargetPlan, v.Targets)
		if errors.Is(err, storage.ErrNotFound) {
			continue // recomputing with it says which target plan is missing
		}
		if err != nil {
			return nil, nil, err
		}
		tp, err := cache.Target(ctx, st, tv.Hash)
		if err != nil {
			return nil, nil, err
		}
		if targets == nil {
			targets = map[string]*plans.TargetPlan{}
		}
		targets[v.Targets] = tp
	}
	return versions, targets, nil
}
