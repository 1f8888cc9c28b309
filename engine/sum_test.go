package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func exact(d decimal.Decimal) string { return fmt.Sprintf("%se%d", d.Coefficient(), d.Exponent()) }

// TestDecimalSumMatchesAdd checks that decimalSum gives exactly what a
// chain of decimal.Add from decimal.Zero gives, exponent included, across
// int64 overflow, by Add and by addWith given toFix's fix.
func TestDecimalSumMatchesAdd(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(t, "n")
		want := decimal.Zero
		s := newDecimalSum()
		w := newDecimalSum() // added to with addWith and the fix toFix gives
		for i := range n {
			var d decimal.Decimal
			switch rapid.IntRange(0, 3).Draw(t, fmt.Sprint("kind", i)) {
			case 0:
				d = decimal.New(rapid.Int64().Draw(t, "huge"), rapid.Int32Range(-20, 3).Draw(t, "exp"))
			case 1:
				d = decimal.RequireFromString("123456789012345678901234567890.5")
			default:
				d = decimal.New(rapid.Int64Range(-1e9, 1e9).Draw(t, "small"), rapid.Int32Range(-4, 2).Draw(t, "exp"))
			}
			want = want.Add(d)
			s.Add(d)
			f, ok := toFix(d)
			w.addWith(d, f, ok)
		}
		if got := s.Value(); exact(got) != exact(want) {
			t.Fatalf("sum = %s, want %s", exact(got), exact(want))
		}
		if got := w.Value(); exact(got) != exact(want) {
			t.Fatalf("sum by addWith = %s, want %s", exact(got), exact(want))
		}
		other := decimal.New(rapid.Int64Range(-1e6, 1e6).Draw(t, "other"), rapid.Int32Range(-4, 2).Draw(t, "other exp"))
		if rapid.Bool().Draw(t, "compare with itself") {
			other = want.Mul(decimal.New(1, rapid.Int32Range(-2, 0).Draw(t, "scale"))).Shift(0)
			if rapid.Bool().Draw(t, "same value") {
				other = want.Add(decimal.New(0, -3))
			}
		}
		if got, want := s.Equal(other), want.Equal(other); got != want {
			t.Fatalf("sum %s Equal(%s) = %v, want %v", exact(s.Value()), exact(other), got, want)
		}
	})
	for _, tc := range [][]decimal.Decimal{
		{decimal.New(math.MaxInt64, 0), decimal.New(1, 0)},
		{decimal.New(math.MinInt64, 0), decimal.New(-1, 0)},
		{decimal.New(1, 0), decimal.New(1, -18)},
		{decimal.New(math.MaxInt64/10, 0), decimal.New(1, -1)},
		{decimal.New(5, 30), decimal.New(1, 0)},
	} {
		want := decimal.Zero
		s := newDecimalSum()
		for _, d := range tc {
			want = want.Add(d)
			s.Add(d)
		}
		if got := s.Value(); exact(got) != exact(want) {
			t.Errorf("sum of %v = %s, want %s", tc, exact(got), exact(want))
		}
	}
}
