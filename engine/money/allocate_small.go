package money

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// small is a decimal c × 10^e whose coefficient fits an int64. Its
// operations follow decimal.Decimal's exponent rules exactly (a sum takes
// the smaller exponent, a product the sum of exponents), so that results
// turned back into decimals are identical, exponent included; each reports
// false instead of overflowing.
type small struct {
	c int64
	e int32
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func toSmall(d decimal.Decimal) (small, bool) {
	// NumDigits <= 18 means |coefficient| < 10^18.
	if d.NumDigits() > 18 {
		return small{}, false
	}
	return small{d.CoefficientInt64(), d.Exponent()}, true
}

func (x small) decimal() decimal.Decimal { return decimal.New(x.c, x.e) }

func mulInt64(a, b int64) (int64, bool) {
	neg := (a < 0) != (b < 0)
	ua, ub := uint64(a), uint64(b)
	if a < 0 {
		ua = -ua
	}
	if b < 0 {
		ub = -ub
	}
	hi, lo := bits.Mul64(ua, ub)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func (x small) mul(y small) (small, bool) {
	e := int64(x.e) + int64(y.e)
	if e > math.MaxInt32 || e < math.MinInt32 {
		return small{}, false
	}
	c, ok := mulInt64(x.c, y.c)
	return small{c, int32(e)}, ok
}

// truncate is decimal.Decimal.Truncate: toward zero, to places places.
func (x small) truncate(places int32) small {
	if places < 0 || -int64(places) <= int64(x.e) {
		return x
	}
	k := -int64(places) - int64(x.e)
	if k >= int64(len(pow10)) {
		return small{0, -places} // |c| < 10^19 <= 10^k
	}
	return small{x.c / pow10[k], -places}
}

// rescale returns x with the smaller exponent e.
func (x small) rescale(e int32) (small, bool) {
	k := int64(x.e) - int64(e)
	if k >= int64(len(pow10)) {
		return small{}, x.c == 0
	}
	c, ok := mulInt64(x.c, pow10[k])
	return small{c, e}, ok
}

func (x small) add(y small) (small, bool) {
	e := min(x.e, y.e)
	x, ok1 := x.rescale(e)
	y, ok2 := y.rescale(e)
	c := x.c + y.c
	if !ok1 || !ok2 || (y.c > 0 && c < x.c) || (y.c < 0 && c > x.c) {
		return small{}, false
	}
	return small{c, e}, true
}

func (x small) neg() (small, bool) { return small{-x.c, x.e}, x.c != math.MinInt64 }

func (x small) sign() int {
	switch {
	case x.c > 0:
		return 1
	case x.c < 0:
		return -1
	}
	return 0
}

// sharesMax is the most shares allocateSmall works out.
const sharesMax = 16

// allocateSmall is allocateDecimal in int64 arithmetic; ok is false when
// some step does not fit, and the caller then uses allocateDecimal.
func allocateSmall(total decimal.Decimal, weights []decimal.Decimal, places int32) ([]decimal.Decimal, bool) {
	var shares [sharesMax]small
	if !allocateSmallInto(&shares, total, weights, places) {
		return nil, false
	}
	out := make([]decimal.Decimal, len(weights))
	for i := range out {
		out[i] = shares[i].decimal()
	}
	return out, true
}

// allocateSmallInto is allocateSmall, leaving the shares in shares[:len(weights)].
func allocateSmallInto(shares *[sharesMax]small, total decimal.Decimal, weights []decimal.Decimal, places int32) bool {
	if len(weights) == 0 || len(weights) > sharesMax || places < 0 || places > 18 {
		return false
	}
	t, ok := toSmall(total)
	if !ok {
		return false
	}
	allocated := small{0, decimal.Zero.Exponent()}
	for i, w := range weights {
		ws, ok := toSmall(w)
		if !ok {
			return false
		}
		p, ok := t.mul(ws)
		if !ok {
			return false
		}
		shares[i] = p.truncate(places)
		if allocated, ok = allocated.add(shares[i]); !ok {
			return false
		}
	}
	unit := small{1, -places}
	if t.sign() < 0 {
		unit = small{-1, -places}
	}
	negAllocated, ok := allocated.neg()
	if !ok {
		return false
	}
	remainder, ok := t.add(negAllocated)
	if !ok || (remainder.sign() != 0 && remainder.sign() != unit.sign()) {
		return false // allocateDecimal reports it
	}
	negUnit := small{-unit.c, unit.e}
	for i := 0; remainder.sign() != 0; i = (i + 1) % len(weights) {
		// remainder and unit have the same sign, so |remainder| < |unit|
		// is remainder < unit when positive and remainder > unit when
		// negative.
		e := min(remainder.e, unit.e)
		r, ok1 := remainder.rescale(e)
		u, ok2 := unit.rescale(e)
		if !ok1 || !ok2 {
			return false
		}
		below := (r.c > 0 && r.c < u.c) || (r.c < 0 && r.c > u.c)
		if below {
			if shares[0], ok = shares[0].add(remainder); !ok {
				return false
			}
			break
		}
		if shares[i], ok = shares[i].add(unit); !ok {
			return false
		}
		if remainder, ok = remainder.add(negUnit); !ok {
			return false
		}
	}
	return true
}
