package reports

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/plans"
)

// TestAdjustmentLines: a statement explains a ramped and prorated target,
// the proration a rule read, and each MBO objective.
func TestAdjustmentLines(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	ramp, threshold, capped := d("0.25"), d("0.5"), d("1.5")
	tr := engine.Trace{
		Targets: []engine.TargetTrace{{Name: "target.bookings", Target: d("11250"), Periods: []plans.TargetPeriodDetail{
			{Period: "2027-Q1", Base: d("90000"), RampStep: 1, Ramp: &ramp, Worked: 45, Of: 90, Unit: "days", Amount: d("11250")}}}},
		Proration: &engine.ProrationTrace{DaysWorked: 45, Days: 90, Factor: d("0.5")},
		MBO: &engine.MBOTrace{TargetRule: "10000", TargetAmount: d("10000"), Score: d("0.75"), Objectives: []engine.MBOObjectiveTrace{
			{Objective: "pipeline", Weight: d("0.5"), Score: d("2"), Cap: &capped, Counted: d("1.5"), Weighted: d("0.75")},
			{Objective: "csat", Weight: d("0.5"), Score: d("0.4"), Threshold: &threshold, Counted: d("0"), Weighted: d("0")}}},
	}
	got := strings.Join(adjustmentLines(tr), "\n")
	want := `target.bookings = 11250:
  2027-Q1: 90000 × 0.25 (ramp step 1) × 45/90 days employed = 11250
proration = 45/90 days employed = 0.5
objective pipeline: score 2, capped at 1.5 × weight 0.5 = 0.75
objective csat: score 0.4, below threshold 0.5, counts 0 × weight 0.5 = 0
weighted score 0.75 × target_amount 10000 (10000)`
	if got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
}
