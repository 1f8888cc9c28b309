package jobs

import (
	"context"
	"fmt"
	"sync"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// PlanCache compiles each stored plan version once per process; compiled
// plans are safe to share between workers.
type PlanCache struct {
	mu     sync.Mutex
	comp   map[string]*plans.CompPlan
	target map[string]*plans.TargetPlan
}

// NewPlanCache returns an empty cache.
func NewPlanCache() *PlanCache {
	return &PlanCache{comp: map[string]*plans.CompPlan{}, target: map[string]*plans.TargetPlan{}}
}

func (c *PlanCache) load(ctx context.Context, r storage.Reader, hash string) (*plans.File, error) {
	v, err := r.PlanVersionGet(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("plan version %s: %w", hash, err)
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 {
		return nil, fmt.Errorf("stored plan %s (%s) no longer compiles:\n%w", v.Name, v.File, diags)
	}
	return f, nil
}

// The cache's lock is never held while a plan is read: on SQLite's single
// connection, a worker reading a plan outside a transaction waits for the
// connection, and a worker holding the connection in its transaction may
// be asking the cache for a plan. Two workers may load the same version at
// once; the first to finish is kept.

// Comp returns the compiled comp plan version hash.
func (c *PlanCache) Comp(ctx context.Context, r storage.Reader, hash string) (*plans.CompPlan, error) {
	c.mu.Lock()
	p, ok := c.comp[hash]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	f, err := c.load(ctx, r, hash)
	if err != nil {
		return nil, err
	}
	if f.Comp == nil {
		return nil, fmt.Errorf("plan version %s is a %s, not a comp plan", hash, f.Kind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.comp[hash]; ok {
		return p, nil
	}
	c.comp[hash] = f.Comp
	return f.Comp, nil
}

// Target returns the compiled target plan version hash ("" gives nil).
func (c *PlanCache) Target(ctx context.Context, r storage.Reader, hash string) (*plans.TargetPlan, error) {
	if hash == "" {
		return nil, nil
	}
	c.mu.Lock()
	p, ok := c.target[hash]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	f, err := c.load(ctx, r, hash)
	if err != nil {
		return nil, err
	}
	if f.Target == nil {
		return nil, fmt.Errorf("plan version %s is a %s, not a target plan", hash, f.Kind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.target[hash]; ok {
		return p, nil
	}
	c.target[hash] = f.Target
	return f.Target, nil
}
