package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/expr-lang/expr/ast"
)

// Dates are YYYY-MM-DD text in rules (txn.date, period.start, period.end
// and the attributes a plan declares as dates), so that they compare in
// date order as text. Text written in a rule and compared with a date in
// another form compares in the wrong order without any error:
// "2027-10-01" < "2027-3-01" is true, and "2027/03/01" is above every
// date of 2027. So a comparison (== != < <= > >=, or in a written list)
// of a date with written text that is not a YYYY-MM-DD day of the
// calendar is refused, at the text, with the date written right where
// it can be worked out.

// comparisons are the operators checked; in is checked against the
// elements of a list written in the rule.
var comparisons = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "in": true, "not in": true}

// looseDateRE matches a year-first date with one- or two-digit month and
// day, separated by -, / or . (2027-3-1, 2027/03/01).
var looseDateRE = regexp.MustCompile(`^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$`)

// dateLiteral reports text written in the rule and compared by n with a
// date that is not a YYYY-MM-DD date.
func (c *ruleChecker) dateLiteral(n *ast.BinaryNode) {
	if !comparisons[n.Operator] {
		return
	}
	for _, pair := range [][2]ast.Node{{n.Left, n.Right}, {n.Right, n.Left}} {
		date, other := pair[0], pair[1]
		if n.Operator == "in" || n.Operator == "not in" {
			// txn.date in ["2027-03-01", ...]; the list is on the right.
			if date != n.Left {
				continue
			}
			list, ok := other.(*ast.ArrayNode)
			if !ok || !c.isDate(date) {
				continue
			}
			for _, e := range list.Nodes {
				c.checkDateText(date, e)
			}
			return
		}
		if c.isDate(date) {
			c.checkDateText(date, other)
		}
	}
}

// checkDateText reports lit, compared with the date path date, when it
// is (or, for a choice, either of its branches is) text written in the
// rule that is not a YYYY-MM-DD date.
func (c *ruleChecker) checkDateText(date, lit ast.Node) {
	switch l := lit.(type) {
	case *ast.ConditionalNode:
		c.checkDateText(date, l.Exp1)
		c.checkDateText(date, l.Exp2)
	case *ast.StringNode:
		if msg := dateTextProblem(l.Value); msg != "" {
			c.errorf(l, "%s is a date and compares as YYYY-MM-DD text, so comparing it with %q would not follow the calendar: %s", pathText(date), l.Value, msg)
		}
	}
}

// dateTextProblem says how to write s as a date, or "" when s is one.
func dateTextProblem(s string) string {
	if _, err := time.Parse(time.DateOnly, s); err == nil && len(s) == len(time.DateOnly) {
		return ""
	}
	if m := looseDateRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		fixed := fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
		if _, err := time.Parse(time.DateOnly, fixed); err == nil {
			return fmt.Sprintf("write %q", fixed)
		}
		return fmt.Sprintf("%s is not a day of the calendar; write a date as YYYY-MM-DD, such as \"2027-03-01\"", fixed)
	}
	return `write a date as YYYY-MM-DD, such as "2027-03-01"`
}

// isDate reports whether n reads a date: a field tagged rules:"date"
// (txn.date, period.start) or an attribute the plan declares as a date.
func (c *ruleChecker) isDate(n ast.Node) bool {
	m, ok := n.(*ast.MemberNode)
	if !ok || !isPath(m) {
		return false
	}
	if base, key, ok := attrRead(m); ok {
		return c.attrs.of(base.Value)[key] == AttrDate
	}
	t := c.typeOf(m.Node, false)
	if t == nil || t.Kind() != reflect.Struct {
		return false
	}
	f, ok := exprField(t, m.Property.(*ast.StringNode).Value)
	return ok && f.Tag.Get("rules") == "date"
}
