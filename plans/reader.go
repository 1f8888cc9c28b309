package plans

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// reader walks a parsed YAML document, keeping positions for every
// diagnostic and collecting them all rather than stopping at the first.
type reader struct {
	file  string
	lines []string
	diags Diagnostics
}

func newReader(file string, src []byte) *reader {
	return &reader{file: file, lines: strings.Split(string(src), "\n")}
}

func (r *reader) lineText(line int) string {
	if line >= 1 && line <= len(r.lines) {
		return strings.TrimRight(r.lines[line-1], "\r")
	}
	return ""
}

func (r *reader) errAt(line, col int, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{
		Pos:        Pos{File: r.file, Line: line, Column: col},
		Message:    fmt.Sprintf(format, args...),
		SourceLine: r.lineText(line),
	})
}

func (r *reader) errorf(n *yaml.Node, format string, args ...any) {
	r.errAt(n.Line, n.Column, format, args...)
}

func (r *reader) pos(n *yaml.Node) Pos { return Pos{File: r.file, Line: n.Line, Column: n.Column} }

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parse parses src into its document node, or records the syntax error.
func (r *reader) parse(src []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		msg := err.Error()
		line := 1
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			if m[1] != "" {
				line, _ = strconv.Atoi(m[1])
			}
			msg = m[2]
		}
		r.errAt(line, 1, "YAML syntax error: %s", msg)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		r.errAt(1, 1, "file is empty; want a YAML mapping with a kind key")
		return nil
	}
	return doc.Content[0]
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// mapping reads the keys of one YAML mapping. Each key the code asks for is
// remembered, so that done can report unknown keys with a suggestion.
type mapping struct {
	r      *reader
	node   *yaml.Node
	what   string
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node
	asked  []string
}

func (r *reader) mapping(n *yaml.Node, what string) *mapping {
	m := &mapping{r: r, node: n, what: what, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n == nil {
		return m
	}
	if n.Kind != yaml.MappingNode {
		r.errorf(n, "%s: want a mapping of keys to values, got %s", what, kindName(n))
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := m.values[k.Value]; dup {
			r.errorf(k, "%s: key %q appears twice", what, k.Value)
			continue
		}
		m.values[k.Value] = v
		m.keys[k.Value] = k
	}
	return m
}

// value returns the node of key, or nil; required keys that are missing
// are reported at the mapping.
func (m *mapping) value(key string, required bool) *yaml.Node {
	m.asked = append(m.asked, key)
	v, ok := m.values[key]
	if !ok || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		if required && m.node != nil && m.node.Kind == yaml.MappingNode {
			m.r.errorf(m.node, "%s: missing required key %q", m.what, key)
		}
		return nil
	}
	return v
}

func (m *mapping) has(key string) bool {
	_, ok := m.values[key]
	return ok
}

// done reports every key that was never asked for.
func (m *mapping) done() {
	if m.node == nil || m.node.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.node.Content); i += 2 {
		k := m.node.Content[i]
		known := false
		for _, a := range m.asked {
			if a == k.Value {
				known = true
				break
			}
		}
		if known {
			continue
		}
		if sug := rules.Suggest(k.Value, m.asked); sug != "" {
			m.r.errorf(k, "%s: unknown key %q; did you mean %q?", m.what, k.Value, sug)
		} else {
			m.r.errorf(k, "%s: unknown key %q; known keys: %s", m.what, k.Value, strings.Join(m.asked, ", "))
		}
	}
}

func (m *mapping) scalar(key string, required bool) *yaml.Node {
	v := m.value(key, required)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		m.r.errorf(v, "%s.%s: want a single value, got %s", m.what, key, kindName(v))
		return nil
	}
	return v
}

func (m *mapping) str(key string, required bool) string {
	v := m.scalar(key, required)
	if v == nil {
		return ""
	}
	return v.Value
}

// name reads an identifier-like name: letters, digits, '-', '_' and '.'.
func (m *mapping) name(key string, required bool) string {
	v := m.scalar(key, required)
	if v == nil {
		return ""
	}
	if !nameRE.MatchString(v.Value) {
		m.r.errorf(v, "%s.%s: %q is not a valid name; want letters, digits, '-', '_' or '.', starting with a letter", m.what, key, v.Value)
	}
	return v.Value
}

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// enum reads one of the allowed values; def is returned when absent.
func (m *mapping) enum(key string, def string, allowed ...string) string {
	v := m.scalar(key, false)
	if v == nil {
		return def
	}
	for _, a := range allowed {
		if v.Value == a {
			return a
		}
	}
	msg := fmt.Sprintf("%s.%s: %q is not one of %s", m.what, key, v.Value, strings.Join(allowed, ", "))
	if sug := rules.Suggest(v.Value, allowed); sug != "" {
		msg += fmt.Sprintf("; did you mean %q?", sug)
	}
	m.r.errorf(v, "%s", msg)
	return def
}

func (m *mapping) boolean(key string) bool {
	v := m.scalar(key, false)
	if v == nil {
		return false
	}
	switch v.Value {
	case "true":
		return true
	case "false":
		return false
	}
	m.r.errorf(v, "%s.%s: want true or false, got %q", m.what, key, v.Value)
	return false
}

func (m *mapping) integer(key string, def, lo, hi int) int {
	v := m.scalar(key, false)
	if v == nil {
		return def
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil || n < lo || n > hi {
		m.r.errorf(v, "%s.%s: want a whole number from %d to %d, got %q", m.what, key, lo, hi, v.Value)
		return def
	}
	return n
}

// decimalNode reads an exact decimal from a scalar, never through float64.
func (r *reader) decimalNode(v *yaml.Node, what string) (decimal.Decimal, bool) {
	if v.Kind != yaml.ScalarNode {
		r.errorf(v, "%s: want a number, got %s", what, kindName(v))
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(v.Value, "_", ""))
	if err != nil || strings.ContainsAny(v.Value, "eE") {
		r.errorf(v, "%s: want a decimal number such as 1250.50, got %q", what, v.Value)
		return decimal.Decimal{}, false
	}
	return d, true
}

func (m *mapping) decimal(key string, required bool) (decimal.Decimal, bool) {
	v := m.value(key, required)
	if v == nil {
		return decimal.Decimal{}, false
	}
	return m.r.decimalNode(v, m.what+"."+key)
}

func (m *mapping) date(key string, required bool) period.Date {
	v := m.scalar(key, required)
	if v == nil {
		return period.Date{}
	}
	d, err := period.ParseDate(v.Value)
	if err != nil {
		m.r.errorf(v, "%s.%s: %v", m.what, key, err)
	}
	return d
}

func (m *mapping) list(key string, required bool) []*yaml.Node {
	v := m.value(key, required)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		m.r.errorf(v, "%s.%s: want a list, got %s", m.what, key, kindName(v))
		return nil
	}
	return v.Content
}

// Rule is one expr rule in a plan, with its position and compiled program.
type Rule struct {
	Source  string
	Pos     Pos
	Program *rules.Program
}

// rule compiles the rule under key. Compile errors point at the rule's own
// line and column inside the YAML file.
func (m *mapping) rule(key string, required bool, env any, kind rules.Kind, names rules.Names) *Rule {
	v := m.value(key, required)
	if v == nil {
		return nil
	}
	return m.r.ruleNode(v, m.what+"."+key, env, kind, names)
}

func (r *reader) ruleNode(v *yaml.Node, what string, env any, kind rules.Kind, names rules.Names) *Rule {
	if v.Kind != yaml.ScalarNode {
		r.errorf(v, "%s: want a rule (an expression), got %s", what, kindName(v))
		return nil
	}
	src := v.Value
	prog, err := rules.Compile(src, env, kind, names)
	if err != nil {
		re, ok := err.(*rules.Error)
		if !ok {
			r.errorf(v, "%s: %v", what, err)
			return nil
		}
		line, col := r.exprPos(v, re.Line, re.Column)
		r.errAt(line, col, "%s: %s", what, re.Message)
		return nil
	}
	return &Rule{Source: src, Pos: r.pos(v), Program: prog}
}

// exprPos maps a 1-based line and 0-based column inside a rule to the
// 1-based line and column of the YAML file.
func (r *reader) exprPos(v *yaml.Node, line, col int) (int, int) {
	switch v.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// Block scalar: content starts on the next line, at its indentation.
		return v.Line + line, firstContentIndent(r, v) + col + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 {
			return v.Line, v.Column + 1 + col
		}
		return v.Line + line - 1, col + 1
	default:
		if line == 1 {
			return v.Line, v.Column + col
		}
		return v.Line + line - 1, col + 1
	}
}

func firstContentIndent(r *reader, v *yaml.Node) int {
	for l := v.Line + 1; l <= len(r.lines); l++ {
		text := r.lineText(l)
		if strings.TrimSpace(text) == "" {
			continue
		}
		return len(text) - len(strings.TrimLeft(text, " "))
	}
	return 0
}
