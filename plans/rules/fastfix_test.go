package rules

import (
	"fmt"
	"math"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// genArith draws a rule of +, - and × over CreditEnv with numbers large
// and small enough that int64 arithmetic overflows or a result nears the
// number limits, which the int64 closures must leave to the decimal ones.
func genArith(t *rapid.T, depth int) string {
	leaves := []string{"credit.amount", "credit.share", "txn.amount", "0", "1", "0.5", "-2.50", "1.000",
		"123456789012345.678", "9999999999", "0.0000000001", "100000000000000000.0", "0.00000000000000000000000000000000000001"}
	if depth <= 0 {
		return rapid.SampledFrom(leaves).Draw(t, "leaf")
	}
	sub := func() string { return genArith(t, depth-1) }
	switch rapid.IntRange(0, 6).Draw(t, "arith") {
	case 0:
		return rapid.SampledFrom(leaves).Draw(t, "leaf")
	case 1:
		return fmt.Sprintf("-(%s)", sub())
	case 2:
		return fmt.Sprintf("(%s ? %s : %s)", genBool(t, 0), sub(), sub())
	default:
		return fmt.Sprintf("(%s %s %s)", sub(), rapid.SampledFrom([]string{"+", "-", "*"}).Draw(t, "op"), sub())
	}
}

// TestFastFixMatchesVM checks the int64 closures against the VM, value,
// exponent and error alike, on numbers near and past what fits an int64.
func TestFastFixMatchesVM(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		src := genArith(t, 4)
		p, err := Compile(src, CreditEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		env := genCreditEnv(t)
		if rapid.Bool().Draw(t, "big amount") {
			env.Credit.Amount = decimal.New(rapid.Int64Range(math.MinInt64, math.MaxInt64).Draw(t, "big"), -rapid.Int32Range(0, 30).Draw(t, "big exp"))
		}
		sameAsVM(t, p, &env)
	})
}

// TestFastFixTakesArithmetic checks which rules get the int64 closures:
// arithmetic at the top, not a plain read.
func TestFastFixTakesArithmetic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"credit.amount * 0.01", true},
		{"(credit.amount - txn.amount * credit.share) * 0.01", true},
		{"250 * credit.share", true},
		{"-(credit.amount) + 1", true},
		{"credit.amount", false},
		{"credit.amount / 2", false},
		{"round(credit.amount * 0.01, 2)", false},
	} {
		p, err := Compile(tc.src, CreditEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		fp, ok := p.fast.(fastProgram[CreditEnv])
		if !ok {
			t.Fatalf("%q: no fast path", tc.src)
		}
		if got := fp.f != nil; got != tc.want {
			t.Errorf("%q: int64 closures %v, want %v", tc.src, got, tc.want)
		}
	}
}

// TestFastFixNewDecimal checks that a Machine's NewDecimal makes the
// result of the int64 arithmetic, and only that.
func TestFastFixNewDecimal(t *testing.T) {
	t.Parallel()
	made := 0
	m := Machine{NewDecimal: func(c int64, e int32) decimal.Decimal {
		made++
		return decimal.New(c, e)
	}}
	env := fastCreditEnvs[0]
	for _, tc := range []struct {
		src  string
		made int
	}{
		{"credit.amount * 0.01", 1},
		{"credit.amount", 0},
		{"credit.amount / 3", 0},
	} {
		made = 0
		p, err := Compile(tc.src, CreditEnv{}, KindDecimal, nil)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		got, err := p.Decimal(&m, &env)
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		want, _ := onVM(p, &env)
		if exact(got) != exact(want.(decimal.Decimal)) || made != tc.made {
			t.Errorf("%q = %s with %d decimals made, want %s with %d", tc.src, exact(got), made, exact(want.(decimal.Decimal)), tc.made)
		}
	}
}
