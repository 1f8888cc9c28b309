package calc_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// payoutLines is a LedgerReader holding payout lines only.
type payoutLines struct {
	storage.LedgerReader
	lines []ledger.Line
}

func (r payoutLines) LedgerLineList(_ context.Context, p storage.LedgerLineListParams) ([]ledger.Line, error) {
	var out []ledger.Line
	for _, l := range r.lines {
		if l.Ledger == p.Ledger && l.Plan == p.Plan && l.Period == p.Period {
			out = append(out, l)
		}
	}
	return out, nil
}

// A once component (a milestone) reads what earlier periods of the fiscal
// year paid, like a cumulative one, so that it is not paid again; other
// components are not read.
func TestPriorPayoutsIncludesOnceComponents(t *testing.T) {
	t.Parallel()
	src := `kind: comp_plan
name: m
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit:
  - name: owner
measures:
  - name: bookings_ytd
    window: ytd
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
  - name: milestone
    type: formula
    gate: measure.bookings_ytd >= 100000
    amount: 5000
    once: true
`
	f, diags := plans.Load("plan.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	plan := f.Comp
	line := func(period, subject, amount string) ledger.Line {
		return ledger.Line{Ledger: ledger.PayoutLedger, Kind: ledger.KindPost, Key: period + subject, Plan: "m", Period: period, Person: "ae-1", Subject: subject, Amount: decimal.RequireFromString(amount)}
	}
	r := payoutLines{lines: []ledger.Line{
		line("2027-Q1", "commission", "12000"),
		line("2027-Q1", "milestone", "5000"),
	}}
	q2, err := plan.Calendar.Parse("2027-Q2")
	if err != nil {
		t.Fatal(err)
	}
	prior, err := calc.PriorPayouts(t.Context(), r, plan, q2, []string{"ae-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prior) != 1 || prior[0].Component != "milestone" || !prior[0].Amount.Equal(decimal.NewFromInt(5000)) {
		t.Fatalf("got %+v, want only milestone 5000", prior)
	}
}
