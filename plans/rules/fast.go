package rules

import (
	"reflect"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// The fast path: the common shapes of rules (fields of the environment,
// string and decimal constants, comparisons, in-lists, and/or/not, the
// ternary, and the decimal operators and functions) are turned into Go
// closures when the rule compiles, so that they run without expr's VM,
// which boxes every value it touches. Any other shape runs on the VM.
//
// The closures call the same decimal functions as the VM (decimal.go), so
// both give the same value. A closure that meets a runtime error (such as
// a division by zero) reports !ok and the Program reruns the rule on the
// VM, so that errors read the same whichever path ran first.
//
// Closures read the environment through a pointer to it and the byte
// offsets of its fields, which reflect works out when the rule compiles:
// txn.type in a CreditEnv is the string at offset Offsetof(Txn) +
// Offsetof(Type). Program.fastEnv checks that the pointer is to the
// environment type the offsets were computed for, and offsets only lead
// through struct fields held by value, so every read stays inside the
// environment and has the type reflect reported.

type (
	decFn  func(env unsafe.Pointer) (decimal.Decimal, bool)
	boolFn func(env unsafe.Pointer) (bool, bool)
	strFn  func(env unsafe.Pointer) string
)

var (
	stringType     = reflect.TypeOf("")
	decimalMapType = reflect.TypeOf(map[string]decimal.Decimal(nil))
	stringMapType  = reflect.TypeOf(map[string]string(nil))
	stringSetType  = reflect.TypeOf(map[string]struct{}(nil))
)

// fastCompiler turns a checked expr tree over environment type env into
// closures. Each method returns nil when it meets a shape it does not
// handle, and the whole rule then runs on the VM.
type fastCompiler struct {
	env reflect.Type
}

func (c fastCompiler) bool(n ast.Node) boolFn {
	if n.Type() != boolType {
		return nil
	}
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(unsafe.Pointer) (bool, bool) { return v, true }
	case *ast.ConstantNode:
		v, ok := n.Value.(bool)
		if !ok {
			return nil
		}
		return func(unsafe.Pointer) (bool, bool) { return v, true }
	case *ast.IdentifierNode, *ast.MemberNode:
		off, ok := c.field(n)
		if !ok {
			return nil
		}
		return func(env unsafe.Pointer) (bool, bool) { return *(*bool)(unsafe.Add(env, off)), true }
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil
		}
		x := c.bool(n.Node)
		if x == nil {
			return nil
		}
		return func(env unsafe.Pointer) (bool, bool) {
			v, ok := x(env)
			return !v, ok
		}
	case *ast.BinaryNode:
		return c.binaryBool(n)
	case *ast.CallNode:
		return c.callBool(n)
	case *ast.ConditionalNode:
		cond, a, b := c.bool(n.Cond), c.bool(n.Exp1), c.bool(n.Exp2)
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(env unsafe.Pointer) (bool, bool) {
			v, ok := cond(env)
			switch {
			case !ok:
				return false, false
			case v:
				return a(env)
			default:
				return b(env)
			}
		}
	}
	return nil
}

func (c fastCompiler) binaryBool(n *ast.BinaryNode) boolFn {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, r := c.bool(n.Left), c.bool(n.Right)
		if l == nil || r == nil {
			return nil
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(env unsafe.Pointer) (bool, bool) {
				v, ok := l(env)
				if !ok || !v {
					return false, ok
				}
				return r(env)
			}
		}
		return func(env unsafe.Pointer) (bool, bool) {
			v, ok := l(env)
			if !ok || v {
				return v, ok
			}
			return r(env)
		}
	case "==", "!=":
		neq := n.Operator == "!="
		if lb, rb := c.bool(n.Left), c.bool(n.Right); lb != nil && rb != nil {
			return func(env unsafe.Pointer) (bool, bool) {
				a, ok := lb(env)
				if !ok {
					return false, false
				}
				b, ok := rb(env)
				return (a == b) != neq, ok
			}
		}
		l, r := c.str(n.Left), c.str(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(env unsafe.Pointer) (bool, bool) { return (l(env) == r(env)) != neq, true }
	case "<", "<=", ">", ">=":
		l, r := c.str(n.Left), c.str(n.Right)
		if l == nil || r == nil {
			return nil
		}
		cmp := map[string]func(a, b string) bool{
			"<":  func(a, b string) bool { return a < b },
			"<=": func(a, b string) bool { return a <= b },
			">":  func(a, b string) bool { return a > b },
			">=": func(a, b string) bool { return a >= b },
		}[n.Operator]
		return func(env unsafe.Pointer) (bool, bool) { return cmp(l(env), r(env)), true }
	case "in":
		l := c.str(n.Left)
		if l == nil {
			return nil
		}
		set := stringSet(n.Right)
		if set == nil {
			return nil
		}
		return func(env unsafe.Pointer) (bool, bool) {
			_, in := set[l(env)]
			return in, true
		}
	case "contains", "startsWith", "endsWith":
		l, r := c.str(n.Left), c.str(n.Right)
		if l == nil || r == nil {
			return nil
		}
		f := map[string]func(s, x string) bool{
			"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
		}[n.Operator]
		return func(env unsafe.Pointer) (bool, bool) { return f(l(env), r(env)), true }
	}
	return nil
}

// stringSet returns the constant list of strings n, or nil.
func stringSet(n ast.Node) map[string]struct{} {
	switch n := n.(type) {
	case *ast.ConstantNode:
		if n.Type() != stringSetType {
			return nil
		}
		set, _ := n.Value.(map[string]struct{})
		return set
	case *ast.ArrayNode:
		set := make(map[string]struct{}, len(n.Nodes))
		for _, e := range n.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return nil
			}
			set[s.Value] = struct{}{}
		}
		return set
	}
	return nil
}

var decimalComparisons = map[string]func(a, b decimal.Decimal) bool{
	"_dlt": decLT, "_dle": decLE, "_dgt": decGT, "_dge": decGE, "_deq": decEQ, "_dne": decNE,
}

func (c fastCompiler) callBool(n *ast.CallNode) boolFn {
	cmp, ok := decimalComparisons[callee(n)]
	if !ok || len(n.Arguments) != 2 {
		return nil
	}
	l, r := c.decimal(n.Arguments[0]), c.decimal(n.Arguments[1])
	if l == nil || r == nil {
		return nil
	}
	return func(env unsafe.Pointer) (bool, bool) {
		a, ok := l(env)
		if !ok {
			return false, false
		}
		b, ok := r(env)
		if !ok {
			return false, false
		}
		return cmp(a, b), true
	}
}

// callee names the function a call calls, or "" when it is not a plain name.
func callee(n *ast.CallNode) string {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return ""
	}
	return id.Value
}

func (c fastCompiler) str(n ast.Node) strFn {
	if n.Type() != stringType {
		return nil
	}
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(unsafe.Pointer) string { return v }
	case *ast.ConstantNode:
		v, ok := n.Value.(string)
		if !ok {
			return nil
		}
		return func(unsafe.Pointer) string { return v }
	case *ast.IdentifierNode, *ast.MemberNode:
		if off, k, ok := c.mapKey(n, stringMapType); ok {
			return func(env unsafe.Pointer) string {
				// A missing key reads as "", as on the VM.
				return (*(*map[string]string)(unsafe.Add(env, off)))[k]
			}
		}
		off, ok := c.field(n)
		if !ok {
			return nil
		}
		return func(env unsafe.Pointer) string { return *(*string)(unsafe.Add(env, off)) }
	}
	return nil
}

var (
	decimalBinary = map[string]func(a, b decimal.Decimal) (decimal.Decimal, error){
		"_dadd": decAdd, "_dsub": decSub, "_dmul": decMul, "_ddiv": decDiv, "round": decRound,
	}
	decimalUnary = map[string]func(a decimal.Decimal) decimal.Decimal{"_dneg": decNeg, "abs": decAbs, "floor": decFloor, "ceil": decCeil}
)

func (c fastCompiler) decimal(n ast.Node) decFn {
	if n.Type() != decimalType {
		return nil
	}
	switch n := n.(type) {
	case *ast.ConstantNode:
		v, ok := n.Value.(decimal.Decimal)
		if !ok {
			return nil
		}
		return func(unsafe.Pointer) (decimal.Decimal, bool) { return v, true }
	case *ast.IdentifierNode, *ast.MemberNode:
		return c.decimalValue(n)
	case *ast.ConditionalNode:
		cond, a, b := c.bool(n.Cond), c.decimal(n.Exp1), c.decimal(n.Exp2)
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			v, ok := cond(env)
			switch {
			case !ok:
				return decimal.Decimal{}, false
			case v:
				return a(env)
			default:
				return b(env)
			}
		}
	case *ast.CallNode:
		return c.callDecimal(n)
	}
	return nil
}

func (c fastCompiler) callDecimal(n *ast.CallNode) decFn {
	name := callee(n)
	args := make([]decFn, len(n.Arguments))
	for i, a := range n.Arguments {
		if args[i] = c.decimal(a); args[i] == nil {
			return nil
		}
	}
	if f, ok := decimalBinary[name]; ok && len(args) == 2 {
		l, r := args[0], args[1]
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			a, ok := l(env)
			if !ok {
				return a, false
			}
			b, ok := r(env)
			if !ok {
				return b, false
			}
			v, err := f(a, b)
			return v, err == nil
		}
	}
	if f, ok := decimalUnary[name]; ok && len(args) == 1 {
		x := args[0]
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			a, ok := x(env)
			if !ok {
				return a, false
			}
			return f(a), true
		}
	}
	switch {
	case name == "clamp" && len(args) == 3:
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			var v [3]decimal.Decimal
			for i, f := range args {
				var ok bool
				if v[i], ok = f(env); !ok {
					return v[i], false
				}
			}
			r, err := decClamp(v[0], v[1], v[2])
			return r, err == nil
		}
	case (name == "min" || name == "max") && len(args) >= 1:
		f := decMin
		if name == "max" {
			f = decMax
		}
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			first, ok := args[0](env)
			if !ok {
				return first, false
			}
			rest := make([]decimal.Decimal, len(args)-1)
			for i, g := range args[1:] {
				if rest[i], ok = g(env); !ok {
					return rest[i], false
				}
			}
			return f(first, rest...), true
		}
	}
	return nil
}

// decimalValue reads a decimal field of the environment or a value of a
// map of decimals.
func (c fastCompiler) decimalValue(n ast.Node) decFn {
	if off, k, ok := c.mapKey(n, decimalMapType); ok {
		return func(env unsafe.Pointer) (decimal.Decimal, bool) {
			// A missing key reads as the zero decimal, as on the VM.
			return (*(*map[string]decimal.Decimal)(unsafe.Add(env, off)))[k], true
		}
	}
	off, ok := c.field(n)
	if !ok {
		return nil
	}
	return func(env unsafe.Pointer) (decimal.Decimal, bool) {
		return *(*decimal.Decimal)(unsafe.Add(env, off)), true
	}
}

// field resolves an identifier or a chain of member accesses to a field
// of the environment struct, through nested structs held by value, and
// returns its offset from the start of the environment. It checks that the
// field has the type expr's checker gave the node.
func (c fastCompiler) field(n ast.Node) (uintptr, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		idx, ok := fieldIndex(c.env, n.Value)
		if !ok || c.env.Field(idx).Type != n.Type() {
			return 0, false
		}
		return c.env.Field(idx).Offset, true
	case *ast.MemberNode:
		if n.Optional || n.Method {
			return 0, false
		}
		key, ok := n.Property.(*ast.StringNode)
		if !ok {
			return 0, false
		}
		pt := n.Node.Type()
		if pt == nil || pt.Kind() != reflect.Struct {
			return 0, false
		}
		idx, ok := fieldIndex(pt, key.Value)
		if !ok || pt.Field(idx).Type != n.Type() {
			return 0, false
		}
		base, ok := c.field(n.Node)
		if !ok {
			return 0, false
		}
		return base + pt.Field(idx).Offset, true
	}
	return 0, false
}

// mapKey splits n, a constant-key read of a map of type mapType held in
// the environment, into the map's offset and the key.
func (c fastCompiler) mapKey(n ast.Node, mapType reflect.Type) (uintptr, string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional || m.Method || m.Node.Type() != mapType {
		return 0, "", false
	}
	key, ok := m.Property.(*ast.StringNode)
	if !ok {
		return 0, "", false
	}
	off, ok := c.field(m.Node)
	return off, key.Value, ok
}

// fieldIndex finds the field of struct type t that expr knows as name: the
// field tagged `expr:"name"`, or else the field called name. Embedded
// fields are left to the VM.
func fieldIndex(t reflect.Type, name string) (int, bool) {
	if t.Kind() != reflect.Struct {
		return 0, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return 0, false
		}
		tag := f.Tag.Get("expr")
		if tag == name || (tag == "" && f.Name == name) {
			if !f.IsExported() {
				return 0, false
			}
			return i, true
		}
	}
	return 0, false
}
