package rules

import (
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// The fast path: the common shapes of rules (fields of the environment,
// string and decimal constants, comparisons, in-lists, and/or/not, the
// ternary, and the decimal operators and functions) are turned into Go
// closures when the rule compiles, so that they run without expr's VM,
// which boxes every value it touches. Any other shape runs on the VM.
//
// Closures read the environment through a table of typed accessors per
// environment type (fields below): "txn.type" in a CreditEnv is
// func(e *CreditEnv) string { return e.Txn.Type }. Compile picks the table
// in one type switch on the environment; an environment type without a
// table runs on the VM.
//
// The closures call the same decimal functions as the VM (decimal.go), so
// both give the same value and obey the same number limits (limits.go).
// The fast path takes no let, no list function and no loop, so it
// evaluates each node of the rule at most once: at most NodesMax steps,
// within RuleStepsMax. A closure that meets a runtime error (a division
// by zero, a number out of the limits) reports !ok and the Program reruns
// the rule on the VM, so that errors read the same whichever path ran.

// fields holds the typed accessors of environment type E, by the path a
// rule writes ("txn.type", "measure" for a map).
type fields[E any] struct {
	text       map[string]func(*E) string
	number     map[string]func(*E) decimal.Decimal
	flag       map[string]func(*E) bool
	textMap    map[string]func(*E) map[string]string
	numberMap  map[string]func(*E) map[string]decimal.Decimal
	flagMap    map[string]func(*E) map[string]bool
	structPath map[string]bool // paths of nested structs ("txn"), for tests
}

func newFields[E any]() *fields[E] {
	return &fields[E]{
		text:       map[string]func(*E) string{},
		number:     map[string]func(*E) decimal.Decimal{},
		flag:       map[string]func(*E) bool{},
		textMap:    map[string]func(*E) map[string]string{},
		numberMap:  map[string]func(*E) map[string]decimal.Decimal{},
		flagMap:    map[string]func(*E) map[string]bool{},
		structPath: map[string]bool{},
	}
}

func addPerson[E any](f *fields[E], name string, get func(*E) *Person) {
	f.structPath[name] = true
	f.text[name+".id"] = func(e *E) string { return get(e).ID }
	f.text[name+".name"] = func(e *E) string { return get(e).Name }
	f.text[name+".role"] = func(e *E) string { return get(e).Role }
	f.text[name+".territory"] = func(e *E) string { return get(e).Territory }
	f.text[name+".manager"] = func(e *E) string { return get(e).Manager }
	f.text[name+".currency"] = func(e *E) string { return get(e).Currency }
	f.textMap[name+".attrs"] = func(e *E) map[string]string { return get(e).Attrs }
	f.numberMap[name+"."+numbersField] = func(e *E) map[string]decimal.Decimal { return get(e).Numbers }
	f.textMap[name+"."+datesField] = func(e *E) map[string]string { return get(e).Dates }
	f.flagMap[name+"."+flagsField] = func(e *E) map[string]bool { return get(e).Flags }
}

func addTxn[E any](f *fields[E], name string, get func(*E) *Txn) {
	f.structPath[name] = true
	f.text[name+".id"] = func(e *E) string { return get(e).ID }
	f.text[name+".date"] = func(e *E) string { return get(e).Date }
	f.text[name+".type"] = func(e *E) string { return get(e).Type }
	f.text[name+".owner"] = func(e *E) string { return get(e).Owner }
	f.text[name+".territory"] = func(e *E) string { return get(e).Territory }
	f.text[name+".product"] = func(e *E) string { return get(e).Product }
	f.text[name+".currency"] = func(e *E) string { return get(e).Currency }
	f.number[name+".amount"] = func(e *E) decimal.Decimal { return get(e).Amount }
	f.textMap[name+".attrs"] = func(e *E) map[string]string { return get(e).Attrs }
	f.flag[name+".has_splits"] = func(e *E) bool { return get(e).HasSplits }
	f.numberMap[name+"."+numbersField] = func(e *E) map[string]decimal.Decimal { return get(e).Numbers }
	f.textMap[name+"."+datesField] = func(e *E) map[string]string { return get(e).Dates }
	f.flagMap[name+"."+flagsField] = func(e *E) map[string]bool { return get(e).Flags }
}

func addCredit[E any](f *fields[E], name string, get func(*E) *Credit) {
	f.structPath[name] = true
	f.number[name+".amount"] = func(e *E) decimal.Decimal { return get(e).Amount }
	f.text[name+".rule"] = func(e *E) string { return get(e).Rule }
	f.number[name+".share"] = func(e *E) decimal.Decimal { return get(e).Share }
	f.number[name+".level"] = func(e *E) decimal.Decimal { return get(e).Level }
}

func addPeriod[E any](f *fields[E], name string, get func(*E) *Period) {
	f.structPath[name] = true
	f.text[name+".label"] = func(e *E) string { return get(e).Label }
	f.number[name+".fiscal_year"] = func(e *E) decimal.Decimal { return get(e).FiscalYear }
	f.number[name+".index"] = func(e *E) decimal.Decimal { return get(e).Index }
	f.text[name+".start"] = func(e *E) string { return get(e).Start }
	f.text[name+".end"] = func(e *E) string { return get(e).End }
}

// The accessor tables of the four environments.
var (
	personEnvFields = func() *fields[PersonEnv] {
		f := newFields[PersonEnv]()
		addPerson(f, "person", func(e *PersonEnv) *Person { return &e.Person })
		addPeriod(f, "period", func(e *PersonEnv) *Period { return &e.Period })
		return f
	}()
	txnEnvFields = func() *fields[TxnEnv] {
		f := newFields[TxnEnv]()
		addTxn(f, "txn", func(e *TxnEnv) *Txn { return &e.Txn })
		return f
	}()
	creditEnvFields = func() *fields[CreditEnv] {
		f := newFields[CreditEnv]()
		addTxn(f, "txn", func(e *CreditEnv) *Txn { return &e.Txn })
		addCredit(f, "credit", func(e *CreditEnv) *Credit { return &e.Credit })
		addPerson(f, "person", func(e *CreditEnv) *Person { return &e.Person })
		return f
	}()
	componentEnvFields = func() *fields[ComponentEnv] {
		f := newFields[ComponentEnv]()
		addPerson(f, "person", func(e *ComponentEnv) *Person { return &e.Person })
		addPeriod(f, "period", func(e *ComponentEnv) *Period { return &e.Period })
		f.numberMap["measure"] = func(e *ComponentEnv) map[string]decimal.Decimal { return e.Measure }
		f.numberMap["target"] = func(e *ComponentEnv) map[string]decimal.Decimal { return e.Target }
		f.numberMap["attainment"] = func(e *ComponentEnv) map[string]decimal.Decimal { return e.Attainment }
		f.numberMap["payout"] = func(e *ComponentEnv) map[string]decimal.Decimal { return e.Payout }
		f.numberMap["annual_target"] = func(e *ComponentEnv) map[string]decimal.Decimal { return e.AnnualTarget }
		f.number["proration"] = func(e *ComponentEnv) decimal.Decimal { return e.Proration }
		return f
	}()
)

// fastRule is a rule compiled for the fast path.
type fastRule interface {
	// runBool and runDecimal evaluate the rule on env; ok is false when
	// env is not of the rule's environment type, or on a runtime error.
	runBool(env any) (v, ok bool)
	// newDec, when not nil, makes the result of int64 arithmetic.
	runDecimal(env any, newDec func(int64, int32) decimal.Decimal) (v decimal.Decimal, ok bool)
}

// compileFast compiles the checked tree n of a rule over env for the fast
// path, or returns nil when env has no accessor table or n has a shape
// the fast path does not take.
func compileFast(env any, n ast.Node, kind Kind) fastRule {
	switch env.(type) {
	case PersonEnv:
		return newFastRule(personEnvFields, n, kind)
	case TxnEnv:
		return newFastRule(txnEnvFields, n, kind)
	case CreditEnv:
		return newFastRule(creditEnvFields, n, kind)
	case ComponentEnv:
		return newFastRule(componentEnvFields, n, kind)
	}
	return nil
}

type (
	boolFn[E any] func(*E) (bool, bool)
	decFn[E any]  func(*E) (decimal.Decimal, bool)
	strFn[E any]  func(*E) string
)

type fastProgram[E any] struct {
	b boolFn[E]
	d decFn[E]
	// f, when set, is d in int64 arithmetic (fastfix.go), tried first.
	f fixFn[E]
}

func newFastRule[E any](f *fields[E], n ast.Node, kind Kind) fastRule {
	c := fastCompiler[E]{f: f}
	switch kind {
	case KindBool:
		if b := c.bool(n); b != nil {
			return fastProgram[E]{b: b}
		}
	case KindDecimal:
		if d := c.decimal(n); d != nil {
			return fastProgram[E]{d: d, f: c.fixTop(n)}
		}
	}
	return nil
}

// envOf returns env as a *E: env is a *E (not nil) or an E, which is
// copied.
func envOf[E any](env any) *E {
	switch e := env.(type) {
	case *E:
		return e
	case E:
		return &e
	}
	return nil
}

func (p fastProgram[E]) runBool(env any) (bool, bool) {
	e := envOf[E](env)
	if e == nil || p.b == nil {
		return false, false
	}
	return p.b(e)
}

func (p fastProgram[E]) runDecimal(env any, newDec func(int64, int32) decimal.Decimal) (decimal.Decimal, bool) {
	e := envOf[E](env)
	if e == nil || p.d == nil {
		return decimal.Decimal{}, false
	}
	if p.f != nil {
		if v, ex, ok := p.f(e); ok {
			if newDec != nil {
				return newDec(v, ex), true
			}
			return decimal.New(v, ex), true
		}
	}
	return p.d(e)
}

// fastCompiler turns a checked expr tree into closures over *E. Each
// method returns nil when it meets a shape it does not handle, and the
// whole rule then runs on the VM.
type fastCompiler[E any] struct {
	f *fields[E]
}

func (c fastCompiler[E]) bool(n ast.Node) boolFn[E] {
	if n.Type() != boolType {
		return nil
	}
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*E) (bool, bool) { return v, true }
	case *ast.ConstantNode:
		v, ok := n.Value.(bool)
		if !ok {
			return nil
		}
		return func(*E) (bool, bool) { return v, true }
	case *ast.IdentifierNode, *ast.MemberNode:
		p, ok := path(n)
		if !ok {
			return nil
		}
		get, ok := c.f.flag[p]
		if !ok {
			return nil
		}
		return func(e *E) (bool, bool) { return get(e), true }
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil
		}
		x := c.bool(n.Node)
		if x == nil {
			return nil
		}
		return func(e *E) (bool, bool) {
			v, ok := x(e)
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
		return func(e *E) (bool, bool) {
			v, ok := cond(e)
			switch {
			case !ok:
				return false, false
			case v:
				return a(e)
			default:
				return b(e)
			}
		}
	}
	return nil
}

var (
	stringOrder = map[string]func(a, b string) bool{
		"<":  func(a, b string) bool { return a < b },
		"<=": func(a, b string) bool { return a <= b },
		">":  func(a, b string) bool { return a > b },
		">=": func(a, b string) bool { return a >= b },
	}
	stringTests = map[string]func(s, x string) bool{
		"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
	}
)

func (c fastCompiler[E]) binaryBool(n *ast.BinaryNode) boolFn[E] {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, r := c.bool(n.Left), c.bool(n.Right)
		if l == nil || r == nil {
			return nil
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(e *E) (bool, bool) {
				v, ok := l(e)
				if !ok || !v {
					return false, ok
				}
				return r(e)
			}
		}
		return func(e *E) (bool, bool) {
			v, ok := l(e)
			if !ok || v {
				return v, ok
			}
			return r(e)
		}
	case "==", "!=":
		neq := n.Operator == "!="
		if lb, rb := c.bool(n.Left), c.bool(n.Right); lb != nil && rb != nil {
			return func(e *E) (bool, bool) {
				a, ok := lb(e)
				if !ok {
					return false, false
				}
				b, ok := rb(e)
				return (a == b) != neq, ok
			}
		}
		if l, r := c.str(n.Left), c.str(n.Right); l != nil && r != nil {
			return func(e *E) (bool, bool) { return (l(e) == r(e)) != neq, true }
		}
		l, r := c.strOK(n.Left), c.strOK(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(e *E) (bool, bool) {
			a, ok := l(e)
			if !ok {
				return false, false
			}
			b, ok := r(e)
			return (a == b) != neq, ok
		}
	case "<", "<=", ">", ">=":
		cmp := stringOrder[n.Operator]
		if l, r := c.str(n.Left), c.str(n.Right); l != nil && r != nil {
			return func(e *E) (bool, bool) { return cmp(l(e), r(e)), true }
		}
		l, r := c.strOK(n.Left), c.strOK(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(e *E) (bool, bool) {
			a, ok := l(e)
			if !ok {
				return false, false
			}
			b, ok := r(e)
			return cmp(a, b), ok
		}
	case "in":
		l := c.str(n.Left)
		if l == nil {
			return nil
		}
		set := stringSet(n.Right)
		if set == nil {
			return nil
		}
		return func(e *E) (bool, bool) {
			_, in := set[l(e)]
			return in, true
		}
	case "contains", "startsWith", "endsWith":
		l, r := c.str(n.Left), c.str(n.Right)
		if l == nil || r == nil {
			return nil
		}
		f := stringTests[n.Operator]
		return func(e *E) (bool, bool) { return f(l(e), r(e)), true }
	}
	return nil
}

// stringSet returns the constant list of strings n, or nil.
func stringSet(n ast.Node) map[string]struct{} {
	switch n := n.(type) {
	case *ast.ConstantNode:
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

func (c fastCompiler[E]) callBool(n *ast.CallNode) boolFn[E] {
	if callee(n) == "_attrflag" {
		m, k, ok := attrArgs(n)
		if !ok {
			return nil
		}
		get, ok := c.f.flagMap[m]
		if !ok {
			return nil
		}
		// A missing value is an error, which the VM reports.
		return func(e *E) (bool, bool) {
			v, ok := get(e)[k]
			return v, ok
		}
	}
	cmp, ok := decimalComparisons[callee(n)]
	if !ok || len(n.Arguments) != 2 {
		return nil
	}
	l, r := c.decimal(n.Arguments[0]), c.decimal(n.Arguments[1])
	if l == nil || r == nil {
		return nil
	}
	return func(e *E) (bool, bool) {
		a, ok := l(e)
		if !ok {
			return false, false
		}
		b, ok := r(e)
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

func (c fastCompiler[E]) str(n ast.Node) strFn[E] {
	if n.Type() != stringType {
		return nil
	}
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(*E) string { return v }
	case *ast.ConstantNode:
		v, ok := n.Value.(string)
		if !ok {
			return nil
		}
		return func(*E) string { return v }
	case *ast.IdentifierNode, *ast.MemberNode:
		if m, k, ok := mapKey(n); ok {
			if get, ok := c.f.textMap[m]; ok {
				// A missing key reads as "", as on the VM.
				return func(e *E) string { return get(e)[k] }
			}
		}
		p, ok := path(n)
		if !ok {
			return nil
		}
		get, ok := c.f.text[p]
		if !ok {
			return nil
		}
		return get
	}
	return nil
}

// strOK is str for text that may be missing: a declared date attribute
// (_attrdate(txn["#dates"], "signed_on")) reports !ok when the fact has
// none, and the VM then reports the error.
func (c fastCompiler[E]) strOK(n ast.Node) func(*E) (string, bool) {
	if call, ok := n.(*ast.CallNode); ok && callee(call) == "_attrdate" {
		m, k, ok := attrArgs(call)
		if !ok {
			return nil
		}
		get, ok := c.f.textMap[m]
		if !ok {
			return nil
		}
		return func(e *E) (string, bool) {
			v, ok := get(e)[k]
			return v, ok
		}
	}
	s := c.str(n)
	if s == nil {
		return nil
	}
	return func(e *E) (string, bool) { return s(e), true }
}

var (
	decimalBinary = map[string]func(a, b decimal.Decimal) (decimal.Decimal, error){
		"_dadd": decAdd, "_dsub": decSub, "_dmul": decMul, "_ddiv": decDiv, "round": decRound,
	}
	decimalUnary = map[string]func(a decimal.Decimal) decimal.Decimal{"_dneg": decNeg, "abs": decAbs, "floor": decFloor, "ceil": decCeil}
)

func (c fastCompiler[E]) decimal(n ast.Node) decFn[E] {
	if n.Type() != decimalType {
		return nil
	}
	switch n := n.(type) {
	case *ast.ConstantNode:
		v, ok := n.Value.(decimal.Decimal)
		if !ok {
			return nil
		}
		return func(*E) (decimal.Decimal, bool) { return v, true }
	case *ast.IdentifierNode, *ast.MemberNode:
		return c.decimalValue(n)
	case *ast.ConditionalNode:
		cond, a, b := c.bool(n.Cond), c.decimal(n.Exp1), c.decimal(n.Exp2)
		if cond == nil || a == nil || b == nil {
			return nil
		}
		return func(e *E) (decimal.Decimal, bool) {
			v, ok := cond(e)
			switch {
			case !ok:
				return decimal.Decimal{}, false
			case v:
				return a(e)
			default:
				return b(e)
			}
		}
	case *ast.CallNode:
		return c.callDecimal(n)
	}
	return nil
}

func (c fastCompiler[E]) callDecimal(n *ast.CallNode) decFn[E] {
	name := callee(n)
	if name == "_attrnum" {
		m, k, ok := attrArgs(n)
		if !ok {
			return nil
		}
		get, ok := c.f.numberMap[m]
		if !ok {
			return nil
		}
		// A missing value is an error, which the VM reports.
		return func(e *E) (decimal.Decimal, bool) {
			v, ok := get(e)[k]
			return v, ok
		}
	}
	args := make([]decFn[E], len(n.Arguments))
	for i, a := range n.Arguments {
		if args[i] = c.decimal(a); args[i] == nil {
			return nil
		}
	}
	if f, ok := decimalBinary[name]; ok && len(args) == 2 {
		l, r := args[0], args[1]
		return func(e *E) (decimal.Decimal, bool) {
			a, ok := l(e)
			if !ok {
				return a, false
			}
			b, ok := r(e)
			if !ok {
				return b, false
			}
			v, err := f(a, b)
			return v, err == nil
		}
	}
	if f, ok := decimalUnary[name]; ok && len(args) == 1 {
		x := args[0]
		return func(e *E) (decimal.Decimal, bool) {
			a, ok := x(e)
			if !ok {
				return a, false
			}
			return f(a), true
		}
	}
	switch {
	case name == "clamp" && len(args) == 3:
		return func(e *E) (decimal.Decimal, bool) {
			var v [3]decimal.Decimal
			for i, f := range args {
				var ok bool
				if v[i], ok = f(e); !ok {
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
		return func(e *E) (decimal.Decimal, bool) {
			first, ok := args[0](e)
			if !ok {
				return first, false
			}
			rest := make([]decimal.Decimal, len(args)-1)
			for i, g := range args[1:] {
				if rest[i], ok = g(e); !ok {
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
func (c fastCompiler[E]) decimalValue(n ast.Node) decFn[E] {
	if m, k, ok := mapKey(n); ok {
		if get, ok := c.f.numberMap[m]; ok {
			// A missing key reads as the zero decimal, as on the VM.
			return func(e *E) (decimal.Decimal, bool) { return get(e)[k], true }
		}
	}
	p, ok := path(n)
	if !ok {
		return nil
	}
	get, ok := c.f.number[p]
	if !ok {
		return nil
	}
	return func(e *E) (decimal.Decimal, bool) { return get(e), true }
}

// attrArgs reads the arguments of a typed attribute read
// (_attrnum(txn["#numbers"], "cost")): the map's path and the key.
func attrArgs(n *ast.CallNode) (m, key string, ok bool) {
	if len(n.Arguments) != 2 {
		return "", "", false
	}
	k, ok := n.Arguments[1].(*ast.StringNode)
	if !ok {
		return "", "", false
	}
	m, ok = path(n.Arguments[0])
	return m, k.Value, ok
}

// path spells an identifier or a chain of member accesses with constant
// names: txn.type and txn["type"] both give "txn.type".
func path(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value, true
	case *ast.MemberNode:
		if n.Optional || n.Method {
			return "", false
		}
		key, ok := n.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := path(n.Node)
		if !ok {
			return "", false
		}
		return base + "." + key.Value, true
	}
	return "", false
}

// mapKey splits n, a constant-key read of a map (txn.attrs.channel,
// measure["bookings"]), into the map's path and the key.
func mapKey(n ast.Node) (m, key string, ok bool) {
	mn, ok := n.(*ast.MemberNode)
	if !ok || mn.Optional || mn.Method {
		return "", "", false
	}
	k, ok := mn.Property.(*ast.StringNode)
	if !ok {
		return "", "", false
	}
	m, ok = path(mn.Node)
	return m, k.Value, ok
}
