package money

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		places   int32
	}{
		{"2.345", "2.35", 2},
		{"-2.345", "-2.35", 2},
		{"2.344", "2.34", 2},
		{"1234.5", "1235", 0},
		{"0.0005", "0.001", 3},
	} {
		if got := RoundHalfUp(d(tc.in), tc.places); !got.Equal(d(tc.want)) {
			t.Errorf("RoundHalfUp(%s, %d) = %s, want %s", tc.in, tc.places, got, tc.want)
		}
	}
}

func TestAllocateFloorRemainderInOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		total   string
		weights []string
		want    []string
	}{
		{"thirds", "100.00", []string{"0.3333333333", "0.3333333333", "0.3333333334"}, []string{"33.34", "33.33", "33.33"}},
		{"halves exact", "10.00", []string{"0.5", "0.5"}, []string{"5.00", "5.00"}},
		{"negative refund", "-100.00", []string{"0.3333333333", "0.3333333333", "0.3333333334"}, []string{"-33.34", "-33.33", "-33.33"}},
		{"one cent three ways", "0.01", []string{"0.34", "0.33", "0.33"}, []string{"0.01", "0", "0"}},
		{"sixty forty", "999.99", []string{"0.6", "0.4"}, []string{"600.00", "399.99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := make([]decimal.Decimal, len(tc.weights))
			for i, w := range tc.weights {
				ws[i] = d(w)
			}
			got := AllocateFloorRemainderInOrder(d(tc.total), ws, 2)
			sum := decimal.Zero
			for i := range got {
				sum = sum.Add(got[i])
				if !got[i].Equal(d(tc.want[i])) {
					t.Errorf("share %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
			if !sum.Equal(d(tc.total)) {
				t.Errorf("shares sum to %s, want %s", sum, tc.total)
			}
		})
	}
}

func exact(x decimal.Decimal) string { return fmt.Sprintf("%se%d", x.Coefficient(), x.Exponent()) }

// TestAllocateSmallMatchesDecimal checks that the int64 allocation gives
// exactly the shares of the decimal one, exponents included.
func TestAllocateSmallMatchesDecimal(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		total, weights, places := drawAllocation(t, 6, 4)
		want := allocateDecimal(total, weights, places)
		got, ok := allocateSmall(total, weights, places)
		if !ok {
			return // too big for int64: the decimal path runs
		}
		for i := range want {
			if exact(got[i]) != exact(want[i]) {
				t.Fatalf("share %d of %s by %v: %s, want %s", i, total, weights, exact(got[i]), exact(want[i]))
			}
		}
	})
}

// drawAllocation draws an allocation to check: a total (now and then one
// beyond int64, of exponent up to hugeExp), 1 to maxN weights (non-negative
// parts of 10^k summing to 1, as fractions) and the places to round to.
func drawAllocation(t *rapid.T, maxN int, hugeExp int32) (total decimal.Decimal, weights []decimal.Decimal, places int32) {
	places = rapid.Int32Range(0, 4).Draw(t, "places")
	total = decimal.New(rapid.Int64Range(-1e12, 1e12).Draw(t, "total"), -rapid.Int32Range(0, 6).Draw(t, "total places"))
	if rapid.Bool().Draw(t, "huge") {
		total = decimal.New(rapid.Int64().Draw(t, "huge total"), rapid.Int32Range(-4, hugeExp).Draw(t, "huge exp"))
	}
	n := rapid.IntRange(1, maxN).Draw(t, "n")
	k := rapid.Int32Range(0, 12).Draw(t, "weight places")
	left := pow10[k]
	weights = make([]decimal.Decimal, n)
	for i := range n - 1 {
		part := rapid.Int64Range(0, left).Draw(t, "part")
		weights[i] = decimal.New(part, -k)
		left -= part
	}
	weights[n-1] = decimal.New(left, -k)
	return total, weights, places
}

func TestAllocateRejectsWeightsAboveOne(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("weights summing to 1.2 did not panic")
		}
	}()
	AllocateFloorRemainderInOrder(d("1.00"), []decimal.Decimal{d("0.6"), d("0.6")}, 2)
}

// TestAllocateWithMatches checks that AllocateFloorRemainderInOrderWith
// gives AllocateFloorRemainderInOrder's shares, exponents included, in
// the slice given, whether they fit an int64 (made by newDec) or not.
func TestAllocateWithMatches(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		total, weights, places := drawAllocation(t, 20, 8) // n above sharesMax too
		want := AllocateFloorRemainderInOrder(total, weights, places)
		made := 0
		dst := make([]decimal.Decimal, 3, 8) // reused: its elements are overwritten
		got := AllocateFloorRemainderInOrderWith(dst, total, weights, places, func(c int64, e int32) decimal.Decimal {
			made++
			return decimal.New(c, e)
		})
		if len(got) != len(want) {
			t.Fatalf("%d shares, want %d", len(got), len(want))
		}
		for i := range want {
			if exact(got[i]) != exact(want[i]) {
				t.Fatalf("share %d of %s by %v: %s, want %s", i, total, weights, exact(got[i]), exact(want[i]))
			}
		}
		if made != 0 && made != len(weights) {
			t.Fatalf("newDec made %d of %d shares", made, len(weights))
		}
	})
}
