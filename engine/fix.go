package engine

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// fix is a decimal c × 10^e whose coefficient fits an int64: the hot
// loops of per-deal tables work in it without allocating, and give
// exactly the decimals (value and exponent) that shopspring's Sub, Mul,
// Add and Round give. Every operation reports false when its result
// would not fit, and the caller then works in decimal.Decimal.
type fix struct {
	c int64
	e int32
}

// toFix converts d, if its coefficient fits.
func toFix(d decimal.Decimal) (fix, bool) {
	if d.NumDigits() > 18 {
		return fix{}, false
	}
	return fix{d.CoefficientInt64(), d.Exponent()}, true
}

func (x fix) decimal() decimal.Decimal { return decimal.New(x.c, x.e) }

// scaleUp multiplies c by 10^k.
func scaleUp(c int64, k int64) (int64, bool) {
	if k >= int64(len(pow10)) {
		return 0, c == 0
	}
	p := pow10[k]
	if c > math.MaxInt64/p || c < math.MinInt64/p {
		return 0, false
	}
	return c * p, true
}

// align returns the coefficients of x and y at the smaller exponent, as
// shopspring's Add and Sub rescale them.
func align(x, y fix) (xc, yc int64, e int32, ok bool) {
	switch {
	case x.e == y.e:
		return x.c, y.c, x.e, true
	case x.e > y.e:
		xc, ok = scaleUp(x.c, int64(x.e)-int64(y.e))
		return xc, y.c, y.e, ok
	default:
		yc, ok = scaleUp(y.c, int64(y.e)-int64(x.e))
		return x.c, yc, x.e, ok
	}
}

func (x fix) sub(y fix) (fix, bool) {
	xc, yc, e, ok := align(x, y)
	if !ok {
		return fix{}, false
	}
	c := xc - yc
	if (yc > 0 && c > xc) || (yc < 0 && c < xc) {
		return fix{}, false
	}
	return fix{c, e}, true
}

// cmp compares x and y: -1, 0 or +1.
func (x fix) cmp(y fix) (int, bool) {
	xc, yc, _, ok := align(x, y)
	if !ok {
		return 0, false
	}
	switch {
	case xc < yc:
		return -1, true
	case xc > yc:
		return 1, true
	}
	return 0, true
}

func (x fix) mul(y fix) (fix, bool) {
	e := int64(x.e) + int64(y.e)
	if e > math.MaxInt32 || e < math.MinInt32 {
		return fix{}, false
	}
	hi, lo := bits.Mul64(uabs(x.c), uabs(y.c))
	if hi != 0 || lo > math.MaxInt64 {
		return fix{}, false
	}
	c := int64(lo)
	if (x.c < 0) != (y.c < 0) {
		c = -c
	}
	return fix{c, int32(e)}, true
}

func uabs(c int64) uint64 {
	if c < 0 {
		return uint64(-c) // MinInt64 stays 1<<63, which Mul64 handles
	}
	return uint64(c)
}

// round is shopspring's Round(places): half away from zero, the result
// at exponent -places.
func (x fix) round(places int32) (fix, bool) {
	target := -int64(places)
	switch e := int64(x.e); {
	case e == target:
		return x, true
	case e > target:
		c, ok := scaleUp(x.c, e-target)
		return fix{c, int32(target)}, ok
	default:
		k := target - e
		if k >= int64(len(pow10)) {
			return fix{}, false
		}
		p := pow10[k]
		q, r := x.c/p, x.c%p
		if r < 0 {
			r = -r
		}
		if r >= p/2 {
			if x.c < 0 {
				q--
			} else {
				q++
			}
		}
		return fix{q, int32(target)}, true
	}
}

// roundDec is money.RoundHalfUp(d, places) (shopspring's Round: half away
// from zero, at exponent -places), worked in a fix when d fits.
func roundDec(d decimal.Decimal, places int32) decimal.Decimal {
	if d.Exponent() == -places {
		return d // as Round returns it
	}
	if f, ok := toFix(d); ok {
		if r, ok := f.round(places); ok {
			return r.decimal()
		}
	}
	return d.Round(places)
}

// negDec is d.Neg(), worked in a fix when d fits.
func negDec(d decimal.Decimal) decimal.Decimal {
	if f, ok := toFix(d); ok && f.c != math.MinInt64 {
		return fix{-f.c, f.e}.decimal()
	}
	return d.Neg()
}
