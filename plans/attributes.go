package plans

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// AttributeDecl is one typed attribute a plan declares.
type AttributeDecl struct {
	Name string
	Type rules.AttrType
	// Default, when set, is the value (canonical text) used where a
	// transaction or person has none; without one, a rule that reads the
	// missing value fails, naming the transaction or person.
	Default *string
	Pos     Pos
}

// Attributes are a plan's typed attribute declarations, each list sorted
// by name. Attributes not declared are text.
type Attributes struct {
	Transaction []AttributeDecl
	Person      []AttributeDecl
}

// Types returns the declarations as rules compile them, or nil when there
// are none.
func (a *Attributes) Types() *rules.Attributes {
	if a == nil || len(a.Transaction)+len(a.Person) == 0 {
		return nil
	}
	out := &rules.Attributes{Txn: map[string]rules.AttrType{}, Person: map[string]rules.AttrType{}}
	for _, d := range a.Transaction {
		out.Txn[d.Name] = d.Type
	}
	for _, d := range a.Person {
		out.Person[d.Name] = d.Type
	}
	return out
}

// Lookup returns the declaration of a transaction (person false) or
// person attribute.
func (a *Attributes) Lookup(person bool, name string) (AttributeDecl, bool) {
	if a == nil {
		return AttributeDecl{}, false
	}
	list := a.Transaction
	if person {
		list = a.Person
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].Name >= name })
	if i < len(list) && list[i].Name == name {
		return list[i], true
	}
	return AttributeDecl{}, false
}

// AttrValue is a typed attribute's value: Number for numbers, Text for
// dates (YYYY-MM-DD), Flag for booleans.
type AttrValue struct {
	Number decimal.Decimal
	Text   string
	Flag   bool
}

// ScanPlainDecimal reads -?[0-9]+(\.[0-9]+)? without a regular
// expression: valid says s is one; when it has at most 18 digits, fits
// says so and coef × 10^exp is its value (the engine builds decimals of
// the declared attributes of every transaction it reads from these).
func ScanPlainDecimal(s string) (coef int64, exp int32, fits, valid bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits, frac, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits < 18 {
				coef = coef*10 + int64(c-'0')
			}
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, 0, false, false
		}
	}
	if digits == 0 || dot && frac == 0 {
		return 0, 0, false, false
	}
	if digits > 18 {
		return 0, 0, false, true
	}
	if s[0] == '-' {
		coef = -coef
	}
	return coef, -int32(frac), true, true
}

// parsePlainDecimal reads a plain decimal (ScanPlainDecimal) into a
// decimal, without decimal's string parser up to 18 digits.
func parsePlainDecimal(s string) (decimal.Decimal, bool) {
	coef, exp, fits, valid := ScanPlainDecimal(s)
	switch {
	case fits:
		return decimal.New(coef, exp), true
	case valid:
		d, err := decimal.NewFromString(s)
		return d, err == nil
	}
	return decimal.Decimal{}, false
}

// ParseAttr reads s as a value of type t: a number is a plain decimal
// (-12.50; no exponent, no thousands separator, no currency sign), a date
// is YYYY-MM-DD, a boolean is true or false. Text is taken as it is.
func ParseAttr(t rules.AttrType, s string) (AttrValue, error) {
	switch t {
	case rules.AttrNumber:
		d, ok := parsePlainDecimal(s)
		if !ok {
			return AttrValue{}, fmt.Errorf("%q is not a number; want a plain decimal such as 12 or -1250.50", s)
		}
		return AttrValue{Number: d}, nil
	case rules.AttrDate:
		// ParseDate takes YYYY-MM-DD only, so s is already canonical.
		if _, err := period.ParseDate(s); err != nil {
			return AttrValue{}, fmt.Errorf("%q is not a date; want YYYY-MM-DD", s)
		}
		return AttrValue{Text: s}, nil
	case rules.AttrBoolean:
		switch s {
		case "true":
			return AttrValue{Flag: true}, nil
		case "false":
			return AttrValue{}, nil
		}
		return AttrValue{}, fmt.Errorf("%q is not a boolean; want true or false", s)
	}
	return AttrValue{Text: s}, nil
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

const attributesMax = 100

// attributes reads a plan's attributes key:
//
//	attributes:
//	  transaction: {quantity: number, cost: {type: number, default: 0}}
//	  person: {target_incentive: number}
//
// and makes the reader compile the plan's rules with these types.
func (r *reader) attributes(n *yaml.Node) *Attributes {
	if n == nil {
		return nil
	}
	m := r.mapping(n, "attributes")
	a := &Attributes{
		Transaction: r.attributeList(m.value("transaction", false), "attributes.transaction"),
		Person:      r.attributeList(m.value("person", false), "attributes.person"),
	}
	m.done()
	r.attrTypes = a.Types()
	return a
}

func (r *reader) attributeList(n *yaml.Node, what string) []AttributeDecl {
	if n == nil {
		return nil
	}
	m := r.mapping(n, what)
	if len(m.keys) > attributesMax {
		r.errorf(n, "%s: %d attributes; the limit is %d", what, len(m.keys), attributesMax)
		return nil
	}
	var out []AttributeDecl
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if m.keys[k.Value] != k {
			continue // a repeated key, reported by mapping
		}
		w := what + "." + k.Value
		if !attrNameRE.MatchString(k.Value) {
			r.errorf(k, "%s: %q is not a valid attribute name; want letters, digits and _, starting with a letter", what, k.Value)
			continue
		}
		d := AttributeDecl{Name: k.Value, Pos: r.pos(k)}
		typeNode := v
		var def *yaml.Node
		if v.Kind == yaml.MappingNode {
			dm := r.mapping(v, w)
			typeNode = dm.scalar("type", true)
			def = dm.scalar("default", false)
			dm.done()
		}
		if typeNode == nil {
			continue
		}
		if typeNode.Kind != yaml.ScalarNode {
			r.errorf(typeNode, "%s: want a type (number, date, boolean or text), got %s", w, kindName(typeNode))
			continue
		}
		t, ok := rules.ParseAttrType(typeNode.Value)
		if !ok {
			msg := fmt.Sprintf("%s: unknown type %q; want number, date, boolean or text", w, typeNode.Value)
			if sug := rules.Suggest(typeNode.Value, []string{"number", "date", "boolean", "text"}); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			r.errorf(typeNode, "%s", msg)
			continue
		}
		d.Type = t
		if def != nil {
			// A bad default is reported; the type stands, so that the
			// rules reading the attribute are checked with it.
			if val, err := ParseAttr(t, def.Value); err != nil {
				r.errorf(def, "%s.default: %v", w, err)
			} else {
				s := canonicalAttr(t, val, def.Value)
				d.Default = &s
			}
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func canonicalAttr(t rules.AttrType, v AttrValue, raw string) string {
	switch t {
	case rules.AttrNumber:
		return v.Number.String()
	case rules.AttrDate:
		return v.Text
	case rules.AttrBoolean:
		return fmt.Sprint(v.Flag)
	}
	return raw
}

// checkAttrs checks the attributes given in a plan test (n is the attrs
// mapping) against plan's declarations, at the position of each value.
func (r *reader) checkAttrs(n *yaml.Node, what string, plan *CompPlan, person bool) {
	if n == nil || n.Kind != yaml.MappingNode || plan == nil || plan.Attributes == nil {
		return
	}
	a := plan.Attributes
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		d, ok := a.Lookup(person, k.Value)
		if !ok || v.Kind != yaml.ScalarNode {
			continue
		}
		if _, err := ParseAttr(d.Type, v.Value); err != nil {
			r.errorf(v, "%s.%s: %v (declared %s at line %d)", what, k.Value, err, d.Type, d.Pos.Line)
		}
	}
}
