package engine

import (
	"testing"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// TestPaidOnFromTypedCache checks that a payment date read from the
// typed-attribute cache (untilText, given the transaction's index) is
// the one read from the transaction's attributes: present, absent,
// repeated, or in a transaction the cache has not parsed; and that
// without a declaration to read (a default, another type) the
// attributes are read.
func TestPaidOnFromTypedCache(t *testing.T) {
	def := "2027-01-01"
	for _, decls := range [][]plans.AttributeDecl{
		{{Name: "quantity", Type: rules.AttrNumber}, {Name: "signed_on", Type: rules.AttrDate}, {Name: "paid_on", Type: rules.AttrDate}, {Name: "multi_year", Type: rules.AttrBoolean}},
		{{Name: "paid_on", Type: rules.AttrDate, Default: &def}},
		{{Name: "paid_on", Type: rules.AttrText}},
	} {
		plan := &plans.CompPlan{Name: "p", Hold: &plans.Hold{Until: "paid_on"}, Clawback: &plans.Clawback{}, Attributes: &plans.Attributes{Transaction: decls}}
		txns := []facts.Transaction{
			{ID: "T-1", Attrs: map[string]string{"paid_on": "2027-04-15", "quantity": "3"}},
			{ID: "T-2", Attrs: map[string]string{"quantity": "3"}},
			{ID: "T-3", Attrs: map[string]string{"paid_on": "2027-04-15", "signed_on": "2027-03-01"}},
			{ID: "T-4", Attrs: map[string]string{"paid_on": "2027-05-02"}},
			{ID: "T-5"},
			{ID: "T-6", Attrs: map[string]string{"paid_on": "2027-06-30"}}, // left unparsed
		}
		in := Input{Plan: plan, Transactions: txns}
		c := &calc{in: in, plan: plan, typedTxns: typedCacheFor(plan, &in), slab: newDecSlab()}
		if c.typedTxns == nil {
			t.Fatal("no typed-attribute cache")
		}
		for i := range txns[:5] {
			if err := c.typedTxns.parse(plan, i, &txns[i], c.slab); err != nil {
				t.Fatal(err)
			}
		}
		plain := &calc{in: in, plan: plan}
		for i := range txns {
			got, gotOK, err := c.readPaidOn(&txns[i], int32(i))
			if err != nil {
				t.Fatal(err)
			}
			want, wantOK, err := plain.readPaidOn(&txns[i], -1)
			if err != nil {
				t.Fatal(err)
			}
			if got != want || gotOK != wantOK {
				t.Errorf("%v: %s: read %s %v from the cache, %s %v from the attributes", decls, txns[i].ID, got, gotOK, want, wantOK)
			}
		}
		if wantCache := decls[0].Name == "quantity"; (c.untilDecl >= 0) != wantCache {
			t.Errorf("%v: untilDecl %d", decls, c.untilDecl)
		}
	}
}
