package engine

import (
	"encoding/json"
	"math/bits"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// TestDecSlabMatchesNew checks that the slab's decimals are decimal.New's:
// value, exponent, text and JSON, and what arithmetic makes of them; and
// that making more does not change those made before.
func TestDecSlabMatchesNew(t *testing.T) {
	if bits.UintSize == 64 && !slabWorks {
		t.Fatal("decimalOf does not make decimal.New's decimals on this 64-bit platform: has shopspring's Decimal changed its layout?")
	}
	rapid.Check(t, func(t *rapid.T) {
		s := newDecSlab()
		n := rapid.IntRange(1, 3*decSlabBlock).Draw(t, "n")
		var got, want []decimal.Decimal
		for i := range n {
			c := rapid.OneOf(rapid.Int64Range(-1000, 1000), rapid.Int64()).Draw(t, "c")
			e := int32(rapid.IntRange(-12, 3).Draw(t, "e"))
			got, want = append(got, s.dec(c, e)), append(want, decimal.New(c, e))
			if i == 0 || rapid.Bool().Draw(t, "check now") {
				sameDecimal(t, got[i], want[i])
			}
		}
		for i := range got {
			sameDecimal(t, got[i], want[i])
			j := rapid.IntRange(0, len(got)-1).Draw(t, "other")
			sameDecimal(t, got[i].Add(got[j]), want[i].Add(want[j]))
			sameDecimal(t, got[i].Mul(got[j]), want[i].Mul(want[j]))
			sameDecimal(t, got[i].Neg(), want[i].Neg())
			sameDecimal(t, got[i].Round(2), want[i].Round(2))
		}
	})
}

func sameDecimal(t *rapid.T, got, want decimal.Decimal) {
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if got.Exponent() != want.Exponent() || got.Coefficient().Cmp(want.Coefficient()) != 0 || got.String() != want.String() || string(gj) != string(wj) {
		t.Fatalf("slab made %s (%s × 10^%d), decimal.New %s (%s × 10^%d)", got, got.Coefficient(), got.Exponent(), want, want.Coefficient(), want.Exponent())
	}
}

// TestSmallIntsUnchanged checks that the shared small integers dec hands
// out are decimal.New's, and stay so after arithmetic on them.
func TestSmallIntsUnchanged(t *testing.T) {
	s := newDecSlab()
	for i := range int64(len(smallInts)) {
		d := s.dec(i, 0)
		_ = d.Add(d).Mul(d).Neg().Round(2).Sub(d).DivRound(decimal.New(3, 0), 8)
		_ = d.Coefficient().Add(d.Coefficient(), d.Coefficient())
	}
	for i := range int64(len(smallInts)) {
		if d, want := s.dec(i, 0), decimal.New(i, 0); d.String() != want.String() || d.Exponent() != 0 || d.Coefficient().Cmp(want.Coefficient()) != 0 {
			t.Fatalf("shared %d is now %s (%s × 10^%d)", i, d, d.Coefficient(), d.Exponent())
		}
	}
}
