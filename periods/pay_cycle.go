package periods

import (
	"context"
	"errors"
	"fmt"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/storage"
)

// payCycleAnchor reads the company's bi-weekly pay cycle anchor: zero when
// no bi-weekly plan has set one.
func payCycleAnchor(ctx context.Context, r storage.PeriodReader) (period.Date, error) {
	v, err := r.SettingGet(ctx, storage.SettingPayCycleAnchor)
	if errors.Is(err, storage.ErrNotFound) {
		return period.Date{}, nil
	}
	if err != nil {
		return period.Date{}, err
	}
	d, err := period.ParseDate(v)
	if err != nil {
		return period.Date{}, fmt.Errorf("invariant: stored pay_cycle_anchor: %v", err)
	}
	return d, nil
}

// agreePayCycles sets the company's bi-weekly cycles from a bi-weekly
// plan's when none are set, and otherwise refuses a plan whose cycles fall
// on other days: 2027-BW05 must be the same 14 days for every plan. A plan
// whose anchor is a whole number of cycles from the company's agrees. A
// plan that does not pay bi-weekly has no anchor and always agrees.
func agreePayCycles(ctx context.Context, tx storage.Tx, planName string, have, plan period.Calendar) error {
	if plan.PayCycleAnchor.IsZero() {
		return nil
	}
	if have.PayCycleAnchor.IsZero() {
		return tx.SettingSet(ctx, storage.SettingPayCycleAnchor, plan.PayCycleAnchor.String())
	}
	if !have.SamePayCycles(plan) {
		return fmt.Errorf("plan %s has pay_cycle_anchor %s, but the company's bi-weekly pay cycles start on %s and every 14 days from it: every bi-weekly plan must use the company's pay cycles (pick an anchor a multiple of 14 days from %s)", planName, plan.PayCycleAnchor, have.PayCycleAnchor, have.PayCycleAnchor)
	}
	return nil
}
