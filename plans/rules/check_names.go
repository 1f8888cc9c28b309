package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// The names a rule reads, checked in plan words before expr compiles the
// rule, every unknown name at once: txn.new_logo is "no field new_logo on
// a transaction; did you mean txn.attrs.new_logo?", not expr's "type
// rules.Txn has no field new_logo", and not just the first of them.

// structNouns names the environment structs as comp admins do.
var structNouns = map[reflect.Type]string{
	reflect.TypeOf(Txn{}):    "a transaction",
	reflect.TypeOf(Person{}): "a person",
	reflect.TypeOf(Credit{}): "a credit",
	reflect.TypeOf(Period{}): "the period",
}

// keyWords says what the keys of a map variable are, and gives an example
// key, by the map's name.
var keyWords = map[string][2]string{
	"measure":       {"a measure name", "bookings"},
	"target":        {"a measure name", "bookings"},
	"attainment":    {"a measure name", "bookings"},
	"annual_target": {"a measure name", "bookings"},
	"payout":        {"a component name", "commission"},
	"attrs":         {"an attribute name", "channel"},
}

// exprField finds the field of struct type t that rules call name.
func exprField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("expr"); tag == name || tag == "" && f.Name == name && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// exprFieldNames lists the names rules use for the fields of t.
func exprFieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("expr"); strings.HasPrefix(tag, "#") {
			continue // typed attributes, read through attrs
		} else if tag != "" {
			out = append(out, tag)
		} else if f.IsExported() {
			out = append(out, f.Name)
		}
	}
	return out
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pathText writes an identifier or a chain of constant member accesses
// as a rule would: txn.attrs.channel, payout["new-logo"].
func pathText(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.MemberNode:
		if k, ok := n.Property.(*ast.StringNode); ok {
			return joinPath(pathText(n.Node), k.Value)
		}
		return pathText(n.Node) + "[...]"
	}
	return "..."
}

func joinPath(base, key string) string {
	if identRE.MatchString(key) {
		return base + "." + key
	}
	return fmt.Sprintf("%s[%q]", base, key)
}

// isPath reports whether n is an identifier or a chain of constant member
// accesses on one (txn.attrs.channel).
func isPath(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return true
	case *ast.MemberNode:
		_, ok := n.Property.(*ast.StringNode)
		return ok && !n.Method && isPath(n.Node)
	}
	return false
}

// typeOf resolves a path (see isPath) in the environment: the type of
// what it reads, or nil when that is not known (a let variable, a name
// expr reports as unknown, a field already reported). With report set, it
// reports unknown fields and unknown keys of the map variables in Names.
func (c *ruleChecker) typeOf(n ast.Node, report bool) reflect.Type {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if c.env == nil || c.env.Kind() != reflect.Struct || c.lets[n.Value] || n.Value == "$env" {
			return nil
		}
		f, ok := exprField(c.env, n.Value)
		if !ok {
			if report {
				msg := "unknown name " + n.Value
				if sug := Suggest(n.Value, exprFieldNames(c.env)); sug != "" {
					msg += fmt.Sprintf("; did you mean %s?", sug)
				}
				c.errorf(n, "%s; this rule can read %s", msg, strings.Join(exprFieldNames(c.env), ", "))
			}
			return nil
		}
		return f.Type
	case *ast.MemberNode:
		key, ok := n.Property.(*ast.StringNode)
		if !ok {
			return nil
		}
		base := c.typeOf(n.Node, report)
		switch {
		case base == nil:
			return nil
		case base.Kind() == reflect.Struct && base != decimalType:
			f, ok := exprField(base, key.Value)
			if !ok {
				if report {
					c.unknownField(n, base, key.Value)
				}
				return nil
			}
			return f.Type
		case base.Kind() == reflect.Map:
			if report {
				c.checkKey(n, key.Value)
			}
			return base.Elem()
		}
	}
	return nil
}

// unknownField reports txn.new_logo: a misspelling of a field, or else
// an attribute written without attrs.
func (c *ruleChecker) unknownField(n *ast.MemberNode, t reflect.Type, name string) {
	base := pathText(n.Node)
	noun := structNouns[t]
	if noun == "" {
		noun = base
	}
	known := exprFieldNames(t)
	msg := fmt.Sprintf("no field %s on %s", name, noun)
	if _, hasAttrs := exprField(t, "attrs"); hasAttrs && Suggest(name, known) == "" {
		msg += fmt.Sprintf("; did you mean %s?", joinPath(base+".attrs", name))
	} else if sug := Suggest(name, known); sug != "" {
		msg += fmt.Sprintf("; did you mean %s?", joinPath(base, sug))
	} else {
		msg += "; known: " + strings.Join(known, ", ")
	}
	c.errorf(n.Property, "%s", msg)
}

// checkKey reports a key of a map variable that Names restricts, such as
// measure.bookigns.
func (c *ruleChecker) checkKey(n *ast.MemberNode, key string) {
	id, ok := n.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	keys, ok := c.names[id.Value]
	if !ok {
		return
	}
	for _, k := range keys {
		if k == key {
			return
		}
	}
	msg := fmt.Sprintf("unknown %s %q", id.Value, key)
	if sug := Suggest(key, keys); sug != "" {
		msg += fmt.Sprintf("; did you mean %q?", sug)
	} else if len(keys) > 0 {
		msg += fmt.Sprintf("; known: %s", strings.Join(keys, ", "))
	}
	c.errorf(n.Property, "%s", msg)
}

// path checks a path read as a value (not as the object of a member
// access): its names, and that it is not a whole map (attainment >= 0.5)
// or struct (txn == "new").
func (c *ruleChecker) path(n ast.Node) int {
	t := c.typeOf(n, true)
	p := pathText(n)
	switch {
	case t == nil:
	case t.Kind() == reflect.Map:
		last := p[strings.LastIndex(p, ".")+1:]
		words, ok := keyWords[last]
		if !ok {
			words = [2]string{"a key", "name"}
		}
		example := words[1]
		if id, ok := n.(*ast.IdentifierNode); ok && len(c.names[id.Value]) > 0 {
			example = c.names[id.Value][0]
		}
		c.errorf(n, "%s needs %s, e.g. %s", p, words[0], joinPath(p, example))
	case structNouns[t] != "":
		c.errorf(n, "%s is %s, not a value; name one of its fields, e.g. %s.%s", p, structNouns[t], p, exprFieldNames(t)[0])
	}
	depth := 1
	for m, ok := n.(*ast.MemberNode); ok; m, ok = m.Node.(*ast.MemberNode) {
		depth += 2
	}
	return depth
}

// attrLiteral reports an attribute compared with true, false or a number,
// which are never equal to text: attributes are text.
func (c *ruleChecker) attrLiteral(n *ast.BinaryNode) {
	if n.Operator != "==" && n.Operator != "!=" {
		return
	}
	for _, pair := range [][2]ast.Node{{n.Left, n.Right}, {n.Right, n.Left}} {
		attr, lit := pair[0], pair[1]
		m, ok := attr.(*ast.MemberNode)
		if !ok || !isPath(m) {
			continue
		}
		if t := c.typeOf(m.Node, false); t == nil || t.Kind() != reflect.Map || t.Elem().Kind() != reflect.String {
			continue
		}
		var text string
		switch l := lit.(type) {
		case *ast.BoolNode:
			text = fmt.Sprint(l.Value)
		case *ast.IntegerNode, *ast.FloatNode:
			loc := l.Location()
			src := []rune(c.src)
			if loc.From < 0 || loc.To > len(src) || loc.From >= loc.To {
				continue
			}
			text = string(src[loc.From:loc.To])
		default:
			continue
		}
		c.errorf(lit, "attributes are text: compare %s with %q, in quotes", pathText(m), text)
		return
	}
}

// collectLets records the names rules declare with let, which shadow the
// environment's.
func (c *ruleChecker) collectLets(root ast.Node) {
	c.lets = map[string]bool{}
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		if v, ok := n.(*ast.VariableDeclaratorNode); ok {
			c.lets[v.Name] = true
		}
	}))
}
