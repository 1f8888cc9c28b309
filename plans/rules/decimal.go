package rules

import (
	"errors"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/shopspring/decimal"
)

var replacer = strings.NewReplacer("decimal.Decimal", "number", "float64", "number", "int", "integer")

var errDivZero = errors.New("division by zero")

// functionOptions registers the decimal operators and functions.
var functionOptions = func() []expr.Option {
	bin := func(f func(a, b decimal.Decimal) decimal.Decimal) func(...any) (any, error) {
		return func(p ...any) (any, error) { return f(p[0].(decimal.Decimal), p[1].(decimal.Decimal)), nil }
	}
	cmp := func(f func(a, b decimal.Decimal) bool) func(...any) (any, error) {
		return func(p ...any) (any, error) { return f(p[0].(decimal.Decimal), p[1].(decimal.Decimal)), nil }
	}
	binSig := new(func(decimal.Decimal, decimal.Decimal) decimal.Decimal)
	cmpSig := new(func(decimal.Decimal, decimal.Decimal) bool)
	variadic := func(pick func(a, b decimal.Decimal) bool) func(...any) (any, error) {
		return func(p ...any) (any, error) {
			if len(p) == 0 {
				return nil, errors.New("needs at least one number")
			}
			best := p[0].(decimal.Decimal)
			for _, x := range p[1:] {
				if v := x.(decimal.Decimal); pick(v, best) {
					best = v
				}
			}
			return best, nil
		}
	}
	return []expr.Option{
		expr.Function("_dadd", bin(decimal.Decimal.Add), binSig),
		expr.Function("_dsub", bin(decimal.Decimal.Sub), binSig),
		expr.Function("_dmul", bin(decimal.Decimal.Mul), binSig),
		expr.Function("_ddiv", func(p ...any) (any, error) {
			b := p[1].(decimal.Decimal)
			if b.IsZero() {
				return nil, errDivZero
			}
			return p[0].(decimal.Decimal).DivRound(b, DivisionPlaces), nil
		}, binSig),
		expr.Function("_dlt", cmp(decimal.Decimal.LessThan), cmpSig),
		expr.Function("_dle", cmp(decimal.Decimal.LessThanOrEqual), cmpSig),
		expr.Function("_dgt", cmp(decimal.Decimal.GreaterThan), cmpSig),
		expr.Function("_dge", cmp(decimal.Decimal.GreaterThanOrEqual), cmpSig),
		expr.Function("_deq", cmp(decimal.Decimal.Equal), cmpSig),
		expr.Function("_dne", cmp(func(a, b decimal.Decimal) bool { return !a.Equal(b) }), cmpSig),
		expr.Function("_dneg", func(p ...any) (any, error) { return p[0].(decimal.Decimal).Neg(), nil },
			new(func(decimal.Decimal) decimal.Decimal)),
		expr.Operator("+", "_dadd"),
		expr.Operator("-", "_dsub"),
		expr.Operator("*", "_dmul"),
		expr.Operator("/", "_ddiv"),
		expr.Operator("<", "_dlt"),
		expr.Operator("<=", "_dle"),
		expr.Operator(">", "_dgt"),
		expr.Operator(">=", "_dge"),
		expr.Operator("==", "_deq"),
		expr.Operator("!=", "_dne"),
		expr.DisableBuiltin("min"),
		expr.DisableBuiltin("max"),
		expr.DisableBuiltin("round"),
		expr.DisableBuiltin("abs"),
		expr.DisableBuiltin("floor"),
		expr.DisableBuiltin("ceil"),
		expr.Function("min", variadic(decimal.Decimal.LessThan),
			new(func(decimal.Decimal, ...decimal.Decimal) decimal.Decimal)),
		expr.Function("max", variadic(decimal.Decimal.GreaterThan),
			new(func(decimal.Decimal, ...decimal.Decimal) decimal.Decimal)),
		expr.Function("round", func(p ...any) (any, error) {
			places, err := placesArg(p[1].(decimal.Decimal))
			if err != nil {
				return nil, err
			}
			return p[0].(decimal.Decimal).Round(places), nil
		}, binSig),
		expr.Function("clamp", func(p ...any) (any, error) {
			x, lo, hi := p[0].(decimal.Decimal), p[1].(decimal.Decimal), p[2].(decimal.Decimal)
			if lo.GreaterThan(hi) {
				return nil, errors.New("clamp: lower bound above upper bound")
			}
			return decimal.Min(decimal.Max(x, lo), hi), nil
		}, new(func(decimal.Decimal, decimal.Decimal, decimal.Decimal) decimal.Decimal)),
		expr.Function("abs", func(p ...any) (any, error) { return p[0].(decimal.Decimal).Abs(), nil },
			new(func(decimal.Decimal) decimal.Decimal)),
		expr.Function("floor", func(p ...any) (any, error) { return p[0].(decimal.Decimal).Floor(), nil },
			new(func(decimal.Decimal) decimal.Decimal)),
		expr.Function("ceil", func(p ...any) (any, error) { return p[0].(decimal.Decimal).Ceil(), nil },
			new(func(decimal.Decimal) decimal.Decimal)),
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
