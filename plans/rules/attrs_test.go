package rules

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

var testAttrs = &Attributes{
	Txn:    map[string]AttrType{"quantity": AttrNumber, "cost": AttrNumber, "signed_on": AttrDate, "renewal": AttrBoolean, "shipped_on": AttrDate, "won": AttrBoolean},
	Person: map[string]AttrType{"target_incentive": AttrNumber},
}

func attrCreditEnv(withCost bool) CreditEnv {
	e := CreditEnv{
		Txn: Txn{ID: "T1", Date: "2027-02-03", Amount: decimal.RequireFromString("1000"),
			Attrs:   map[string]string{"quantity": "12", "cost": "600.50", "signed_on": "2027-01-31", "renewal": "true", "channel": "web"},
			Numbers: map[string]decimal.Decimal{"quantity": decimal.NewFromInt(12)},
			Dates:   map[string]string{"signed_on": "2027-01-31"},
			Flags:   map[string]bool{"renewal": true}},
		Credit: Credit{Amount: decimal.RequireFromString("1000"), Share: decimal.NewFromInt(1)},
		Person: Person{ID: "p1", Numbers: map[string]decimal.Decimal{"target_incentive": decimal.RequireFromString("25000")}},
	}
	if withCost {
		e.Txn.Numbers["cost"] = decimal.RequireFromString("600.50")
	}
	return e
}

func TestTypedAttributes(t *testing.T) {
	tests := []struct {
		src     string
		kind    Kind
		want    string // the value, or the error's text
		noCost  bool
		wantErr bool
	}{
		{src: `txn.attrs.quantity >= 10`, kind: KindBool, want: "true"},
		{src: `txn.attrs["quantity"] >= 13`, kind: KindBool, want: "false"},
		{src: `txn.amount - txn.attrs.cost`, kind: KindDecimal, want: "399.5"},
		{src: `(credit.amount - txn.attrs.cost) * 0.10`, kind: KindDecimal, want: "39.95"},
		{src: `person.attrs.target_incentive * 2`, kind: KindDecimal, want: "50000"},
		{src: `txn.attrs.signed_on < txn.date`, kind: KindBool, want: "true"},
		{src: `txn.attrs.signed_on >= "2027-02-01"`, kind: KindBool, want: "false"},
		{src: `txn.attrs.renewal && txn.attrs.channel == "web"`, kind: KindBool, want: "true"},
		{src: `not txn.attrs.renewal`, kind: KindBool, want: "false"},
		{src: `txn.amount - txn.attrs.cost`, kind: KindDecimal, noCost: true, wantErr: true, want: "no value for number attribute cost"},
		{src: `txn.attrs.shipped_on >= "2027-01-01"`, kind: KindBool, wantErr: true, want: "no value for date attribute shipped_on"},
		{src: `txn.attrs.shipped_on == txn.date`, kind: KindBool, wantErr: true, want: "no value for date attribute shipped_on"},
		{src: `txn.attrs.won`, kind: KindBool, wantErr: true, want: "no value for boolean attribute won"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, CreditEnv{}, tt.kind, nil, WithAttributes(testAttrs))
			if err != nil {
				t.Fatal(err)
			}
			env := attrCreditEnv(!tt.noCost)
			sameAsVM(t, p, &env)
			var m Machine
			var got string
			if tt.kind == KindBool {
				var b bool
				b, err = p.Bool(&m, &env)
				got = map[bool]string{true: "true", false: "false"}[b]
			} else {
				var d decimal.Decimal
				d, err = p.Decimal(&m, &env)
				got = d.String()
			}
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// The common shapes over typed attributes run without the VM.
func TestTypedAttributesFast(t *testing.T) {
	for src, kind := range map[string]Kind{`txn.attrs.quantity >= 10`: KindBool, `txn.attrs.renewal`: KindBool, `txn.amount - txn.attrs.cost`: KindDecimal,
		`txn.attrs.signed_on < "2027-05-01" && txn.attrs.signed_on != txn.date`: KindBool} {
		p, err := Compile(src, TxnEnv{}, kind, nil, WithAttributes(testAttrs))
		if err != nil {
			t.Fatal(err)
		}
		if !p.Fast() {
			t.Errorf("%q does not take the fast path", src)
		}
	}
}

func TestUndeclaredAttributeAsNumber(t *testing.T) {
	tests := []struct{ src, want string }{
		{`txn.attrs.qty >= 10`, "txn.attrs.qty is text: to use it as a number or date, declare it in the plan's attributes (attributes: transaction: {qty: number})"},
		{`txn.amount - txn.attrs.margin`, "declare it in the plan's attributes (attributes: transaction: {margin: number})"},
		{`person.attrs.ote * 2`, "(attributes: person: {ote: number})"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src, CreditEnv{}, KindDecimal, nil, WithAttributes(testAttrs))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
	// An undeclared attribute stays text.
	if _, err := Compile(`txn.attrs.channel == "web"`, TxnEnv{}, KindBool, nil, WithAttributes(testAttrs)); err != nil {
		t.Error(err)
	}
	// The typed maps are not names a rule can use.
	if _, err := Compile(`txn["#numbers"] != nil`, TxnEnv{}, KindBool, nil); err == nil {
		t.Error(`txn["#numbers"] compiled`)
	}
}
