package engine

import (
	"math"

	"github.com/shopspring/decimal"
)

// pow10 holds the powers of ten that fit in an int64.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decimalSum adds decimals exactly. It gives the same decimal, exponent
// included, as adding them one by one to decimal.Zero with Add, but keeps
// the sum in an int64 coefficient while it fits, so that summing a
// person's credits does not allocate per credit. A sum that would not fit
// carries on in decimal.Decimal.
type decimalSum struct {
	coef  int64
	exp   int32
	n     int
	big   decimal.Decimal
	inBig bool
	// first is the first decimal added, which is the sum while it is
	// the only one (when its exponent is not above 0, as 0 + first's).
	first    decimal.Decimal
	hasFirst bool
}

func newDecimalSum() decimalSum { return decimalSum{exp: decimal.Zero.Exponent()} }

// Add adds d to the sum.
func (s *decimalSum) Add(d decimal.Decimal) {
	s.n++
	if s.n == 1 {
		s.first, s.hasFirst = d, true
	}
	if !s.inBig {
		// NumDigits <= 18 means |coefficient| < 10^18, well inside int64.
		if d.NumDigits() <= 18 && s.addSmall(d.CoefficientInt64(), d.Exponent()) {
			return
		}
		s.big = decimal.New(s.coef, s.exp)
		s.inBig = true
	}
	s.big = s.big.Add(d)
}

// addWith adds d, whose fix is f when ok (toFix(d)): it spares reading
// d's coefficient, which may be far away in memory, when f was worked out
// while d was at hand.
func (s *decimalSum) addWith(d decimal.Decimal, f fix, ok bool) {
	if ok && s.addFix(f) {
		if s.n == 1 {
			s.first, s.hasFirst = d, true
		}
		return
	}
	s.Add(d)
}

// addSmall adds c × 10^e; false means the sum no longer fits an int64.
// It may have rescaled the sum to exponent e (the same value) by then.
func (s *decimalSum) addSmall(c int64, e int32) bool {
	switch {
	case e < s.exp:
		k := int64(s.exp) - int64(e)
		if k >= int64(len(pow10)) {
			return false
		}
		p := pow10[k]
		if s.coef > math.MaxInt64/p || s.coef < math.MinInt64/p {
			return false
		}
		s.coef *= p
		s.exp = e
	case e > s.exp:
		k := int64(e) - int64(s.exp)
		if k >= int64(len(pow10)) {
			return false
		}
		p := pow10[k]
		if c > math.MaxInt64/p || c < math.MinInt64/p {
			return false
		}
		c *= p
	}
	sum := s.coef + c
	if (c > 0 && sum < s.coef) || (c < 0 && sum > s.coef) {
		return false
	}
	s.coef = sum
	return true
}

// Value returns the sum.
func (s *decimalSum) Value() decimal.Decimal { return s.valueIn(nil) }

// valueIn is Value, made in slab when it is a new decimal.
func (s *decimalSum) valueIn(slab *decSlab) decimal.Decimal {
	switch {
	case s.n == 0:
		return decimal.Zero
	case s.inBig:
		return s.big
	case s.n == 1 && s.hasFirst && s.first.Exponent() <= 0 && s.first.Exponent() == s.exp:
		return s.first // 0 + first is first, exponent and all
	}
	return slab.dec(s.coef, s.exp)
}

// Equal reports whether the sum equals d, without building the sum as a
// decimal when both fit an int64.
func (s *decimalSum) Equal(d decimal.Decimal) bool {
	if s.inBig || d.NumDigits() > 18 {
		return s.Value().Equal(d)
	}
	t := decimalSum{coef: s.coef, exp: s.exp}
	if !t.addSmall(-d.CoefficientInt64(), d.Exponent()) {
		return s.Value().Equal(d)
	}
	return t.coef == 0
}

// fix returns the sum as a fix, unless it no longer fits an int64.
func (s *decimalSum) fix() (fix, bool) {
	if s.inBig {
		return fix{}, false
	}
	if s.n == 0 {
		return fix{0, decimal.Zero.Exponent()}, true
	}
	return fix{s.coef, s.exp}, true
}

// addFix adds x to the sum; false (the sum unchanged) when it would not fit.
func (s *decimalSum) addFix(x fix) bool {
	if s.inBig {
		return false
	}
	save := *s
	if !s.addSmall(x.c, x.e) {
		*s = save
		return false
	}
	s.n++
	return true
}
