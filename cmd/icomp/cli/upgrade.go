package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// upgradeWorkspace finishes, once, what a schema migration cannot do in
// SQL for a database from before v7: it seals the runs and payroll batches
// it already held, and sets the company calendar from the published comp
// plans. On a new database it finds nothing to do.
func upgradeWorkspace(ctx context.Context, st storage.Store) error {
	if _, err := audit.SealLegacy(ctx, st); err != nil {
		return fmt.Errorf("sealing the runs and payroll batches of an upgraded database: %w", err)
	}
	if _, err := periods.Calendar(ctx, st); !errors.Is(err, periods.ErrNoCalendar) {
		return err
	}
	versions, err := st.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil || len(versions) == 0 {
		return err
	}
	cache := calc.NewPlanCache()
	return st.InTx(ctx, func(tx storage.Tx) error {
		for _, v := range versions {
			plan, err := cache.Comp(ctx, tx, v.Hash)
			if err != nil {
				return err
			}
			if err := periods.AgreeCalendar(ctx, tx, plan.Name, plan.Calendar); err != nil {
				return err
			}
		}
		return nil
	})
}
