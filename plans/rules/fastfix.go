package rules

import (
	"math"
	"math/bits"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// The fast path's int64 arithmetic. A rule whose top is +, - or × of
// decimals (credit.amount * 0.01, (credit.amount - txn.attrs.cost *
// credit.share) * 0.01) is also compiled to closures that work on
// coefficient and exponent pairs in int64, which allocate nothing; the
// result alone is made a decimal. They give exactly the value and
// exponent shopspring's Add, Sub, Mul and Neg give (Add and Sub rescale
// to the smaller exponent, Mul adds the exponents), and stop (!ok) where
// a number would not fit an int64 or where a result comes near the
// number limits (limits.go): the rule then runs on the decimal closures,
// which give the value or the error as before.

// fixFn evaluates a decimal node as coefficient × 10^exponent.
type fixFn[E any] func(*E) (c int64, e int32, ok bool)

// pow10i holds the powers of ten that fit in an int64.
var pow10i = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fixOf is d as a coefficient and exponent, when its coefficient has at
// most 18 digits.
func fixOf(d decimal.Decimal) (int64, int32, bool) {
	if d.NumDigits() > 18 {
		return 0, 0, false
	}
	return d.CoefficientInt64(), d.Exponent(), true
}

// fixTop compiles n, the top of a decimal rule, to int64 closures when it
// is an addition, subtraction or multiplication (anything else gains
// nothing: a field read or a constant allocates nothing already), or
// returns nil.
func (c fastCompiler[E]) fixTop(n ast.Node) fixFn[E] {
	call, ok := n.(*ast.CallNode)
	if !ok {
		return nil
	}
	switch callee(call) {
	case "_dadd", "_dsub", "_dmul":
		return c.fixed(n)
	}
	return nil
}

// fixFrom reads get's decimal as a fixed pair (nil when get is nil).
func fixFrom[E any](get decFn[E]) fixFn[E] {
	if get == nil {
		return nil
	}
	return func(e *E) (int64, int32, bool) {
		v, ok := get(e)
		if !ok {
			return 0, 0, false
		}
		return fixOf(v)
	}
}

// fixed compiles decimal node n to int64 closures, or returns nil when
// it has a shape they do not take.
func (c fastCompiler[E]) fixed(n ast.Node) fixFn[E] {
	if n.Type() != decimalType {
		return nil
	}
	switch n := n.(type) {
	case *ast.ConstantNode:
		v, ok := n.Value.(decimal.Decimal)
		if !ok {
			return nil
		}
		vc, ve, ok := fixOf(v)
		if !ok {
			return nil
		}
		return func(*E) (int64, int32, bool) { return vc, ve, true }
	case *ast.IdentifierNode, *ast.MemberNode:
		return fixFrom(c.decimalValue(n))
	case *ast.ConditionalNode:
		cond, a, b := c.bool(n.Cond), c.fixed(n.Exp1), c.fixed(n.Exp2)
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(e *E) (int64, int32, bool) {
			v, ok := cond(e)
			switch {
			case !ok:
				return 0, 0, false
			case v:
				return a(e)
			default:
				return b(e)
			}
		}
	case *ast.CallNode:
		name := callee(n)
		if name == "_attrnum" {
			return fixFrom(c.callDecimal(n))
		}
		if name == "_dneg" && len(n.Arguments) == 1 {
			x := c.fixed(n.Arguments[0])
			if x == nil {
				return nil
			}
			return func(e *E) (int64, int32, bool) {
				v, ex, ok := x(e)
				if !ok || v == math.MinInt64 {
					return 0, 0, false
				}
				return -v, ex, true
			}
		}
		var op func(ac int64, ae int32, bc int64, be int32) (int64, int32, bool)
		switch name {
		case "_dadd":
			op = fixAdd
		case "_dsub":
			op = fixSub
		case "_dmul":
			op = fixMul
		default:
			return nil
		}
		if len(n.Arguments) != 2 {
			return nil
		}
		l, r := c.fixed(n.Arguments[0]), c.fixed(n.Arguments[1])
		if l == nil || r == nil {
			return nil
		}
		return func(e *E) (int64, int32, bool) {
			ac, ae, ok := l(e)
			if !ok {
				return 0, 0, false
			}
			bc, be, ok := r(e)
			if !ok {
				return 0, 0, false
			}
			v, ex, ok := op(ac, ae, bc, be)
			if !ok || !fixWithinLimits(v, ex) {
				return 0, 0, false
			}
			return v, ex, true
		}
	}
	return nil
}

// fixWithinLimits reports whether c × 10^e is a result limitDecimal
// returns as it is: its integer digits within DecimalIntegerDigitsMax and
// its exponent not below -DecimalPlacesMax (a zero's exponent within
// both).
func fixWithinLimits(c int64, e int32) bool {
	if e < -DecimalPlacesMax {
		return false
	}
	if c == 0 {
		return e <= DecimalIntegerDigitsMax
	}
	return int64(fixDigits(c))+int64(e) <= DecimalIntegerDigitsMax
}

// fixDigits counts the decimal digits of c (not 0).
func fixDigits(c int64) int {
	u := uint64(c)
	if c < 0 {
		u = -u
	}
	n := 1
	for n < len(pow10i) && u >= uint64(pow10i[n]) {
		n++
	}
	return n
}

// fixAlign gives a and b the smaller exponent, as shopspring's Add
// rescales them.
func fixAlign(ac int64, ae int32, bc int64, be int32) (int64, int64, int32, bool) {
	switch {
	case ae == be:
		return ac, bc, ae, true
	case ae > be:
		v, ok := fixScale(ac, int64(ae)-int64(be))
		return v, bc, be, ok
	default:
		v, ok := fixScale(bc, int64(be)-int64(ae))
		return ac, v, ae, ok
	}
}

// fixScale multiplies c by 10^k.
func fixScale(c int64, k int64) (int64, bool) {
	if c == 0 {
		return 0, true
	}
	if k >= int64(len(pow10i)) {
		return 0, false
	}
	p := pow10i[k]
	if c > math.MaxInt64/p || c < math.MinInt64/p {
		return 0, false
	}
	return c * p, true
}

func fixAdd(ac int64, ae int32, bc int64, be int32) (int64, int32, bool) {
	a, b, e, ok := fixAlign(ac, ae, bc, be)
	if !ok {
		return 0, 0, false
	}
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, 0, false
	}
	return s, e, true
}

func fixSub(ac int64, ae int32, bc int64, be int32) (int64, int32, bool) {
	a, b, e, ok := fixAlign(ac, ae, bc, be)
	if !ok {
		return 0, 0, false
	}
	s := a - b
	if (b > 0 && s > a) || (b < 0 && s < a) {
		return 0, 0, false
	}
	return s, e, true
}

func fixMul(ac int64, ae int32, bc int64, be int32) (int64, int32, bool) {
	e := int64(ae) + int64(be)
	if e > math.MaxInt32 || e < math.MinInt32 {
		return 0, 0, false
	}
	ua, ub := uint64(ac), uint64(bc)
	if ac < 0 {
		ua = -ua
	}
	if bc < 0 {
		ub = -ub
	}
	hi, lo := bits.Mul64(ua, ub)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, 0, false
	}
	v := int64(lo)
	if (ac < 0) != (bc < 0) {
		v = -v
	}
	return v, int32(e), true
}
