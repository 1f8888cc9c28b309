package reports

import (
	"context"
	"sync"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// planInfo is what a statement shows of a plan version: its version and
// description and the order of its measures, components and steps.
type planInfo struct {
	version, description string
	// order is nil when the version no longer loads.
	order nameOrder
}

// planInfoMax bounds the plan versions planInfos remembers.
const planInfoMax = 256

// planInfos remembers planInfo by plan hash. A plan version's hash is
// that of its content, which never changes, so what was read once stays
// right; before it, every statement (and every person of a team view)
// loaded and compiled each of its plans again, a fifth of the web app's
// time under load.
var planInfos = struct {
	sync.Mutex
	m map[string]planInfo
}{m: map[string]planInfo{}}

// planInfoOf reads the plan version with hash, or remembers it; false
// when it cannot be read (not remembered: the store may answer later).
func planInfoOf(ctx context.Context, r storage.PlanReader, hash string) (planInfo, bool) {
	planInfos.Lock()
	info, ok := planInfos.m[hash]
	planInfos.Unlock()
	if ok {
		return info, true
	}
	v, err := r.PlanVersionGet(ctx, hash)
	if err != nil {
		return planInfo{}, false
	}
	info = planInfo{version: v.Version}
	if f, diags := plans.Load(v.File, []byte(v.Source)); len(diags) == 0 && f != nil && f.Comp != nil {
		info.description = f.Comp.Description
		o := nameOrder{}
		for _, m := range f.Comp.Measures {
			o[m.Name] = len(o)
		}
		for _, c := range f.Comp.Components {
			o[c.Name] = len(o)
		}
		for _, s := range f.Comp.Steps {
			if _, dup := o[s.Name]; !dup {
				o[s.Name] = len(o)
			}
		}
		info.order = o
	}
	planInfos.Lock()
	if len(planInfos.m) >= planInfoMax {
		clear(planInfos.m)
	}
	planInfos.m[hash] = info
	planInfos.Unlock()
	return info, true
}
