package engine

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// genDecimal draws a decimal with a coefficient from small to near the
// int64 limits and an exponent from -12 to 3.
func genDecimal(t *rapid.T, label string) decimal.Decimal {
	c := rapid.OneOf(rapid.Int64Range(-1000, 1000), rapid.Int64Range(-1e12, 1e12), rapid.Int64()).Draw(t, label+" coef")
	return decimal.New(c, int32(rapid.IntRange(-12, 3).Draw(t, label+" exp")))
}

// TestFixMatchesDecimal checks that every fix operation that reports
// success gives exactly shopspring's decimal, exponent included.
func TestFixMatchesDecimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genDecimal(t, "a"), genDecimal(t, "b")
		fa, ok1 := toFix(a)
		fb, ok2 := toFix(b)
		if !ok1 || !ok2 {
			return // a coefficient of 19 digits: the callers use decimals
		}
		if s, ok := fa.sub(fb); ok && exact(s.decimal()) != exact(a.Sub(b)) {
			t.Fatalf("%s - %s = %s, want %s", a, b, exact(s.decimal()), exact(a.Sub(b)))
		}
		if m, ok := fa.mul(fb); ok && exact(m.decimal()) != exact(a.Mul(b)) {
			t.Fatalf("%s × %s = %s, want %s", a, b, exact(m.decimal()), exact(a.Mul(b)))
		}
		if c, ok := fa.cmp(fb); ok && c != a.Cmp(b) {
			t.Fatalf("cmp(%s, %s) = %d, want %d", a, b, c, a.Cmp(b))
		}
		places := int32(rapid.IntRange(0, 4).Draw(t, "places"))
		if r, ok := fa.round(places); ok && exact(r.decimal()) != exact(a.Round(places)) {
			t.Fatalf("round(%s, %d) = %s, want %s", a, places, exact(r.decimal()), exact(a.Round(places)))
		}
		var s decimalSum = newDecimalSum()
		want := decimal.Zero
		for i := range rapid.IntRange(0, 5).Draw(t, "n") {
			x := genDecimal(t, fmt.Sprint("term ", i))
			fx, ok := toFix(x)
			if !ok || !s.addFix(fx) {
				s.Add(x)
			}
			want = want.Add(x)
		}
		if exact(s.Value()) != exact(want) {
			t.Fatalf("sum %s, want %s", exact(s.Value()), exact(want))
		}
	})
}

// TestTierPartsFixMatchesTierParts checks that tierPartsFix, when it
// succeeds, gives exactly the parts, amount and rounding of tierParts.
func TestTierPartsFixMatchesTierParts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "tiers")
		var tiers []TierTrace
		bound := decimal.New(rapid.Int64Range(0, 1000).Draw(t, "first"), -int32(rapid.IntRange(0, 2).Draw(t, "first exp")))
		for i := range n {
			tt := TierTrace{Tier: i + 1, From: bound, Rate: decimal.New(rapid.Int64Range(0, 2000).Draw(t, "rate"), -int32(rapid.IntRange(0, 5).Draw(t, "rate exp")))}
			if i < n-1 {
				next := bound.Add(decimal.New(rapid.Int64Range(1, 1e9).Draw(t, "width"), -int32(rapid.IntRange(0, 3).Draw(t, "width exp"))))
				tt.To = &next
				bound = next
			}
			tiers = append(tiers, tt)
		}
		from, to := genDecimal(t, "from"), genDecimal(t, "to")
		places := int32(rapid.IntRange(0, 3).Draw(t, "places"))
		ft, ok := fixTiers(tiers)
		if !ok {
			t.Fatal("tiers do not convert")
		}
		ff, ok1 := toFix(from)
		tf, ok2 := toFix(to)
		if !ok1 || !ok2 {
			return // perDealTable then uses tierParts
		}
		parts, amount, rounded, rf, _, done := tierPartsFix(tiers, ft, ff, tf, nil, places, true, newDecSlab())
		_, _, _, leanRF, _, leanDone := tierPartsFix(tiers, ft, ff, tf, nil, places, false, nil)
		if leanDone != done || (done && (leanRF != rf || exact(rf.decimal()) != exact(rounded))) {
			t.Fatalf("from %s to %s tiers %+v: without the trace, rounded %v (done %v), want %v (done %v) = %s", exact(from), exact(to), tiers, leanRF, leanDone, rf, done, exact(rounded))
		}
		if !done {
			return
		}
		wantParts, wantAmount, _ := tierParts(tiers, from, to, nil)
		if exact(amount) != exact(wantAmount) || exact(rounded) != exact(wantAmount.Round(places)) {
			t.Fatalf("from %s to %s tiers %+v: amount %s rounded %s parts %+v, want %s and %s, parts %+v", exact(from), exact(to), tiers, exact(amount), exact(rounded), parts, exact(wantAmount), exact(wantAmount.Round(places)), wantParts)
		}
		if (parts == nil) != (wantParts == nil) || len(parts) != len(wantParts) {
			t.Fatalf("parts %v, want %v", parts, wantParts)
		}
		for i := range parts {
			g, w := parts[i], wantParts[i]
			if g.Tier != w.Tier || exact(g.Basis) != exact(w.Basis) || exact(g.Amount) != exact(w.Amount) || exact(g.From) != exact(w.From) || g.To != w.To {
				t.Fatalf("part %d: %+v, want %+v", i, g, w)
			}
		}
	})
}

// TestRoundNegDecMatchDecimal checks roundDec and negDec against
// shopspring's Round and Neg, exponent included, big coefficients too.
func TestRoundNegDecMatchDecimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genDecimal(t, "a")
		if rapid.Bool().Draw(t, "huge") {
			a = a.Mul(decimal.New(1, 15)).Add(decimal.New(7, int32(rapid.IntRange(-6, 0).Draw(t, "tail exp")))) // 19+ digits
		}
		places := int32(rapid.IntRange(0, 4).Draw(t, "places"))
		if got, want := exact(roundDec(a, places)), exact(a.Round(places)); got != want {
			t.Fatalf("roundDec(%s, %d) = %s, want %s", a, places, got, want)
		}
		if got, want := exact(negDec(a)), exact(a.Neg()); got != want {
			t.Fatalf("negDec(%s) = %s, want %s", a, got, want)
		}
	})
}
