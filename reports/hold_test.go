package reports

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
)

func TestHoldLines(t *testing.T) {
	d := decimal.RequireFromString
	held := engine.HoldTrace{Deal: "T-2", DealDate: "2027-03-20", Period: "2027-Q1", Credited: d("50000"), Paid: d("5000"), Amount: d("-5000"),
		Note: "no payment recorded by 2027-03-31: held until the payment arrives"}
	released := held
	released.PaidOn, released.Amount, released.Note = "2027-04-15", d("5000"), "held in 2027-Q1; paid on 2027-04-15: released"
	tests := []struct {
		name string
		tr   engine.Trace
		want []string
	}{
		{"hold", engine.Trace{Type: engine.TraceTypeHold, Holds: []engine.HoldTrace{held}},
			[]string{"deal T-2 of 2027-03-20 earned 5000 (credited 50000); no payment recorded by 2027-03-31: held until the payment arrives: -5000"}},
		{"release", engine.Trace{Type: engine.TraceTypeRelease, Holds: []engine.HoldTrace{released}},
			[]string{"deal T-2 of 2027-03-20 earned 5000; held in 2027-Q1; paid on 2027-04-15: released: 5000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HoldLines(tt.tr); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got := TraceLines(tt.tr); !slices.Contains(got, tt.want[0]) {
				t.Errorf("TraceLines = %q, want it to hold %q", got, tt.want[0])
			}
		})
	}
}

func TestLineTxnsOfHolds(t *testing.T) {
	p := StatementPayout{Component: "hold/commission", Trace: engine.Trace{Type: engine.TraceTypeHold,
		Holds: []engine.HoldTrace{{Deal: "T-2"}, {Deal: "T-3"}, {Deal: "T-2"}}}}
	if got, want := lineTxns(p, map[string]bool{"T-2": true, "T-3": true}), []string{"T-2", "T-3"}; !slices.Equal(got, want) {
		t.Errorf("lineTxns = %q, want %q", got, want)
	}
}
