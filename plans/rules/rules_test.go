package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

type testEnv struct {
	Amount decimal.Decimal            `expr:"amount"`
	Type   string                     `expr:"type"`
	M      map[string]decimal.Decimal `expr:"measure"`
	List   []decimal.Decimal          `expr:"list"`
}

func TestDecimalRules(t *testing.T) {
	t.Parallel()
	env := testEnv{
		Amount: decimal.RequireFromString("1000.50"),
		Type:   "new",
		M:      map[string]decimal.Decimal{"bookings": decimal.RequireFromString("250000")},
		List:   []decimal.Decimal{decimal.NewFromInt(7), decimal.NewFromInt(8)},
	}
	for _, tc := range []struct {
		src  string
		want string
	}{
		{"0.1 + 0.2", "0.3"},
		{"amount * 0.04", "40.02"},
		{"amount - 0.5", "1000"},
		{"-amount", "-1000.5"},
		{"-(amount + 1)", "-1001.5"},
		{"- 2.5", "-2.5"},
		{"1 / 3", "0.33333333333333333333"},
		{"2 / 3", "0.66666666666666666667"},
		{"min(amount, 10, 20)", "10"},
		{"max(amount, 10, 20)", "1000.5"},
		{"round(2.345, 2)", "2.35"},
		{"round(-2.345, 2)", "-2.35"},
		{"clamp(measure.bookings / 100000, 0, 2)", "2"},
		{"clamp(measure.bookings / 1000000, 0, 2)", "0.25"},
		{"type == 'new' ? amount * 0.1 : amount * 0.05", "100.05"},
		{"abs(-3) + floor(1.7) + ceil(1.2)", "6"},
		{"list[1] * 2", "16"},
		{"0.123456789012345678901 * 1", "0.123456789012345678901"},
		{"1_000.5", "1000.5"},
		// Regression: operators inside the arguments of abs and of min/max
		// after the first were left unpatched, compiled, and failed at run
		// time with "invalid operation: decimal.Decimal - decimal.Decimal".
		{"abs(amount - 2000)", "999.5"},
		{"min(amount, amount + 1)", "1000.5"},
		{"max(1, 2, amount * 2)", "2001"},
		{"abs(-(amount + 1))", "1001.5"},
		{"floor(ceil(amount / 3) * 2)", "668"},
		{"round(abs(amount * 0.001 - 2), 1)", "1"},
	} {
		p, err := Compile(tc.src, testEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		var m Machine
		got, err := p.Decimal(&m, env)
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		if !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("%q = %s, want %s", tc.src, got, tc.want)
		}
	}
}

func TestBoolRules(t *testing.T) {
	t.Parallel()
	env := testEnv{Amount: decimal.RequireFromString("0.30")}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"0.1 + 0.2 == 0.3", true},
		{"0.1 + 0.2 != 0.3", false},
		{"amount == 0.3", true},
		{"amount == 0.1 + 0.2", true},
		{"amount > 0.29 && amount < 0.31", true},
		{"amount >= 0.3 and amount <= 0.3", true},
		{"-amount < 0", true},
		{"type in ['new', 'upsell']", false},
	} {
		p, err := Compile(tc.src, testEnv{}, KindBool, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		var m Machine
		got, err := p.Bool(&m, env)
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		if got != tc.want {
			t.Errorf("%q = %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src       string
		kind      Kind
		line, col int
		contains  string
	}{
		{"amount * 'x'", KindDecimal, 1, 7, "invalid operation"},
		{"amount + nope", KindDecimal, 1, 9, "unknown name nope"},
		{"amount", KindBool, 1, 0, "rule gives a number, want a boolean (true/false)"},
		{"type", KindDecimal, 1, 0, "rule gives a string, want a number"},
		{"amount +", KindDecimal, 1, 7, "unexpected token"},
		{"amount\n  * 'x'", KindDecimal, 2, 2, "invalid operation"},
		{strings.Repeat("amount + ", 600) + "1", KindDecimal, 1, 0, ""},
		// Regression: a type error inside a function's argument was hidden
		// from the checker and surfaced only at run time.
		{"abs(amount - type)", KindDecimal, 1, 11, "invalid operation"},
		{"min(amount, amount * type)", KindDecimal, 1, 19, "invalid operation"},
	} {
		_, err := Compile(tc.src, testEnv{}, tc.kind, nil)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want error", tc.src)
			continue
		}
		re, ok := err.(*Error)
		if errs, many := err.(Errors); many {
			re, ok = errs[0], true
		}
		if !ok {
			t.Errorf("Compile(%q) error %T, want *Error or Errors", tc.src, err)
			continue
		}
		if re.Line != tc.line || re.Column != tc.col || !strings.Contains(re.Message, tc.contains) {
			t.Errorf("Compile(%.30q) = %d:%d %q, want %d:%d containing %q", tc.src, re.Line, re.Column, re.Message, tc.line, tc.col, tc.contains)
		}
	}
}

func TestDivisionByZero(t *testing.T) {
	t.Parallel()
	p, err := Compile("amount / 0", testEnv{}, KindDecimal, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Machine
	if _, err := p.Decimal(&m, testEnv{Amount: decimal.NewFromInt(1)}); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("err = %v, want division by zero", err)
	}
}

func TestUnknownMapKey(t *testing.T) {
	t.Parallel()
	_, err := Compile("1 + measure.bookigns + measure.meetngs", testEnv{}, KindDecimal, Names{"measure": {"bookings", "meetings"}})
	errs, ok := err.(Errors)
	if !ok || len(errs) != 2 {
		t.Fatalf("err = %v, want two errors", err)
	}
	if re := errs[0]; re.Line != 1 || re.Column != 12 || re.Message != `unknown measure "bookigns"; did you mean "bookings"?` {
		t.Errorf("got %d:%d %q", re.Line, re.Column, re.Message)
	}
	if re := errs[1]; re.Line != 1 || re.Column != 31 || re.Message != `unknown measure "meetngs"; did you mean "meetings"?` {
		t.Errorf("got %d:%d %q", re.Line, re.Column, re.Message)
	}
	if _, err := Compile("measure.bookings * 2", testEnv{}, KindDecimal, Names{"measure": {"bookings"}}); err != nil {
		t.Errorf("known key: %v", err)
	}
}

// Rules cannot read the clock or compute in float64 or int: those builtins
// are not there.
func TestNoClockNoFloats(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`now() > date("2027-01-01")`,
		`date(type) > now() - duration("2160h")`,
		`float(type) + float(type) == float("0.3")`,
		`int(type) > 1`,
		`len(type) > 3`,
	} {
		if _, err := Compile(src, testEnv{}, KindBool, nil); err == nil {
			t.Errorf("Compile(%q) succeeded; want an error", src)
		}
	}
	for _, src := range []string{`upper(type) == "NEW"`, `hasPrefix(lower(trim(type)), "ne")`} {
		if _, err := Compile(src, testEnv{}, KindBool, nil); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

// TestPlanWords checks that rule errors name fields, attributes and
// measures as plans do, every problem of a rule at once.
func TestPlanWords(t *testing.T) {
	t.Parallel()
	names := Names{"measure": {"bookings"}, "target": {"bookings"}, "attainment": {"bookings"}, "payout": {"commission"}}
	for _, tc := range []struct {
		src  string
		env  any
		want []string
	}{
		{`txn.new_logo == "true" && txn.attrs.x == "y" && txn.big_deal == "true"`, CreditEnv{}, []string{
			"1:4: no field new_logo on a transaction; did you mean txn.attrs.new_logo?",
			"1:52: no field big_deal on a transaction; did you mean txn.attrs.big_deal?",
		}},
		{`attainment >= 0.5`, ComponentEnv{}, []string{"1:0: attainment needs a measure name, e.g. attainment.bookings"}},
		{`payout > 0`, ComponentEnv{}, []string{"1:0: payout needs a component name, e.g. payout.commission"}},
		{`txn.attrs == "x"`, TxnEnv{}, []string{`1:4: txn.attrs needs an attribute name, e.g. txn.attrs.channel`}},
		{`txn.attrs.x == true`, TxnEnv{}, []string{`1:15: attributes are text: compare txn.attrs.x with "true", in quotes`}},
		{`false != person.attrs["plan-year"]`, PersonEnv{}, []string{`1:0: attributes are text: compare person.attrs["plan-year"] with "false", in quotes`}},
		{`period.month == 1`, PersonEnv{}, []string{"1:7: no field month on the period; known: label, fiscal_year, index, start, end"}},
		{`credit.amount > 0`, TxnEnv{}, []string{"1:0: unknown name credit; this rule can read txn"}},
		// Fine: a key test on a map, a let variable, a computed key.
		{`"channel" in txn.attrs && !("x" in txn.attrs)`, TxnEnv{}, nil},
		{`let t = txn.type; t == "new"`, TxnEnv{}, nil},
		{`measure[person.role] > 0`, ComponentEnv{}, nil},
	} {
		kind := KindBool
		_, err := Compile(tc.src, tc.env, kind, names)
		var got []string
		if errs, ok := err.(Errors); ok {
			for _, e := range errs {
				got = append(got, fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message))
			}
		} else if err != nil {
			got = []string{err.Error()}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("Compile(%q):\n%s\nwant:\n%s", tc.src, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
