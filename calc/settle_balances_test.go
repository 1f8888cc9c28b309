package calc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/plantest"
)

// TestSettleBalances runs the settlement tests of testdata/settle: draws
// (limits on recovery, draws from hire, termination), carried deficits
// and their recovery, period by period.
func TestSettleBalances(t *testing.T) {
	t.Parallel()
	files, diags, err := plans.Check([]string{"testdata/settle"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("%s", d)
	}
	cases := 0
	for _, f := range files {
		if f.SettlementTest == nil {
			continue
		}
		for _, r := range plantest.RunSettlement(f.SettlementTest) {
			cases++
			if !r.Passed() {
				t.Errorf("\n%s", plantest.Format(r))
			}
		}
	}
	if cases < 9 {
		t.Fatalf("ran %d settlement test cases, want at least 9", cases)
	}
}

// TestSettleDrawRefusals checks the draws that cannot be settled: a draw
// from hire for a person without a hire date, and a draw that started
// before a period whose previous period was never calculated.
func TestSettleDrawRefusals(t *testing.T) {
	t.Parallel()
	pol := policy(t, `kind: settlement_policy
name: company
version: "1"
currency: USD
draws:
  - {name: from_hire, period: monthly, amount: 1000, recoverable: true, from: hire, periods: 3, on_termination: recover}
`)
	fixed := policy(t, `kind: settlement_policy
name: company
version: "2"
currency: USD
draws:
  - {name: fixed, period: monthly, amount: 1000, recoverable: true, from: 2027-M01, periods: 3, on_termination: recover}
`)
	cal := period.Calendar{}
	m02, _ := cal.Parse("2027-M02")
	tests := []struct {
		name string
		s    calc.Settlement
		want string
	}{
		{"no hire date", calc.Settlement{Period: m02, Calendar: cal, Earned: []ledger.Line{earned("ae-1", "a", "commission", "COMM", "500")},
			Policies: []*plans.SettlementPolicy{pol}, PreviousCalculated: true}, "ae-1 has no hire date"},
		{"previous period never calculated", calc.Settlement{Period: m02, Calendar: cal, Earned: []ledger.Line{earned("ae-1", "a", "commission", "COMM", "500")},
			Policies: []*plans.SettlementPolicy{fixed}}, "2027-M01 was never calculated; run the periods in order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := calc.Settle(tt.s)
			if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Settle: %v, want an input error saying %q", err, tt.want)
			}
		})
	}
}
