// Package rules compiles and runs icomp's rule expressions. It is the only
// package that imports expr.
//
// Every number in a rule is a decimal.Decimal: numeric literals are patched to
// decimal constants, and + - * / < <= > >= == != and unary minus are
// overloaded with exact decimal functions, so 0.1 + 0.2 == 0.3 holds in a
// rule. Division keeps DivisionPlaces decimal places, rounding halves away
// from zero. Rules cannot do I/O: the environments hold only data and the
// functions below, and each program is limited to NodesMax nodes and
// SourceBytesMax bytes of source, and its evaluation to the budget in
// limits.go (RuleStepsMax, DecimalIntegerDigitsMax, DecimalPlacesMax,
// RuleStringBytesMax). check.go refuses, in plan words, what rules do not
// need and what would break that budget: ranges, list functions other
// than all, any, none and one over a written list, nested list functions,
// and text joined with + from anything but text written in the rule.
//
// Functions available in rules: min(a, b, ...), max(a, b, ...),
// round(x, places) (halves away from zero), clamp(x, lo, hi), abs(x),
// floor(x), ceil(x), the text helpers upper, lower, trim, trimPrefix,
// trimSuffix, hasPrefix, hasSuffix, expr's string operators, and all, any,
// none and one over a list written in the rule. expr's other builtins are
// disabled: none may read the clock (now, date) or
// compute in float64 or int.
package rules

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/shopspring/decimal"
)

// DivisionPlaces is the number of decimal places a division in a rule
// keeps; the last place is rounded half away from zero.
const DivisionPlaces = 20

// NodesMax is the largest rule, in expression nodes, that compiles.
const NodesMax = 500

// SourceBytesMax is the longest rule source that compiles.
const SourceBytesMax = 4096

// Kind is the type a rule must produce.
type Kind int

// The result kinds.
const (
	KindDecimal Kind = iota
	KindBool
)

func (k Kind) String() string {
	if k == KindBool {
		return "a boolean (true/false)"
	}
	return "a number"
}

var (
	decimalType = reflect.TypeOf(decimal.Decimal{})
	boolType    = reflect.TypeOf(true)
	stringType  = reflect.TypeOf("")
)

// Error is a rule compile error at a 1-based line and 0-based column of
// the rule's source.
type Error struct {
	Line, Column int
	Message      string
}

func (e *Error) Error() string { return e.Message }

// Program is a compiled rule, safe to share across goroutines.
type Program struct {
	Source string
	kind   Kind
	prog   *vm.Program
	// constant is set when the whole rule is a single number literal: it
	// then evaluates without the VM.
	constant *decimal.Decimal
	// env is the type of the environment the rule was compiled for.
	env reflect.Type
	// fast, when set, evaluates the rule without the VM for an
	// environment of the type it was compiled for (see fast.go).
	fast fastRule
}

// Machine runs programs; it is not safe for concurrent use, so each worker
// goroutine keeps its own.
type Machine struct {
	vm vm.VM
	// NewDecimal, when set, makes the decimals the fast path's int64
	// arithmetic computes (fastfix.go) instead of decimal.New; it must
	// give decimal.New(c, exp)'s value and exponent.
	NewDecimal func(c int64, exp int32) decimal.Decimal
}

// Compile compiles src as a rule over env (a struct value of the
// environment type) that must produce a value of kind.
//
// names, when not nil, restricts the keys of map variables (see Names).
// WithAttributes types the declared attributes (see attrs.go).
func Compile(src string, env any, kind Kind, names Names, opt ...Option) (*Program, error) {
	var o options
	for _, f := range opt {
		f(&o)
	}
	if len(src) > SourceBytesMax {
		return nil, &Error{Line: 1, Column: 0, Message: fmt.Sprintf("rule is %d bytes long; the limit is %d", len(src), SourceBytesMax)}
	}
	if tree, err := parser.Parse(src); err == nil {
		// A rule that does not parse gets expr's own message below.
		c := &ruleChecker{src: src, env: reflect.TypeOf(env), names: names, attrs: o.attrs}
		if errs := c.check(tree.Node); len(errs) > 0 {
			return nil, errs
		}
	}
	opts := []expr.Option{
		expr.Env(env),
		expr.MaxNodes(NodesMax),
		expr.Patch(attrPatcher(o)),
		expr.Patch(literalPatcher{src: []rune(src)}),
		expr.Patch(callRetyper{}),
		expr.Patch(&negPatcher{}),
	}
	opts = append(opts, functionOptions...)
	opts = append(opts, attrFunctions...)
	opts = append(opts, expr.Patch(callRetyper{}))
	switch kind {
	case KindBool:
		opts = append(opts, expr.AsBool())
	}
	p, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, attrHint(toError(err), src, o.attrs)
	}
	if errs := checkConcat(src, p.Node()); len(errs) > 0 {
		return nil, errs
	}
	if kind == KindDecimal {
		if t := p.Node().Type(); t != decimalType {
			return nil, &Error{Line: 1, Column: 0, Message: fmt.Sprintf("rule gives %s, want %s", typeName(t), kind)}
		}
	}
	prog := &Program{Source: src, kind: kind, prog: p, env: reflect.TypeOf(env)}
	if c, ok := p.Node().(*ast.ConstantNode); ok {
		if v, ok := c.Value.(decimal.Decimal); ok {
			prog.constant = &v
		}
	}
	prog.fast = compileFast(env, p.Node(), kind)
	return prog, nil
}

func typeName(t reflect.Type) string {
	switch {
	case t == nil:
		return "an unknown type"
	case t == decimalType:
		return "a number"
	case t == boolType:
		return "a boolean (true/false)"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Interface:
		return "a value of unknown type"
	}
	return t.String()
}

func toError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		line, col := fe.Line, fe.Column
		if line == 0 {
			line = 1
		}
		return &Error{Line: line, Column: col, Message: cleanMessage(fe.Message)}
	}
	msg := cleanMessage(err.Error())
	if got, ok := strings.CutPrefix(msg, "expected bool, but got "); ok {
		msg = "rule gives a " + got + ", want a boolean (true/false), such as a comparison"
	}
	return &Error{Line: 1, Column: 0, Message: msg}
}

// cleanMessage rewrites expr's type names into the words comp admins use.
func cleanMessage(m string) string {
	return typeWordRE.ReplaceAllStringFunc(m, func(w string) string { return typeWords[w] })
}

// Fast reports whether the rule runs without expr's VM (see fast.go).
func (p *Program) Fast() bool {
	return p.constant != nil || p.fast != nil
}

// Decimal runs a KindDecimal program. env is a value of the environment
// type the rule was compiled for, or a pointer to one; a pointer saves a
// copy.
func (p *Program) Decimal(m *Machine, env any) (decimal.Decimal, error) {
	if p.constant != nil {
		return *p.constant, nil
	}
	if p.fast != nil {
		var newDec func(int64, int32) decimal.Decimal
		if m != nil {
			newDec = m.NewDecimal
		}
		if out, ok := p.fast.runDecimal(env, newDec); ok {
			return out, nil
		}
		// Another environment type, or a runtime error that the VM
		// reports.
	}
	out, err := m.run(p, env)
	if err != nil {
		return decimal.Decimal{}, err
	}
	v, ok := out.(decimal.Decimal)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("rule %q gave %T, want a number", p.Source, out)
	}
	return v, nil
}

// Bool runs a KindBool program; env is as for Decimal.
func (p *Program) Bool(m *Machine, env any) (bool, error) {
	if p.fast != nil {
		if out, ok := p.fast.runBool(env); ok {
			return out, nil
		}
	}
	out, err := m.run(p, env)
	if err != nil {
		return false, err
	}
	v, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("rule %q gave %T, want true or false", p.Source, out)
	}
	return v, nil
}

func (m *Machine) run(p *Program, env any) (any, error) {
	m.vm.MemoryBudget = memoryBudgetMax
	out, err := m.vm.Run(p.prog, env)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", p.Source, runtimeError(err))
	}
	return out, nil
}

func runtimeError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return errors.New(fe.Message)
	}
	return err
}

// Names lists, per map variable of an environment (such as "measure"),
// the keys a rule may use. A rule naming any other key does not compile.
type Names map[string][]string

type nameVisitor struct{ fn func(*ast.MemberNode) }

func (v *nameVisitor) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok {
		v.fn(m)
	}
}

func lineCol(src string, runeOffset int) (line, col int) {
	line = 1
	for i, r := range []rune(src) {
		if i == runeOffset {
			break
		}
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	return line, col
}

// Suggest returns the candidate closest to word when it is close enough to
// be a likely misspelling, or "".
func Suggest(word string, candidates []string) string {
	best, bestDist := "", len(word)/2+2
	for _, c := range candidates {
		if d := levenshtein(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Keys returns the constant keys the rule reads from the map variable
// name (such as "measure" for measure.bookings), sorted, without repeats.
func (p *Program) Keys(name string) []string {
	if p == nil || p.prog == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	node := p.prog.Node()
	ast.Walk(&node, &nameVisitor{fn: func(n *ast.MemberNode) {
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != name {
			return
		}
		if s, ok := n.Property.(*ast.StringNode); ok && !seen[s.Value] {
			seen[s.Value] = true
			out = append(out, s.Value)
		}
	}})
	sort.Strings(out)
	return out
}
