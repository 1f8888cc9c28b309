package reports

import (
	"testing"

	"github.com/shopspring/decimal"
)

// A settlement line of no plan (a draw) says why without a stray ": "
// (regression: the HTML money table read ": settlement policy …").
func TestMoneyRowsSettledNotes(t *testing.T) {
	rows := moneyRows(MoneyMoved{Settled: []StatementLine{
		{Subject: "draw/ae-draw/ae_draw", Amount: decimal.RequireFromString("1348.76"), Currency: "USD", Reason: "settlement policy ae-draw"},
		{Plan: "ae-quarterly", Subject: "commission", Amount: decimal.RequireFromString("10"), Currency: "USD", Reason: "capped"},
	}})
	if len(rows) != 2 || rows[0].Note != "settlement policy ae-draw" || rows[1].Note != "ae-quarterly: capped" {
		t.Fatalf("rows %+v", rows)
	}
}
