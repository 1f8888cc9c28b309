package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

const typedAttrPlan = `kind: comp_plan
name: typed
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: monthly
attributes:
  transaction:
    quantity: number
    cost: {type: number, default: 0}
    signed_on: date
  person:
    target_incentive: number
eligibility: person.attrs.target_incentive > 0
credit: [{name: sale, to: owner}]
components:
  - name: margin
    type: per_credit
    amount: (credit.amount - txn.attrs.cost) * 0.1
  - name: units
    type: per_credit
    where: txn.attrs.signed_on >= "2027-01-01"
    amount: txn.attrs.quantity * 2
`

// Typed attributes compute as numbers, dates and defaults; a value that
// does not parse, or a rule reading a missing value, is an error naming
// the transaction or person and the attribute.
func TestTypedAttributes(t *testing.T) {
	plan := compPlan(t, typedAttrPlan)
	jan, err := period.Calendar{FiscalYearStartMonth: 1}.Parse("2027-M01")
	if err != nil {
		t.Fatal(err)
	}
	person := func(ti string) facts.Person {
		return facts.Person{ID: "p1", Attrs: map[string]string{"target_incentive": ti}}
	}
	sale := func(attrs map[string]string) facts.Transaction {
		tx := txn("T1", "2027-01-10", "new", "p1", "1000")
		tx.Attrs = attrs
		return tx
	}
	tests := []struct {
		name    string
		person  facts.Person
		txn     facts.Transaction
		margin  string
		units   string
		wantErr string
	}{
		{name: "typed values", person: person("5000"), txn: sale(map[string]string{"quantity": "3", "cost": "400.50", "signed_on": "2027-01-02"}), margin: "59.95", units: "6"},
		{name: "cost defaults to 0", person: person("5000"), txn: sale(map[string]string{"quantity": "3", "signed_on": "2027-01-02"}), margin: "100", units: "6"},
		{name: "signed before the year: no units", person: person("5000"), txn: sale(map[string]string{"quantity": "3", "signed_on": "2026-12-30"}), margin: "100", units: "0"},
		{name: "bad number", person: person("5000"), txn: sale(map[string]string{"quantity": "3 units"}),
			wantErr: `plan typed: transaction T1: attribute quantity: "3 units" is not a number; want a plain decimal such as 12 or -1250.50 (declared number at plan.yaml:9:5)`},
		{name: "bad date", person: person("5000"), txn: sale(map[string]string{"quantity": "3", "signed_on": "10/01/2027"}),
			wantErr: `transaction T1: attribute signed_on: "10/01/2027" is not a date`},
		{name: "bad person number", person: person("5k"), txn: sale(nil),
			wantErr: `plan typed: person p1: attribute target_incentive: "5k" is not a number`},
		{name: "missing quantity", person: person("5000"), txn: sale(map[string]string{"signed_on": "2027-01-02"}),
			wantErr: `transaction T1: rule "txn.attrs.quantity * 2": no value for number attribute quantity`},
		{name: "missing person number", person: facts.Person{ID: "p1"}, txn: sale(nil),
			wantErr: `person p1: rule "person.attrs.target_incentive > 0": no value for number attribute target_incentive`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := engine.Compute(engine.Input{Plan: plan, Period: jan, People: []facts.Person{tt.person}, Transactions: []facts.Transaction{tt.txn}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				var re *engine.RuleError
				if !errors.Is(err, engine.ErrInput) && !errors.As(err, &re) {
					t.Fatalf("err = %v, want an input or rule error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range res.Payouts {
				got[p.Component] = p.Amount.String()
			}
			if got["margin"] != tt.margin || got["units"] != tt.units {
				t.Errorf("payouts = %v, want margin %s, units %s", got, tt.margin, tt.units)
			}
		})
	}
}
