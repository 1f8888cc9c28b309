package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// The checks a rule passes before expr compiles it, on the parsed tree:
// they refuse what plans do not need and what would let a rule run for
// minutes or fill memory, and say so in plan words, every problem at once.
//
// Rules look at one person, transaction or credit at a time, so they need
// no loops. Refused:
//
//   - ranges (1..1000000): a rule has nothing to count through;
//   - filter, map, count, sum, find, reduce and the other list functions:
//     they build lists or whole numbers, which rules cannot use;
//   - all, any, none and one over anything but a list written in the
//     rule (any(["ent", "core"], txn.product startsWith #)), and nested in
//     one another: with both refused, the work of a rule is bounded by its
//     size times the longest list in it, and checked against RuleStepsMax;
//   - joining text with + unless both sides are written in the rule
//     (checkConcat): with let, s + s doubles a text at each step.

// listFunctions are the predicates a rule may use, over a list written in
// the rule; otherFunctions are the rest of expr's predicates.
var (
	listFunctions  = map[string]bool{"all": true, "any": true, "none": true, "one": true}
	otherFunctions = map[string]bool{
		"filter": true, "map": true, "count": true, "sum": true, "find": true, "findIndex": true,
		"findLast": true, "findLastIndex": true, "groupBy": true, "sortBy": true, "reduce": true,
	}
)

// Errors is every compile error of one rule, in source order.
type Errors []*Error

// Error joins the messages, for callers that print one line; plan check
// prints each Error at its own position.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, "; ")
}

// ruleChecker walks a parsed rule. It keeps the errors it finds.
type ruleChecker struct {
	src   string
	env   reflect.Type // the environment struct, or nil
	names Names
	// attrs types the declared attributes (see attrs.go), or is nil.
	attrs *Attributes
	lets  map[string]bool // names declared with let
	errs  Errors
	// predicate names the list function the walk is inside, or "".
	predicate string
}

func (c *ruleChecker) errorf(n ast.Node, format string, args ...any) {
	line, col := lineCol(c.src, n.Location().From)
	c.errs = append(c.errs, &Error{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// check walks the rule and returns its errors, sorted.
func (c *ruleChecker) check(root ast.Node) Errors {
	c.collectLets(root)
	if steps := c.steps(root); steps > RuleStepsMax {
		c.errs = append(c.errs, &Error{Line: 1, Column: 0, Message: fmt.Sprintf(
			"rule could take %d steps to run; the limit is %d (all, any, none and one run their condition once per element of the list)",
			steps, RuleStepsMax)})
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		a, b := c.errs[i], c.errs[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return c.errs
}

// steps checks n and returns the most steps evaluating it takes: one per
// node, and for all, any, none and one, their condition once per element
// of their list.
func (c *ruleChecker) steps(n ast.Node) int {
	switch n := n.(type) {
	case nil:
		return 0
	case *ast.IntegerNode:
		c.literal(n)
		return 1
	case *ast.FloatNode:
		c.literal(n)
		return 1
	case *ast.UnaryNode:
		return 1 + c.steps(n.Node)
	case *ast.IdentifierNode:
		return c.path(n)
	case *ast.BinaryNode:
		if n.Operator == ".." {
			c.errorf(n, `ranges (1..10) are not allowed in rules; compare with >= and <=, or write the values as a list such as ["new", "upsell"]`)
		}
		c.attrLiteral(n)
		c.dateLiteral(n)
		if n.Operator == "in" {
			// "channel" in txn.attrs asks for a key of the map.
			return 1 + c.steps(n.Left) + c.object(n.Right)
		}
		return 1 + c.steps(n.Left) + c.steps(n.Right)
	case *ast.ChainNode:
		return c.steps(n.Node)
	case *ast.MemberNode:
		if isPath(n) {
			return c.path(n)
		}
		return 1 + c.object(n.Node) + c.steps(n.Property)
	case *ast.SliceNode:
		return 1 + c.steps(n.Node) + c.steps(n.From) + c.steps(n.To)
	case *ast.CallNode:
		s := 1
		if _, named := n.Callee.(*ast.IdentifierNode); !named {
			s += c.steps(n.Callee)
		}
		for _, a := range n.Arguments {
			s += c.steps(a)
		}
		return s
	case *ast.BuiltinNode:
		return c.builtin(n)
	case *ast.PredicateNode:
		return 1 + c.steps(n.Node)
	case *ast.ConditionalNode:
		return 1 + c.steps(n.Cond) + c.steps(n.Exp1) + c.steps(n.Exp2)
	case *ast.VariableDeclaratorNode:
		return 1 + c.steps(n.Value) + c.steps(n.Expr)
	case *ast.SequenceNode:
		s := 0
		for _, e := range n.Nodes {
			s += c.steps(e)
		}
		return s
	case *ast.ArrayNode:
		s := 1
		for _, e := range n.Nodes {
			s += c.steps(e)
		}
		return s
	case *ast.MapNode:
		s := 1
		for _, p := range n.Pairs {
			s += c.steps(p)
		}
		return s
	case *ast.PairNode:
		return 1 + c.steps(n.Key) + c.steps(n.Value)
	}
	return 1
}

// object checks n, the object of a member access or of in: a whole map
// or struct is fine there.
func (c *ruleChecker) object(n ast.Node) int {
	if !isPath(n) {
		return c.steps(n)
	}
	c.typeOf(n, true)
	return 1
}

// builtin checks a call of one of expr's builtins.
func (c *ruleChecker) builtin(n *ast.BuiltinNode) int {
	args := func() int {
		s := 1
		for _, a := range n.Arguments {
			s += c.steps(a)
		}
		return s
	}
	switch {
	case otherFunctions[n.Name]:
		c.errorf(n, "%s is not available in rules; rules can use all, any, none and one over a list written in the rule", n.Name)
		return args()
	case !listFunctions[n.Name]:
		// Disabled in Compile: expr reports it as an unknown name.
		return args()
	}
	if c.predicate != "" {
		c.errorf(n, "%s inside %s: all, any, none and one cannot be nested in a rule", n.Name, c.predicate)
	}
	elements := 0
	if len(n.Arguments) > 0 {
		list, isList := n.Arguments[0].(*ast.ArrayNode)
		rng, isRange := n.Arguments[0].(*ast.BinaryNode)
		switch {
		case isList:
			elements = len(list.Nodes)
		case isRange && rng.Operator == "..":
			// Refused as a range.
		default:
			c.errorf(n.Arguments[0], `%s needs a list written in the rule, such as %s(["new", "upsell"], txn.type != #)`, n.Name, n.Name)
		}
	}
	outer := c.predicate
	c.predicate = n.Name
	defer func() { c.predicate = outer }()
	s := 1
	for i, a := range n.Arguments {
		if i == 0 {
			s += c.steps(a)
			continue
		}
		s += max(elements, 1) * c.steps(a)
	}
	return s
}

// literal checks a number written in the rule against the limits.
func (c *ruleChecker) literal(n ast.Node) {
	loc := n.Location()
	src := []rune(c.src)
	if loc.From < 0 || loc.To > len(src) || loc.From >= loc.To {
		return
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(string(src[loc.From:loc.To]), "_", ""))
	if err != nil {
		return
	}
	if err := checkLiteral(d); err != nil {
		c.errorf(n, "%v", err)
	}
}

// checkConcat reports, in the compiled rule, text joined with + where a
// side is not written in the rule.
func checkConcat(src string, root ast.Node) Errors {
	var errs Errors
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		call, ok := n.(*ast.CallNode)
		if !ok || callee(call) != "_sconcat" || constantText(call) {
			return
		}
		line, col := lineCol(src, call.Location().From)
		errs = append(errs, &Error{Line: line, Column: col, Message: `text can be joined with + only where both sides are written in the rule ("a" + "b"); compare the parts instead`})
	}))
	return errs
}

// constantText reports whether n is text written in the rule.
func constantText(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.StringNode:
		return true
	case *ast.ConstantNode:
		_, ok := n.Value.(string)
		return ok
	case *ast.CallNode:
		return callee(n) == "_sconcat" && len(n.Arguments) == 2 && constantText(n.Arguments[0]) && constantText(n.Arguments[1])
	}
	return false
}

type visitFunc func(ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(*n) }
