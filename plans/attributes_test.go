package plans_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

const attrPlan = `kind: comp_plan
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
    renewal: boolean
  person:
    target_incentive: number
credit: [{name: sale, when: "txn.attrs.quantity >= 10 && txn.attrs.renewal"}]
components:
  - name: margin
    type: per_credit
    amount: (credit.amount - txn.attrs.cost) * 0.1
    where: txn.attrs.signed_on >= "2027-01-01"
  - name: bonus
    type: formula
    amount: person.attrs.target_incentive * 2
`

func TestAttributesDeclared(t *testing.T) {
	f, diags := plans.Load("plan.yaml", []byte(attrPlan))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	a := f.Comp.Attributes
	var names []string
	for _, d := range a.Transaction {
		names = append(names, d.Name+":"+d.Type.String())
	}
	if got := strings.Join(names, ","); got != "cost:number,quantity:number,renewal:boolean,signed_on:date" {
		t.Errorf("transaction attributes = %s", got)
	}
	if d, ok := a.Lookup(false, "cost"); !ok || d.Default == nil || *d.Default != "0" || d.Pos.Line != 10 {
		t.Errorf("cost = %+v", d)
	}
	if d, ok := a.Lookup(true, "target_incentive"); !ok || d.Type != rules.AttrNumber {
		t.Errorf("target_incentive = %+v", d)
	}
}

// Each mistake is reported at its line and column.
func TestAttributesDiagnostics(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown type", "signed_on: date", "signed_on: dat", `plan.yaml:11:16: attributes.transaction.signed_on: unknown type "dat"; want number, date, boolean or text; did you mean "date"?`},
		{"bad default", "default: 0}", "default: zero}", `plan.yaml:10:35: attributes.transaction.cost.default: "zero" is not a number`},
		{"bad name", "renewal: boolean", "re-newal: boolean", `plan.yaml:12:5: attributes.transaction: "re-newal" is not a valid attribute name`},
		{"unknown key", "  person:\n", "  people:\n", `plan.yaml:13:3: attributes: unknown key "people"`},
		{"undeclared used as a number", "amount: person.attrs.target_incentive * 2", "amount: person.attrs.ote * 2",
			"plan.yaml:23:30: component \"bonus\".amount: invalid operation: * (mismatched types string and number); person.attrs.ote is text: to use it as a number or date, declare it in the plan's attributes (attributes: person: {ote: number})"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(attrPlan, tt.old, tt.new, 1)
			if src == attrPlan {
				t.Fatal("nothing replaced")
			}
			_, diags := plans.Load("plan.yaml", []byte(src))
			if len(diags) == 0 || !strings.HasPrefix(diags[0].String(), tt.want) {
				t.Fatalf("diags = %v\nwant first to start %q", diags, tt.want)
			}
		})
	}
}

// A plan test's attribute that does not parse as its declared type is
// reported at the value.
func TestAttributesInPlanTest(t *testing.T) {
	dir := t.TempDir()
	test := `kind: plan_test
plan: plan.yaml
cases:
  - name: bad values
    period: 2027-M01
    people:
      - {id: p1, attrs: {target_incentive: "10k"}}
    transactions:
      - {id: T1, date: 2027-01-05, owner: p1, amount: 100, attrs: {quantity: 12, signed_on: 2027-13-01, renewal: yes}}
    expect:
      payouts: {}
`
	for name, src := range map[string]string{"plan.yaml": attrPlan, "plan_test.yaml": test} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, diags, err := plans.Check([]string{filepath.Join(dir, "plan_test.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`plan_test.yaml:7:44: case "bad values" person 1.attrs.target_incentive: "10k" is not a number; want a plain decimal such as 12 or -1250.50 (declared number at line 14)`,
		`plan_test.yaml:9:93: case "bad values" transaction 1.attrs.signed_on: "2027-13-01" is not a date; want YYYY-MM-DD (declared date at line 11)`,
		`plan_test.yaml:9:114: case "bad values" transaction 1.attrs.renewal: "yes" is not a boolean; want true or false (declared boolean at line 12)`,
	}
	var got []string
	for _, d := range diags {
		s := d.String()
		s = s[strings.Index(s, "plan_test.yaml"):]
		got = append(got, strings.SplitN(s, "\n", 2)[0])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The hand-written number parser agrees with decimal's on what it takes,
// and refuses what a plain decimal is not.
func TestParseAttrNumber(t *testing.T) {
	for _, s := range []string{"0", "12", "-12", "1250.50", "-0.001", "007", "123456789012345678", "1234567890123456789012.5"} {
		v, err := plans.ParseAttr(rules.AttrNumber, s)
		if err != nil || v.Number.String() != decimalString(s) {
			t.Errorf("ParseAttr(%q) = %s, %v", s, v.Number, err)
		}
	}
	for _, s := range []string{"", "-", "1.", ".5", "1e3", "1,000", "$5", "+1", " 1", "1 ", "1.2.3", "--1"} {
		if _, err := plans.ParseAttr(rules.AttrNumber, s); err == nil {
			t.Errorf("ParseAttr(%q) took it", s)
		}
	}
}

func decimalString(s string) string { return decimal.RequireFromString(s).String() }
