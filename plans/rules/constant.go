package rules

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// Constant returns the value of a number rule that reads nothing from its
// environment, such as -100, 50 * 1000 or min(-1, 5), so that a plan can
// check at load time what the rule will always give. ok is false for a
// rule that reads a variable, declares one with let, or fails to run
// (such as 1 / 0, which the run reports).
func (p *Program) Constant() (v decimal.Decimal, ok bool) {
	if p == nil || p.kind != KindDecimal {
		return decimal.Decimal{}, false
	}
	if p.constant != nil {
		return *p.constant, true
	}
	if p.prog == nil || p.env == nil || p.env.Kind() != reflect.Struct {
		return decimal.Decimal{}, false
	}
	node := p.prog.Node()
	callees := map[ast.Node]bool{}
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		if c, ok := n.(*ast.CallNode); ok {
			callees[c.Callee] = true
		}
	}))
	reads := false
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			reads = reads || !callees[n]
		case *ast.MemberNode, *ast.PointerNode, *ast.VariableDeclaratorNode:
			reads = true
		}
	}))
	if reads {
		return decimal.Decimal{}, false
	}
	v, err := p.Decimal(&Machine{}, reflect.New(p.env).Elem().Interface())
	return v, err == nil
}
