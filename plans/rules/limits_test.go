package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// within runs f and fails the test if it has not returned after a
// generous bound: the rules below hung for minutes or ran out of memory
// before the limits.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running after 5 s")
	}
}

// letChain writes let v1 = op(v0); let v2 = op(v1); ... and ends with
// last(vn): each step doubles or quadruples what the one before made.
func letChain(first string, n int, step func(prev string) string, last func(v string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "let v0 = %s; ", first)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "let v%d = %s; ", i, step(fmt.Sprintf("v%d", i-1)))
	}
	b.WriteString(last(fmt.Sprintf("v%d", n)))
	return b.String()
}

// nestedAll writes all over a list of n elements, depth deep: n^depth
// runs of the innermost condition.
func nestedAll(n, depth int) string {
	elems := make([]string, n)
	for i := range elems {
		elems[i] = fmt.Sprint(i)
	}
	list := "[" + strings.Join(elems, ", ") + "]"
	rule := "# >= 0"
	for range depth {
		rule = fmt.Sprintf("all(%s, %s)", list, rule)
	}
	return rule
}

// TestRefusedAtCompile checks that the rules that hung or ran out of
// memory before the limits do not compile, with a message in plan words.
func TestRefusedAtCompile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		kind      Kind
		want      string
	}{
		{"nested all over ranges", `all(1..1000000, all(1..1000000, all(1..1000000, # > 0)))`, KindBool,
			`1:5: ranges (1..10) are not allowed in rules`},
		{"nested all over lists", nestedAll(40, 5), KindBool,
			"all inside all: all, any, none and one cannot be nested in a rule"},
		{"a list function over a let", `let l = ["new", "upsell"]; any(l, txn.type == #)`, KindBool,
			`1:31: any needs a list written in the rule, such as any(["new", "upsell"], txn.type != #)`},
		{"a list function over a list it builds", `any(filter(["a"], true), # == txn.type)`, KindBool,
			"filter is not available in rules"},
		{"count", `count(["a", "b"], # == txn.type) > 0`, KindBool, "1:0: count is not available in rules"},
		{"one long list", fmt.Sprintf(`any([%s], txn.type == # || txn.product == # || person.role == # || txn.id == #)`,
			strings.Repeat(`"x", `, 400)+`"y"`), KindBool, "1:0: rule could take 10027 steps to run; the limit is 10000"},
		{"doubling text", letChain(`"aa"`, 60, func(v string) string { return v + " + " + v }, func(v string) string { return v + ` == ""` }), KindBool,
			`text can be joined with + only where both sides are written in the rule`},
		{"joining a field", `txn.type + "-" + txn.product == "new-core"`, KindBool,
			`1:9: text can be joined with + only where both sides are written in the rule`},
		{"a huge number", `credit.amount * 1e50`, KindDecimal,
			"1:16: number too large: a rule's numbers have at most 40 digits before the decimal point"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			within(t, func() { _, err = Compile(tc.src, CreditEnv{}, tc.kind, nil) })
			if err == nil {
				t.Fatalf("Compile(%.60q) succeeded; want an error", tc.src)
			}
			errs, ok := err.(Errors)
			if !ok {
				t.Fatalf("Compile(%.60q) error %T %v, want Errors", tc.src, err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message))
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("Compile(%.60q):\n%s\nwant %q", tc.src, strings.Join(got, "\n"), tc.want)
			}
		})
	}
}

// TestDecimalGrowth checks that numbers that grow without bound through
// let fail the evaluation, naming the rule, instead of computing with
// millions of digits; and that the fast path fails the same way.
func TestDecimalGrowth(t *testing.T) {
	t.Parallel()
	quad := func(v string) string { return fmt.Sprintf("%s * %s * %s * %s", v, v, v, v) }
	for _, tc := range []struct {
		name, src, want string
	}{
		{"squaring", letChain("10 * 10", 20, quad, func(v string) string { return v + " > 0" }), "number too large"},
		{"squaring a fraction", letChain("0.1 * 0.1", 20, quad, func(v string) string { return v + " > 0" }), "number too precise"},
		{"dividing", letChain("1 / 0.0001", 20, quad, func(v string) string { return v + " > 0" }), "number too large"},
		{"adding", letChain("credit.amount * 1000000000000000000", 100, func(v string) string { return v + " + " + v }, func(v string) string { return v + " > 0" }), "number too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compile(tc.src, CreditEnv{}, KindBool, nil)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var m Machine
			within(t, func() { _, err = p.Bool(&m, &fastCreditEnvs[0]) })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "rule \"let v0") {
				t.Errorf("err = %.200v, want the rule and %q", err, tc.want)
			}
		})
	}

	// The fast path obeys the same limits, and fails as the VM does.
	env := fastCreditEnvs[0]
	env.Credit.Amount = decimal.RequireFromString("1234567890123.45")
	for _, src := range []string{
		`credit.amount * credit.amount * credit.amount * credit.amount`,
		`credit.amount / 0.000000000000000001 / 0.000000000000000001 * credit.amount`,
		`(credit.amount / 3) * (credit.amount / 7) * (credit.amount / 11) * (credit.share / 13) * (credit.share / 17) * (credit.share / 19)`,
	} {
		p, err := Compile(src, CreditEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if !p.Fast() {
			t.Errorf("%q does not take the fast path", src)
		}
		var m Machine
		if _, err := p.Decimal(&m, &env); err == nil || !strings.Contains(err.Error(), "number too") {
			t.Errorf("%q: err = %v, want a number limit", src, err)
		}
		sameAsVM(t, p, &env)
	}
}

// TestDecimalLimitsKeepRealRules checks numbers at the edge of what plans
// compute: amounts times rates and products of a few quotients.
func TestDecimalLimitsKeepRealRules(t *testing.T) {
	t.Parallel()
	env := fastCreditEnvs[0]
	env.Credit.Amount = decimal.RequireFromString("999999999999999.99")
	for _, src := range []string{
		`credit.amount * credit.amount * 1000`,
		`(credit.amount / 3) * (credit.share / 7) * (credit.amount / 11)`,
		`(1 / 3) * (2 / 3) * (1 / 7) * (1 / 9) * (1 / 11)`,
		`let z = 0 * 1000000000000; let y = z * z * z * z; let x = y * y * y * y; x * x * x * x`,
	} {
		p, err := Compile(src, CreditEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		var m Machine
		if _, err := p.Decimal(&m, &env); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestLimitDecimal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // "" for no error
	}{
		{"0", ""},
		{"9999999999999999999999999999999999999999", ""},                  // 40 digits
		{"10000000000000000000000000000000000000000", "number too large"}, // 41 digits
		{"-1e40", "number too large"},
		{"1e39", ""},
		{"1e-100", ""},
		{"1e-101", "number too precise"},
		{"1.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", ""},
	} {
		_, err := limitDecimal(decimal.RequireFromString(tc.in))
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("limitDecimal(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if got, err := limitDecimal(decimal.New(0, 1000)); err != nil || got.Exponent() != 0 {
		t.Errorf("a zero of exponent 1000 = %s, %v; want a plain 0", exact(got), err)
	}
	if _, err := strConcat(strings.Repeat("a", RuleStringBytesMax), "b"); err == nil {
		t.Errorf("strConcat past RuleStringBytesMax: want an error")
	}
}
