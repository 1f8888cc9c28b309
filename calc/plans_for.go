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
		var newestFirst []*plans.CompPlan
		var hs []string
		for i := len(history) - 1; i >= 0; i-- {
			if history[i].Kind != plans.KindCompPlan {
				continue
			}
			plan, err := cache.Comp(ctx, st, history[i].Hash)
			if err != nil {
				return nil, err
			}
			newestFirst = append(newestFirst, plan)
			hs = append(hs, history[i].Hash)
		}
		i, _, ok, err := plans.VersionFor(newestFirst, label, only != "")
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
func PlanVersions(ctx context.Context, st storage.PlanReader, cache *PlanCache, plan *plans.CompPlan) ([]*plans.CompPlan, error) {
	history, err := st.PlanVersionHistory(ctx, plan.Name)
	if err != nil {
		return nil, err
	}
	var out []*plans.CompPlan
	found := false
	for i := len(history) - 1; i >= 0; i-- {
		v := history[i]
		if v.Kind != plans.KindCompPlan {
			continue
		}
		if v.Hash == plan.Hash {
			out = append(out, plan)
			found = true
			continue
		}
		p, err := cache.Comp(ctx, st, v.Hash)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if !found {
		out = append([]*plans.CompPlan{plan}, out...)
	}
	if len(out) < 2 {
		return nil, nil
	}
	return out, nil
}
