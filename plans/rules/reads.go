package rules

import "github.com/expr-lang/expr/ast"

// Reads reports whether the rule reads the variable name (such as
// "proration") anywhere.
func (p *Program) Reads(name string) bool {
	if p == nil || p.prog == nil {
		return false
	}
	found := false
	node := p.prog.Node()
	ast.Walk(&node, &identVisitor{fn: func(n *ast.IdentifierNode) {
		if n.Value == name {
			found = true
		}
	}})
	return found
}

type identVisitor struct{ fn func(*ast.IdentifierNode) }

func (v *identVisitor) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		v.fn(id)
	}
}
