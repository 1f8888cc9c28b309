package calc_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// slowReader serves plan versions; the one named slow waits for release.
type slowReader struct {
	storage.Reader // nil: only PlanVersionGet is used
	versions       map[string]storage.PlanVersion
	slow           string
	loading        chan struct{}
	release        chan struct{}
}

func (r *slowReader) PlanVersionGet(ctx context.Context, hash string) (storage.PlanVersion, error) {
	if hash == r.slow {
		close(r.loading)
		<-r.release
	}
	v, ok := r.versions[hash]
	if !ok {
		return v, storage.ErrNotFound
	}
	return v, nil
}

func loadVersion(t *testing.T, path string) storage.PlanVersion {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := plans.Load(path, src)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	switch {
	case f.Comp != nil:
		return storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name, File: path, Source: string(src)}
	case f.Target != nil:
		return storage.PlanVersion{Hash: f.Target.Hash, Kind: plans.KindTargetPlan, Name: f.Target.Name, File: path, Source: string(src)}
	}
	t.Fatalf("%s is neither a plan nor a target plan", path)
	return storage.PlanVersion{}
}

// TestPlanCacheDoesNotHoldLockWhileLoading: a plan already cached is
// served while another plan is still being read. On SQLite's single
// connection, a batch worker loading a target plan (waiting for the
// connection) while another worker asked for the cached comp plan inside
// its write transaction (holding the connection) deadlocked both.
func TestPlanCacheDoesNotHoldLockWhileLoading(t *testing.T) {
	t.Parallel()
	comp := loadVersion(t, "../examples/account-executive/plan.yaml")
	target := loadVersion(t, "../examples/account-executive/targets.yaml")
	r := &slowReader{
		versions: map[string]storage.PlanVersion{comp.Hash: comp, target.Hash: target},
		slow:     target.Hash, loading: make(chan struct{}), release: make(chan struct{}),
	}
	cache := calc.NewPlanCache()
	ctx := t.Context()
	if _, err := cache.Comp(ctx, r, comp.Hash); err != nil {
		t.Fatal(err)
	}

	targetDone := make(chan error, 1)
	go func() {
		_, err := cache.Target(ctx, r, target.Hash)
		targetDone <- err
	}()
	<-r.loading

	compDone := make(chan error, 1)
	go func() {
		p, err := cache.Comp(ctx, r, comp.Hash)
		if err == nil && p.Hash != comp.Hash {
			t.Errorf("Comp returned plan %s, want %s", p.Hash, comp.Hash)
		}
		compDone <- err
	}()
	select {
	case err := <-compDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(r.release)
		t.Fatal("Comp of a cached plan waited for another plan's load")
	}
	close(r.release)
	if err := <-targetDone; err != nil {
		t.Fatal(err)
	}
	// Both are cached now: no more reads.
	r.versions = nil
	if _, err := cache.Target(ctx, r, target.Hash); err != nil {
		t.Fatalf("cached target plan: %v", err)
	}
}
