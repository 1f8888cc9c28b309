package imports_test

import (
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// An attribute a published comp plan declares as a number (docs/plans.md
// §17) must parse as one: a bad value is a problem at its line and
// attr.NAME field, and nothing is imported.
func TestTypedAttributeProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Before any plan declares quantity, it is free text.
	header := "id,date,type,owner,territory,product,amount,currency,splits,attr.quantity,attr.cost,attr.note\n"
	if _, err := b.txns(t, "free.csv", header+"T001,2027-01-05,new,ae-1,west,core,500,USD,,three,,x\n"); err != nil {
		t.Fatal(err)
	}
	b.publishExample(t, "published/unit-and-profit-commission", "")
	before := b.counts(t)
	_, err := b.txns(t, "typed.csv", header+
		"T002,2027-01-05,new,ae-1,west,core,500,USD,,3,400,ok\n"+
		"T003,2027-01-06,new,ae-1,west,core,500,USD,,3 units,1e3,ok\n"+
		"T004,2027-01-07,new,ae-1,west,core,500,USD,,,,ok\n")
	wantProblems(t, problems(t, err), []string{
		`typed.csv:3: attr.cost: "1e3" is not a number; want a plain decimal such as 12 or -1250.50; comp plan published-unit-and-profit-commission declares cost a number`,
		`typed.csv:3: attr.quantity: "3 units" is not a number; want a plain decimal such as 12 or -1250.50; comp plan published-unit-and-profit-commission declares quantity a number`,
	})
	if after := b.counts(t); after != before {
		t.Errorf("a failed import wrote rows: %+v, then %+v", before, after)
	}
	if c, err := b.txns(t, "good.csv", header+"T002,2027-01-05,new,ae-1,west,core,500,USD,,3,400.50,ok\n"); err != nil || c != (storage.ImportCounts{Inserted: 1}) {
		t.Fatalf("good file: %+v, %v", c, err)
	}
}

// A person attribute a published plan declares is checked the same way.
func TestTypedPersonAttributeProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := `kind: comp_plan
name: typed-people
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
attributes:
  person: {target_incentive: number, start: date}
credit: [{name: sale}]
components: [{name: kicker, type: formula, amount: person.attrs.target_incentive * 0.1}]
`
	f, diags := plans.Load("typed.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name,
			Version: f.Comp.Version, File: "typed.yaml", Source: src})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, err := b.peopleOn(t, importDay, "p.csv", "id,attr.target_incentive,attr.start\nae-1,20k,2027-01-01\nae-2,20000,01/02/2027\nae-3,20000.50,\n")
	wantProblems(t, problems(t, err), []string{
		`p.csv:2: attr.target_incentive: "20k" is not a number; want a plain decimal such as 12 or -1250.50; comp plan typed-people declares target_incentive a number`,
		`p.csv:3: attr.start: "01/02/2027" is not a date; want YYYY-MM-DD; comp plan typed-people declares start a date`,
	})
}
