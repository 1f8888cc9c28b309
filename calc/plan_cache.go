package calc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// PlanCache compiles each stored plan version once per process; compiled
// plans are safe to share between workers.
//
// The cache's lock is never held while a plan is read: on SQLite's single
// connection, a worker reading a plan outside a transaction waits for the
// connection, and a worker holding the connection in its transaction may
// be asking the cache for a plan. Two workers may load the same version at
// once; the first to finish is kept.
type PlanCache struct {
	mu    sync.Mutex
	files map[string]*plans.File
}

// NewPlanCache returns an empty cache.
func NewPlanCache() *PlanCache {
	return &PlanCache{files: map[string]*plans.File{}}
}

// file returns the compiled plan file of version hash.
func (c *PlanCache) file(ctx context.Context, r storage.PlanReader, hash string) (*plans.File, error) {
	c.mu.Lock()
	f, ok := c.files[hash]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	v, err := r.PlanVersionGet(ctx, hash)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: plan version %s is not stored", ErrPlan, hash)
	}
	if err != nil {
		return nil, fmt.Errorf("plan version %s: %w", hash, err)
	}
	f, diags := plans.Load(v.File, []byte(v.Source))
	if len(diags) > 0 {
		return nil, fmt.Errorf("%w: stored plan %s (%s) no longer compiles:\n%w", ErrPlan, v.Name, v.File, diags)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if first, ok := c.files[hash]; ok {
		return first, nil
	}
	c.files[hash] = f
	return f, nil
}

// Comp returns the compiled comp plan version hash.
func (c *PlanCache) Comp(ctx context.Context, r storage.PlanReader, hash string) (*plans.CompPlan, error) {
	f, err := c.file(ctx, r, hash)
	if err != nil {
		return nil, err
	}
	if f.Comp == nil {
		return nil, fmt.Errorf("%w: plan version %s is a %s, not a comp plan", ErrPlan, hash, f.Kind)
	}
	return f.Comp, nil
}

// Target returns the compiled target plan version hash ("" gives nil).
func (c *PlanCache) Target(ctx context.Context, r storage.PlanReader, hash string) (*plans.TargetPlan, error) {
	if hash == "" {
		return nil, nil
	}
	f, err := c.file(ctx, r, hash)
	if err != nil {
		return nil, err
	}
	if f.Target == nil {
		return nil, fmt.Errorf("%w: plan version %s is a %s, not a target plan", ErrPlan, hash, f.Kind)
	}
	return f.Target, nil
}

// ErrPlan marks plan problems no retry fixes (a stored plan that no longer
// compiles, a missing target plan), as opposed to a database that failed
// to answer.
var ErrPlan = errors.New("plan error")

// Settlement returns the compiled settlement policy version hash.
func (c *PlanCache) Settlement(ctx context.Context, r storage.PlanReader, hash string) (*plans.SettlementPolicy, error) {
	f, err := c.file(ctx, r, hash)
	if err != nil {
		return nil, err
	}
	if f.Settlement == nil {
		return nil, fmt.Errorf("%w: plan version %s is a %s, not a settlement policy", ErrPlan, hash, f.Kind)
	}
	return f.Settlement, nil
}
