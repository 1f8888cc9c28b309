package rules

import (
	"cmp"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/shopspring/decimal"
)

// typeWords turns Go type names in expr's messages into plan words, whole
// words only ("int" but not "interface" or "integer").
var typeWords = map[string]string{"decimal.Decimal": "number", "float64": "float", "int": "integer"}

var typeWordRE = regexp.MustCompile(`\b(decimal\.Decimal|float64|int)\b`)

var errDivZero = errors.New("division by zero")

// The decimal operations of rules. The expr functions below and the fast
// path (fast.go) both call these, so a rule gives the same value, and fails
// the same way, whichever runs it.

// The operations that make new digits check their result against the
// limits (limits.go). The others (negation, abs, floor, ceil, round, min,
// max, clamp) give no more digits than their arguments have.

func decAdd(a, b decimal.Decimal) (decimal.Decimal, error) { return limitDecimal(a.Add(b)) }
func decSub(a, b decimal.Decimal) (decimal.Decimal, error) { return limitDecimal(a.Sub(b)) }
func decMul(a, b decimal.Decimal) (decimal.Decimal, error) { return limitDecimal(a.Mul(b)) }

func decDiv(a, b decimal.Decimal) (decimal.Decimal, error) {
	if b.IsZero() {
		return decimal.Decimal{}, errDivZero
	}
	return limitDecimal(a.DivRound(b, DivisionPlaces))
}

// strConcat joins text, within RuleStringBytesMax. check.go lets a rule
// join only text written in it, so this bound is a second line.
func strConcat(a, b string) (string, error) {
	if len(a)+len(b) > RuleStringBytesMax {
		return "", errStringTooLong
	}
	return a + b, nil
}

func decLT(a, b decimal.Decimal) bool { return decCmp(a, b) < 0 }
func decLE(a, b decimal.Decimal) bool { return decCmp(a, b) <= 0 }
func decGT(a, b decimal.Decimal) bool { return decCmp(a, b) > 0 }
func decGE(a, b decimal.Decimal) bool { return decCmp(a, b) >= 0 }
func decEQ(a, b decimal.Decimal) bool { return decCmp(a, b) == 0 }
func decNE(a, b decimal.Decimal) bool { return decCmp(a, b) != 0 }

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decCmp is a.Cmp(b). When both coefficients fit an int64 and scaling
// one to the other's exponent does too (credit.amount >= 50000), it
// compares integers instead of allocating a scaled big.Int.
func decCmp(a, b decimal.Decimal) int {
	// NumDigits <= 18 means |coefficient| < 10^18.
	if a.NumDigits() > 18 || b.NumDigits() > 18 {
		return a.Cmp(b)
	}
	ac, ae := a.CoefficientInt64(), a.Exponent()
	bc, be := b.CoefficientInt64(), b.Exponent()
	switch {
	case ae > be && int64(ae)-int64(be) <= 18:
		p := pow10[ae-be]
		if ac > math.MaxInt64/p || ac < -math.MaxInt64/p {
			return a.Cmp(b)
		}
		ac *= p
	case be > ae && int64(be)-int64(ae) <= 18:
		p := pow10[be-ae]
		if bc > math.MaxInt64/p || bc < -math.MaxInt64/p {
			return a.Cmp(b)
		}
		bc *= p
	case ae != be:
		return a.Cmp(b)
	}
	return cmp.Compare(ac, bc)
}

func decNeg(a decimal.Decimal) decimal.Decimal   { return a.Neg() }
func decAbs(a decimal.Decimal) decimal.Decimal   { return a.Abs() }
func decFloor(a decimal.Decimal) decimal.Decimal { return a.Floor() }
func decCeil(a decimal.Decimal) decimal.Decimal  { return a.Ceil() }

// decMin and decMax keep the first of equal values.
func decMin(best decimal.Decimal, rest ...decimal.Decimal) decimal.Decimal {
	for _, v := range rest {
		if v.LessThan(best) {
			best = v
		}
	}
	return best
}

func decMax(best decimal.Decimal, rest ...decimal.Decimal) decimal.Decimal {
	for _, v := range rest {
		if v.GreaterThan(best) {
			best = v
		}
	}
	return best
}

func decRound(x, placesDec decimal.Decimal) (decimal.Decimal, error) {
	places, err := placesArg(placesDec)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return x.Round(places), nil
}

func decClamp(x, lo, hi decimal.Decimal) (decimal.Decimal, error) {
	if lo.GreaterThan(hi) {
		return decimal.Decimal{}, errors.New("clamp: lower bound above upper bound")
	}
	return decimal.Min(decimal.Max(x, lo), hi), nil
}

// functionOptions registers the decimal operators and functions.
var functionOptions = func() []expr.Option {
	bin := func(f func(a, b decimal.Decimal) (decimal.Decimal, error)) func(...any) (any, error) {
		return func(p ...any) (any, error) { return f(p[0].(decimal.Decimal), p[1].(decimal.Decimal)) }
	}
	cmp := func(f func(a, b decimal.Decimal) bool) func(...any) (any, error) {
		return func(p ...any) (any, error) { return f(p[0].(decimal.Decimal), p[1].(decimal.Decimal)), nil }
	}
	unary := func(f func(a decimal.Decimal) decimal.Decimal) func(...any) (any, error) {
		return func(p ...any) (any, error) { return f(p[0].(decimal.Decimal)), nil }
	}
	binSig := new(func(decimal.Decimal, decimal.Decimal) decimal.Decimal)
	cmpSig := new(func(decimal.Decimal, decimal.Decimal) bool)
	unarySig := new(func(decimal.Decimal) decimal.Decimal)
	variadic := func(f func(decimal.Decimal, ...decimal.Decimal) decimal.Decimal) func(...any) (any, error) {
		return func(p ...any) (any, error) {
			if len(p) == 0 {
				return nil, errors.New("needs at least one number")
			}
			rest := make([]decimal.Decimal, len(p)-1)
			for i, x := range p[1:] {
				rest[i] = x.(decimal.Decimal)
			}
			return f(p[0].(decimal.Decimal), rest...), nil
		}
	}
	return []expr.Option{
		expr.Function("_dadd", bin(decAdd), binSig),
		expr.Function("_dsub", bin(decSub), binSig),
		expr.Function("_dmul", bin(decMul), binSig),
		expr.Function("_ddiv", bin(decDiv), binSig),
		expr.Function("_sconcat", func(p ...any) (any, error) {
			return strConcat(p[0].(string), p[1].(string))
		}, new(func(string, string) string)),
		expr.Function("_dlt", cmp(decLT), cmpSig),
		expr.Function("_dle", cmp(decLE), cmpSig),
		expr.Function("_dgt", cmp(decGT), cmpSig),
		expr.Function("_dge", cmp(decGE), cmpSig),
		expr.Function("_deq", cmp(decEQ), cmpSig),
		expr.Function("_dne", cmp(decNE), cmpSig),
		expr.Function("_dneg", unary(decNeg), unarySig),
		expr.Operator("+", "_dadd", "_sconcat"),
		expr.Operator("-", "_dsub"),
		expr.Operator("*", "_dmul"),
		expr.Operator("/", "_ddiv"),
		expr.Operator("<", "_dlt"),
		expr.Operator("<=", "_dle"),
		expr.Operator(">", "_dgt"),
		expr.Operator(">=", "_dge"),
		expr.Operator("==", "_deq"),
		expr.Operator("!=", "_dne"),
		// Of expr's builtins only these text helpers stay: the others
		// would let a rule read the clock (now, date, duration) or
		// compute in float64 or int (float, int, len, sum, mean, ...).
		expr.DisableAllBuiltins(),
		expr.EnableBuiltin("upper"),
		expr.EnableBuiltin("lower"),
		expr.EnableBuiltin("trim"),
		expr.EnableBuiltin("trimPrefix"),
		expr.EnableBuiltin("trimSuffix"),
		expr.EnableBuiltin("hasPrefix"),
		expr.EnableBuiltin("hasSuffix"),
		expr.Function("min", variadic(decMin),
			new(func(decimal.Decimal, ...decimal.Decimal) decimal.Decimal)),
		expr.Function("max", variadic(decMax),
			new(func(decimal.Decimal, ...decimal.Decimal) decimal.Decimal)),
		expr.Function("round", func(p ...any) (any, error) {
			return decRound(p[0].(decimal.Decimal), p[1].(decimal.Decimal))
		}, binSig),
		expr.Function("clamp", func(p ...any) (any, error) {
			return decClamp(p[0].(decimal.Decimal), p[1].(decimal.Decimal), p[2].(decimal.Decimal))
		}, new(func(decimal.Decimal, decimal.Decimal, decimal.Decimal) decimal.Decimal)),
		expr.Function("abs", unary(decAbs), unarySig),
		expr.Function("floor", unary(decFloor), unarySig),
		expr.Function("ceil", unary(decCeil), unarySig),
	}
}()

func placesArg(d decimal.Decimal) (int32, error) {
	if !d.IsInteger() || d.Sign() < 0 || d.GreaterThan(decimal.NewFromInt(20)) {
		return 0, errors.New("round: places must be a whole number from 0 to 20")
	}
	return int32(d.IntPart()), nil
}

// literalPatcher turns numeric literals into decimal constants. Index
// positions (list[0]) keep their integer literal.
type literalPatcher struct{ src []rune }

func (lp literalPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IntegerNode:
		ast.Patch(node, &ast.ConstantNode{Value: decimal.NewFromInt(int64(n.Value))})
	case *ast.FloatNode:
		// Parse the literal's own digits, never the float64 expr made of it.
		ast.Patch(node, &ast.ConstantNode{Value: lp.floatLiteral(n)})
	case *ast.MemberNode:
		if c, ok := n.Property.(*ast.ConstantNode); ok {
			if v, ok := c.Value.(decimal.Decimal); ok && v.IsInteger() {
				ast.Patch(&n.Property, &ast.IntegerNode{Value: int(v.IntPart())})
			}
		}
	case *ast.UnaryNode:
		// -1.5 as a literal: fold into one negative constant.
		if c, ok := n.Node.(*ast.ConstantNode); ok && n.Operator == "-" {
			if v, ok := c.Value.(decimal.Decimal); ok {
				ast.Patch(node, &ast.ConstantNode{Value: v.Neg()})
			}
		}
	}
}

// callRetyper forgets the types of function calls, so that expr's checker
// visits their arguments again. The checker trusts a call's type once set
// and skips its arguments; a call typed before the literals and operators
// inside it were patched (abs(credit.amount - 10)) would keep an unpatched
// operator that compiles and then fails at run time, and would hide type
// errors in its arguments from the final check. Compile runs it before and
// after the operator patchers in every round.
type callRetyper struct{}

func (callRetyper) Visit(node *ast.Node) {
	if c, ok := (*node).(*ast.CallNode); ok {
		c.SetNature(nature.Nature{})
	}
}

func (callRetyper) Reset()             {}
func (callRetyper) ShouldRepeat() bool { return false }

// negPatcher rewrites unary minus on a number into a call of _dneg. It
// repeats until types settle, like expr's own operator patcher.
type negPatcher struct{ applied bool }

func (p *negPatcher) Visit(node *ast.Node) {
	n, ok := (*node).(*ast.UnaryNode)
	if !ok || n.Operator != "-" || n.Node.Type() != decimalType {
		return
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "_dneg"}, Arguments: []ast.Node{n.Node}}
	call.SetType(decimalType)
	ast.Patch(node, call)
	p.applied = true
}

func (p *negPatcher) Reset()             { p.applied = false }
func (p *negPatcher) ShouldRepeat() bool { return p.applied }

// floatLiteral reads the literal's digits from the rule source, so that
// 0.1 is exactly one tenth; the float64 expr parsed is only a fallback.
func (lp literalPatcher) floatLiteral(n *ast.FloatNode) decimal.Decimal {
	loc := n.Location()
	if loc.From >= 0 && loc.To <= len(lp.src) && loc.From < loc.To {
		text := strings.ReplaceAll(string(lp.src[loc.From:loc.To]), "_", "")
		if d, err := decimal.NewFromString(text); err == nil {
			return d
		}
	}
	return decimal.RequireFromString(strconv.FormatFloat(n.Value, 'g', -1, 64))
}
