package imports_test

import (
	"testing"

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
