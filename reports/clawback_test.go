package reports

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
)

func TestClawbackLines(t *testing.T) {
	d := decimal.RequireFromString
	base := engine.ClawbackTrace{Cancellation: "C-1", Cancels: "T-1", DealDate: "2027-02-10", CancelDate: "2027-04-20", Days: 69, WindowDays: 90,
		Period: "2027-Q1", DealAmount: d("100000"), Returned: d("40000"), Share: d("0.4"), Credited: d("100000"), Paid: d("10000"), Rate: d("0.1"), Amount: d("-4000")}
	outside := base
	outside.Days, outside.Paid, outside.Amount, outside.Note = 120, decimal.Zero, decimal.Zero, "outside the 90-day clawback window: nothing clawed back"
	gated := base
	gated.Paid, gated.Amount, gated.Note = decimal.Zero, decimal.Zero, "the component's gate was shut in 2027-Q1: the deal earned nothing through it"
	// A component the deal earned nothing through, without a note.
	nothing := base
	nothing.Paid, nothing.Amount, nothing.Note = decimal.Zero, decimal.Zero, ""
	held := base
	held.Amount, held.Note = decimal.Zero, "the deal's commission is held (no payment recorded by 2027-04-20): nothing was paid, so nothing is taken back"
	capped := base
	capped.Note = "capped"
	tests := []struct {
		name string
		in   engine.ClawbackTrace
		want string
	}{
		{"taken back", base, "C-1 cancels T-1 (deal of 2027-02-10 for 100000, paid in 2027-Q1) on 2027-04-20, 69 days later (window 90 days): returns 40000 = 0.4 of the deal; the deal earned 10000 on 100000 credited (rate 0.1), so -10000 × 0.4 = -4000"},
		{"outside the window", outside, "120 days later (window 90 days): returns 40000; outside the 90-day clawback window: nothing clawed back"},
		{"nothing earned", gated, "returns 40000; the deal earned nothing here (the component's gate was shut in 2027-Q1: the deal earned nothing through it)"},
		// Regression test: "the deal earned nothing here ()".
		{"nothing earned, no note", nothing, "returns 40000; the deal earned nothing here"},
		{"held", held, "returns 40000; the deal earned 10000 (the deal's commission is held (no payment recorded by 2027-04-20): nothing was paid, so nothing is taken back)"},
		{"with a note", capped, "= -4000 (capped)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClawbackLines([]engine.ClawbackTrace{tt.in})
			if len(got) != 1 || !strings.HasSuffix(got[0], tt.want) {
				t.Errorf("got %q, want it to end %q", got, tt.want)
			}
		})
	}
}
