package rules

import "testing"

func TestConstant(t *testing.T) {
	tests := []struct {
		src  string
		want string // the value, or "" when the rule is not constant
	}{
		{`-100`, "-100"},
		{`100`, "100"},
		{`0`, "0"},
		{`-(100)`, "-100"},
		{`0 - 100`, "-100"},
		{`50 * -2`, "-100"},
		{`min(-1, 5)`, "-1"},
		{`1 > 0 ? -5 : 5`, "-5"},
		{`1 / 0`, ""}, // fails to run: the run reports it
		{`-payout.commission`, ""},
		{`measure.bookings * 0.05`, ""},
		{`5000 - payout.commission`, ""},
		{`let x = -1; x`, ""},
		{`person.role == "AE" ? -1 : 1`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, ComponentEnv{}, KindDecimal, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := p.Constant()
			switch {
			case tt.want == "" && ok:
				t.Errorf("Constant() = %s, want not constant", v)
			case tt.want != "" && (!ok || v.String() != tt.want):
				t.Errorf("Constant() = %s, %v; want %s", v, ok, tt.want)
			}
		})
	}
	p, err := Compile(`txn.amount > 0`, TxnEnv{}, KindBool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Constant(); ok {
		t.Error("a true/false rule is not a constant number")
	}
}
