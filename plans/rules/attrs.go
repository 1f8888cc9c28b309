package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/shopspring/decimal"
)

// Typed attributes. Transactions and people carry attributes as text
// (txn.attrs.channel). A plan may declare some of them as numbers, dates or
// booleans; in its rules txn.attrs.quantity is then a decimal, like
// txn.amount, and txn.attrs.signed_on a date (YYYY-MM-DD text, which
// compares in date order, like txn.date).
//
// The engine parses the declared attributes of each transaction and person
// into the typed maps of Txn and Person (Numbers, Dates, Flags); Compile
// rewrites txn.attrs.quantity into a read of the typed map through a
// function (_attrnum and friends) that fails, naming the attribute, when
// the transaction has no such value: a missing cost must not read as 0.

// AttrType is the declared type of an attribute.
type AttrType int

// The attribute types.
const (
	AttrText AttrType = iota
	AttrNumber
	AttrDate
	AttrBoolean
)

func (t AttrType) String() string {
	switch t {
	case AttrNumber:
		return "number"
	case AttrDate:
		return "date"
	case AttrBoolean:
		return "boolean"
	}
	return "text"
}

// ParseAttrType reads a type name as plans write it.
func ParseAttrType(s string) (AttrType, bool) {
	for _, t := range []AttrType{AttrText, AttrNumber, AttrDate, AttrBoolean} {
		if t.String() == s {
			return t, true
		}
	}
	return AttrText, false
}

// Attributes declares the types of attributes, for transactions (Txn, as
// txn.attrs) and people (Person, as person.attrs). An attribute not
// declared is text.
type Attributes struct {
	Txn    map[string]AttrType
	Person map[string]AttrType
}

// of returns the declarations for the struct a rule names as base ("txn"
// or "person").
func (a *Attributes) of(base string) map[string]AttrType {
	if a == nil {
		return nil
	}
	switch base {
	case "txn":
		return a.Txn
	case "person":
		return a.Person
	}
	return nil
}

// Option changes how Compile compiles a rule.
type Option func(*options)

type options struct {
	attrs *Attributes
}

// WithAttributes makes the declared attributes typed in the rule.
func WithAttributes(a *Attributes) Option {
	return func(o *options) { o.attrs = a }
}

// The typed maps' names in the environment: not identifiers, so a rule
// cannot name them.
const (
	numbersField = "#numbers"
	datesField   = "#dates"
	flagsField   = "#flags"
)

// attrFunctions read typed attributes; each fails when the value is
// missing.
var attrFunctions = []expr.Option{
	expr.Function("_attrnum", func(p ...any) (any, error) {
		v, ok := p[0].(map[string]decimal.Decimal)[p[1].(string)]
		if !ok {
			return nil, missingAttr(p[1].(string), AttrNumber)
		}
		return v, nil
	}, new(func(map[string]decimal.Decimal, string) decimal.Decimal)),
	expr.Function("_attrdate", func(p ...any) (any, error) {
		v, ok := p[0].(map[string]string)[p[1].(string)]
		if !ok {
			return nil, missingAttr(p[1].(string), AttrDate)
		}
		return v, nil
	}, new(func(map[string]string, string) string)),
	expr.Function("_attrflag", func(p ...any) (any, error) {
		v, ok := p[0].(map[string]bool)[p[1].(string)]
		if !ok {
			return nil, missingAttr(p[1].(string), AttrBoolean)
		}
		return v, nil
	}, new(func(map[string]bool, string) bool)),
}

// missingAttr is the error of a rule reading a declared attribute that
// the transaction or person does not have.
func missingAttr(name string, t AttrType) error {
	return fmt.Errorf("no value for %s attribute %s (declared in the plan's attributes); give it one, or a default in the declaration", t, name)
}

var attrReaders = map[AttrType][2]string{
	AttrNumber:  {"_attrnum", numbersField},
	AttrDate:    {"_attrdate", datesField},
	AttrBoolean: {"_attrflag", flagsField},
}

// attrPatcher rewrites txn.attrs.quantity, when quantity is declared a
// number, into _attrnum(txn["#numbers"], "quantity"); dates and booleans
// likewise.
type attrPatcher struct{ attrs *Attributes }

func (p attrPatcher) Visit(node *ast.Node) {
	base, key, ok := attrRead(*node)
	if !ok {
		return
	}
	t := p.attrs.of(base.Value)[key]
	r, ok := attrReaders[t]
	if !ok {
		return
	}
	call := &ast.CallNode{
		Callee: &ast.IdentifierNode{Value: r[0]},
		Arguments: []ast.Node{
			&ast.MemberNode{Node: &ast.IdentifierNode{Value: base.Value}, Property: &ast.StringNode{Value: r[1]}},
			&ast.StringNode{Value: key},
		},
	}
	ast.Patch(node, call)
}

// attrRead matches txn.attrs.key (or person.attrs.key, or with brackets).
func attrRead(n ast.Node) (base *ast.IdentifierNode, key string, ok bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return nil, "", false
	}
	k, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, "", false
	}
	a, ok := m.Node.(*ast.MemberNode)
	if !ok || a.Optional || a.Method {
		return nil, "", false
	}
	if s, ok := a.Property.(*ast.StringNode); !ok || s.Value != "attrs" {
		return nil, "", false
	}
	id, ok := a.Node.(*ast.IdentifierNode)
	if !ok || (id.Value != "txn" && id.Value != "person") {
		return nil, "", false
	}
	return id, k.Value, true
}

// undeclaredAttrs lists the attributes src reads that attrs does not
// declare, as txn.attrs.cost, sorted.
func undeclaredAttrs(src string, attrs *Attributes) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	ast.Walk(&tree.Node, &nameVisitor{fn: func(m *ast.MemberNode) {
		base, key, ok := attrRead(m)
		if !ok {
			return
		}
		if _, declared := attrs.of(base.Value)[key]; declared {
			return
		}
		p := base.Value + ".attrs." + key
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}})
	sort.Strings(out)
	return out
}

// attrHint adds to a type error in a rule that reads undeclared (text)
// attributes how to declare them.
func attrHint(err error, src string, attrs *Attributes) error {
	e, ok := err.(*Error)
	if !ok || !strings.Contains(e.Message, "mismatched types") {
		return err
	}
	paths := undeclaredAttrs(src, attrs)
	if len(paths) == 0 {
		return err
	}
	noun := map[string]string{"txn": "transaction", "person": "person"}
	var decl []string
	for _, p := range paths {
		parts := strings.SplitN(p, ".", 3)
		decl = append(decl, fmt.Sprintf("%s: {%s: number}", noun[parts[0]], parts[2]))
	}
	return &Error{Line: e.Line, Column: e.Column, Message: fmt.Sprintf("%s; %s is text: to use it as a number or date, declare it in the plan's attributes (attributes: %s)",
		e.Message, strings.Join(paths, ", "), strings.Join(decl, ", "))}
}
