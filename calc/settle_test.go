package calc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

func earned(person, plan, component, code, amount string) ledger.Line {
	l := ledger.Line{Ledger: ledger.PayoutLedger, Plan: plan, Period: "2027-M01", Person: person, Subject: component,
		Currency: "USD", EarningCode: code, Amount: decimal.RequireFromString(amount)}
	l.Key = ledger.PostKey(l, "")
	return l
}

func policy(t *testing.T, src string) *plans.SettlementPolicy {
	t.Helper()
	f, diags := plans.Load("policy.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("policy: %v", diags)
	}
	return f.Settlement
}

// TestSettleCaps checks settlement's caps across plans.
//
// The hard cap case is the published example of Sparrowgenie's "Capped
// Commission" model (https://www.sparrowgenie.com/sales-commission-models/capped-commission):
// commission 3% of sales, monthly cap $10,000; monthly sales of $400,000
// earn $12,000, capped at $10,000. Here the $400,000 is sold under two
// plans ($300,000 and $100,000, $9,000 and $3,000 of commission), so the
// cap has to act across plans: the later plan's line gives up $2,000.
func TestSettleCaps(t *testing.T) {
	t.Parallel()
	m01 := period.Calendar{}.Periods(2027, period.Monthly)[0]
	hardCap := policy(t, `kind: settlement_policy
name: company
version: "1"
currency: USD
caps:
  - name: monthly_commission
    amount: 10000
    earning_codes: [COMM]
`)
	aeOnly := policy(t, `kind: settlement_policy
name: company
version: "2"
currency: USD
caps:
  - name: ae_ceiling
    eligibility: person.role == "AE"
    amount: 10000
`)
	planGroup := policy(t, `kind: settlement_policy
name: company
version: "3"
currency: USD
caps:
  - name: new_business
    plans: [ae-new, ae-expansion]
    amount: 2000
`)
	people := []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "se-1", Role: "SE"}}
	tests := []struct {
		name     string
		earned   []ledger.Line
		policies []*plans.SettlementPolicy
		want     map[string]string // person/plan/component → payable
	}{
		{"no policy pays what was earned", []ledger.Line{earned("ae-1", "ae-core", "commission", "COMM", "9000"), earned("ae-1", "ae-new", "commission", "COMM", "3000")},
			nil, map[string]string{"ae-1/ae-core/commission": "9000", "ae-1/ae-new/commission": "3000"}},
		{"published hard cap across two plans", []ledger.Line{earned("ae-1", "ae-core", "commission", "COMM", "9000"), earned("ae-1", "ae-new", "commission", "COMM", "3000")},
			[]*plans.SettlementPolicy{hardCap}, map[string]string{"ae-1/ae-core/commission": "9000", "ae-1/ae-new/commission": "1000"}},
		{"under the cap nothing changes", []ledger.Line{earned("ae-1", "ae-core", "commission", "COMM", "6000"), earned("ae-1", "ae-new", "commission", "COMM", "3999.99")},
			[]*plans.SettlementPolicy{hardCap}, map[string]string{"ae-1/ae-core/commission": "6000", "ae-1/ae-new/commission": "3999.99"}},
		{"only counted earning codes", []ledger.Line{earned("ae-1", "ae-core", "commission", "COMM", "11000"), earned("ae-1", "ae-core", "quota_bonus", "BONUS", "5000")},
			[]*plans.SettlementPolicy{hardCap}, map[string]string{"ae-1/ae-core/commission": "10000", "ae-1/ae-core/quota_bonus": "5000"}},
		{"a cap takes from the last lines first, whole lines if need be", []ledger.Line{earned("ae-1", "a", "commission", "COMM", "8000"), earned("ae-1", "b", "commission", "COMM", "1500"), earned("ae-1", "c", "commission", "COMM", "2500")},
			[]*plans.SettlementPolicy{hardCap}, map[string]string{"ae-1/a/commission": "8000", "ae-1/b/commission": "1500", "ae-1/c/commission": "500"}},
		{"a clawback counts against the total", []ledger.Line{earned("ae-1", "a", "commission", "COMM", "12000"), earned("ae-1", "b", "clawback", "COMM", "-1500")},
			[]*plans.SettlementPolicy{hardCap}, map[string]string{"ae-1/a/commission": "11500", "ae-1/b/clawback": "-1500"}},
		{"a cap on a group of plans counts only those plans", []ledger.Line{earned("ae-1", "ae-core", "commission", "COMM", "9000"), earned("ae-1", "ae-expansion", "commission", "COMM", "500"), earned("ae-1", "ae-new", "commission", "COMM", "3000")},
			[]*plans.SettlementPolicy{planGroup}, map[string]string{"ae-1/ae-core/commission": "9000", "ae-1/ae-expansion/commission": "500", "ae-1/ae-new/commission": "1500"}},
		{"eligibility picks whom a cap binds", []ledger.Line{earned("ae-1", "a", "commission", "COMM", "12000"), earned("se-1", "a", "commission", "COMM", "12000")},
			[]*plans.SettlementPolicy{aeOnly}, map[string]string{"ae-1/a/commission": "10000", "se-1/a/commission": "12000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			adj := []storage.Adjustment{{ID: 7, Person: "ae-1", Period: "2027-M01", Amount: decimal.RequireFromString("50"), Currency: "USD", EarningCode: "ADJ", Reason: "spot", CreatedBy: "admin"}}
			got, err := calc.Settle(calc.Settlement{Period: m01, Earned: tt.earned, Adjustments: adj, Policies: tt.policies, People: people})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, l := range got {
				if l.Ledger != ledger.PayableLedger || l.Period != "2027-M01" {
					t.Fatalf("line %+v: want a payable line of 2027-M01", l)
				}
				if strings.HasPrefix(l.Subject, ledger.AdjustmentSubjectPrefix) {
					if !l.Amount.Equal(decimal.NewFromInt(50)) || l.Reason != "adjustment 7 by admin: spot" {
						t.Fatalf("adjustment line %+v: caps never touch adjustments", l)
					}
					continue
				}
				k := l.Person + "/" + l.Plan + "/" + l.Subject
				want, ok := tt.want[k]
				if !ok || !l.Amount.Equal(decimal.RequireFromString(want)) {
					t.Fatalf("%s payable %s, want %s", k, l.Amount, want)
				}
				capped := !l.Amount.Equal(earnedAmount(tt.earned, l))
				if capped != strings.Contains(l.Reason, "capped by settlement policy company") {
					t.Fatalf("%s reason %q: a reduced line says why, an untouched one does not", k, l.Reason)
				}
				seen[k] = true
			}
			if len(seen) != len(tt.want) {
				t.Fatalf("payable lines %v, want %v", seen, tt.want)
			}
		})
	}
}

func earnedAmount(lines []ledger.Line, p ledger.Line) decimal.Decimal {
	for _, l := range lines {
		if l.Person == p.Person && l.Plan == p.Plan && l.Subject == p.Subject {
			return l.Amount
		}
	}
	return decimal.Zero
}

func TestSettleCapCurrencyMismatch(t *testing.T) {
	t.Parallel()
	pol := policy(t, "kind: settlement_policy\nname: eu\nversion: \"1\"\ncurrency: EUR\ncaps:\n  - name: c\n    amount: 100\n")
	_, err := calc.Settle(calc.Settlement{Period: period.Calendar{}.Periods(2027, period.Monthly)[0],
		Earned: []ledger.Line{earned("ae-1", "a", "commission", "COMM", "500")}, Policies: []*plans.SettlementPolicy{pol}})
	if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), "caps EUR amounts") {
		t.Fatalf("USD earnings under a EUR cap: %v, want an input error", err)
	}
}

func TestAttainmentBasisRoundTrip(t *testing.T) {
	t.Parallel()
	for _, a := range []engine.Attainment{
		{Target: decimal.RequireFromString("250000"), Ratio: decimal.RequireFromString("1.2")},
		{Target: decimal.Zero},
	} {
		target, att := calc.ParseAttainmentBasis(calc.AttainmentBasis(a))
		want := ""
		if a.Target.Sign() > 0 {
			want = a.Ratio.String()
		}
		if target != a.Target.String() || att != want {
			t.Fatalf("basis of %+v reads back as target %q attainment %q", a, target, att)
		}
	}
}

// TestSettleConvertsAdjustments: an adjustment in another currency than
// its person's is paid in the person's, converted as earned lines are,
// with the conversion in its reason; without a rate, settling fails
// naming what is missing. Regression test: a EUR adjustment of a
// GBP-paid person became a payable EUR line, which payroll cannot pay.
func TestSettleConvertsAdjustments(t *testing.T) {
	t.Parallel()
	m01 := period.Calendar{}.Periods(2027, period.Monthly)[0]
	people := []facts.Person{{ID: "ae-1", Currency: "GBP"}}
	adj := []storage.Adjustment{{ID: 3, Person: "ae-1", Period: "2027-M01", Amount: decimal.RequireFromString("100.00"), Currency: "EUR", EarningCode: "ADJ", CreatedBy: "x", Reason: "missed split"}}
	fx, err := facts.NewFXRates([]facts.FXRate{{From: "EUR", To: "GBP", Month: "2027-01", Rate: decimal.RequireFromString("0.8567")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := calc.Settle(calc.Settlement{Period: m01, Adjustments: adj, People: people, FX: fx})
	if err != nil {
		t.Fatal(err)
	}
	var line *ledger.Line
	for i := range got {
		if got[i].Ledger == ledger.PayableLedger && got[i].Subject == ledger.AdjustmentSubjectPrefix+"3" {
			line = &got[i]
		}
	}
	if line == nil || line.Currency != "GBP" || line.Amount.String() != "85.67" || !strings.Contains(line.Reason, "100 EUR × 0.8567 (EUR→GBP, 2027-01) = 85.67 GBP") {
		t.Fatalf("adjustment line %+v, want 85.67 GBP converted at 0.8567", line)
	}
	if _, err := calc.Settle(calc.Settlement{Period: m01, Adjustments: adj, People: people}); !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), "EUR") {
		t.Fatalf("no EUR→GBP rate: %v, want an input error naming it", err)
	}
}
