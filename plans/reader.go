package plans

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans/rules"
)

// reader walks a parsed YAML document, keeping positions for every
// diagnostic and collecting them all rather than stopping at the first.
type reader struct {
	file  string
	lines []string
	diags Diagnostics
	// attrTypes are the typed attributes the plan being read declares
	// (attributes.go); rules compile with them.
	attrTypes *rules.Attributes
}

func newReader(file string, src []byte) *reader {
	return &reader{file: file, lines: splitLines(string(src))}
}

// splitLines splits s into lines as yaml.v3 counts them: at CR LF, CR, LF,
// and the YAML 1.1 breaks NEL, LS and PS.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
			start = i + size
		case '\n', '\u0085', '\u2028', '\u2029':
			lines = append(lines, s[start:i])
			start = i + size
		}
		i += size
	}
	return append(lines, s[start:])
}

func (r *reader) lineText(line int) string {
	if line >= 1 && line <= len(r.lines) {
		return r.lines[line-1]
	}
	return ""
}

func (r *reader) errAt(line, col int, format string, args ...any) {
	if line > len(r.lines) {
		// yaml.v3 places an empty value at the end of the file on the
		// line after the last: point at the end of the last line.
		line = len(r.lines)
		col = utf8.RuneCountInString(r.lineText(line)) + 1
	}
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

var yamlErrorRE = regexp.MustCompile(`(?s)^yaml: (?:line (\d+): )?(.*)$`)

// splitYAMLError splits a yaml.v3 error into the line it names (0 when
// none) and its message.
func splitYAMLError(err error) (int, string) {
	m := yamlErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, err.Error()
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2]
}

// decode decodes the one YAML document of src. second is the start of a
// second document, if the file has one; yaml.Unmarshal would silently
// ignore it, and any syntax error in it.
func decode(src []byte) (doc *yaml.Node, second *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var first, next yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return &first, nil, nil
		}
		return nil, nil, err
	}
	if err := dec.Decode(&next); err != nil {
		if errors.Is(err, io.EOF) {
			return &first, nil, nil
		}
		return nil, nil, err
	}
	return &first, &next, nil
}

// parse parses src into its document's root node, or records the syntax
// error.
func (r *reader) parse(src []byte) *yaml.Node {
	doc, second, err := decode(src)
	if err != nil {
		r.syntaxError(src, err)
		return nil
	}
	if second != nil {
		r.errAt(max(second.Line, 1), 1, "a second YAML document starts here; a plan file holds one document, so remove this --- line or split the file")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" && doc.Content[0].Value == "") {
		r.errAt(1, 1, "file is empty; want a YAML mapping with a kind key")
		return nil
	}
	return doc.Content[0]
}

// keyNoSpaceRE matches a line such as "name:value", a key without the
// space after its colon.
var keyNoSpaceRE = regexp.MustCompile(`^\s*[^\s:#"']+:[^\s:]`)

// prevContentLine is the nearest line above line that is not blank or a
// comment, or 0.
func (r *reader) prevContentLine(line int) int {
	for l := line - 1; l >= 1; l-- {
		t := strings.TrimSpace(r.lineText(l))
		if t != "" && !strings.HasPrefix(t, "#") {
			return l
		}
	}
	return 0
}

// badEscapeRE matches a backslash that starts no YAML escape.
var badEscapeRE = regexp.MustCompile(`\\[^0abt\tnvfre "\\N_LPxuU']`)

// afterQuoteRE matches "key: 'value' more"; group 1 is the text after the
// closing quote.
var afterQuoteRE = regexp.MustCompile(`^\s*(?:- )?[^\s:#"'][^:#]*:\s+(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')[ \t]*([^\s#,}\]])`)

// valueColonRE matches "key: value: more"; group 1 is the second colon.
var valueColonRE = regexp.MustCompile(`^\s*(?:- )?[^\s:#"'][^:#]*:\s+[^:#]*?(:)(?:\s|$)`)

// syntaxBytesMax is the largest file whose syntax error line is searched
// for (see syntaxErrorLine): the search parses the file up to about 30
// times, and yaml.v3 parses about 7 MB a second. Larger files get yaml.v3's
// line, which is at or above the offending line.
const syntaxBytesMax = 512 << 10

// syntaxError records a YAML syntax error at the offending line.
func (r *reader) syntaxError(src []byte, err error) {
	reported, msg := splitYAMLError(err)
	line := max(reported, 1)
	if len(src) <= syntaxBytesMax {
		line = r.syntaxErrorLine(reported, msg)
	} else {
		msg += " (at or below this line)"
	}
	var (
		text []rune
		s    string
		col  int
	)
	// setLine points at the first character of line that is not a space:
	// a tab used for indentation, or the misplaced key.
	setLine := func(l int) {
		line = l
		text = []rune(r.lineText(line))
		s = string(text)
		col = 1
		for col <= len(text) && text[col-1] == ' ' {
			col++
		}
		if col > len(text) {
			col = 1
		}
	}
	setLine(line)
	// at moves the caret to byte offset i of the line, when found.
	at := func(i int) {
		if i >= 0 {
			col = utf8.RuneCountInString(s[:i]) + 1
		}
	}
	switch {
	case col <= len(text) && text[col-1] == '\t':
		msg += "; indent with spaces: YAML does not allow tabs in indentation"
	case msg == "found unexpected end of stream" && strings.ContainsAny(s, `"'`):
		msg += "; is a quote left unclosed?"
		at(strings.IndexAny(s, `"'`))
	case strings.HasPrefix(msg, "did not find expected ',' or "):
		open := "["
		if strings.HasSuffix(msg, "'}'") {
			open = "{"
		}
		msg += "; is a [ or { left unclosed, or a comma missing?"
		at(strings.LastIndex(s, open))
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		at(strings.Index(s, "*"+name))
	case msg == "found unknown escape character":
		msg += `; in double quotes a backslash starts an escape: write \\ for a backslash, or use single quotes`
		if m := badEscapeRE.FindStringIndex(s); m != nil {
			at(m[0])
		}
	case msg == "did not find expected key" && afterQuoteRE.MatchString(s):
		msg += "; there is text after the closing quote: quote the whole value"
		at(afterQuoteRE.FindStringSubmatchIndex(s)[2])
	case msg == "could not find expected ':'" && keyNoSpaceRE.MatchString(s):
		msg += "; put a space after the colon of key: value"
	case msg == "did not find expected key" || msg == "did not find expected '-' indicator" || msg == "could not find expected ':'":
		msg += "; check the indentation of this line"
	case msg == "mapping values are not allowed in this context":
		if m := valueColonRE.FindStringSubmatchIndex(s); m != nil {
			// key: value: more, the value has a colon of its own.
			msg += "; quote a value that contains \": \""
			at(m[2])
		} else if prev := r.prevContentLine(line); prev > 0 && !strings.Contains(r.lineText(prev), ":") {
			// "- name owner" above "  to: owner": the line above is
			// missing its colon, and YAML read it as text.
			setLine(prev)
			if strings.HasPrefix(strings.TrimLeft(s, " "), "- ") {
				col += 2
			}
			msg += "; is the colon after the key missing on this line?"
		} else {
			msg += "; check the indentation of this line"
		}
	}
	r.errAt(line, col, "YAML syntax error: %s", msg)
}

// syntaxErrorLine finds the line of a YAML syntax error. yaml.v3 names
// the line where the enclosing block or flow collection started (counted
// from 0), not the offending line: for a mis-indented key deep in a list it
// names the line above the list. The offending line is the first line at
// which the file, cut after that line, fails with the same message; it is
// never above the line yaml.v3 names. The search gallops then bisects, so
// it parses O(log n) prefixes.
func (r *reader) syntaxErrorLine(reported int, msg string) int {
	n := len(r.lines)
	fails := func(k int) bool {
		_, _, err := decode([]byte(strings.Join(r.lines[:k], "\n") + "\n"))
		if err == nil {
			return false
		}
		_, m := splitYAMLError(err)
		return m == msg
	}
	lo := min(max(reported, 1), n)
	if fails(lo) {
		return lo
	}
	hi := lo + 1
	for step := 1; hi < n && !fails(hi); step *= 2 {
		lo, hi = hi, hi+step
	}
	if hi >= n {
		hi = n
		if !fails(n) {
			return min(max(reported, 1), n)
		}
	}
	// !fails(lo) and fails(hi): find the first failing line between.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
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
		return fmt.Sprintf("an alias (*%s); plans do not expand YAML aliases, so write the value out", n.Value)
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
		if first, dup := m.keys[k.Value]; dup {
			where := fmt.Sprintf("line %d", first.Line)
			if first.Line == k.Line {
				where = fmt.Sprintf("column %d", first.Column)
			}
			r.errorf(k, "%s: key %q appears twice; it is first at %s", what, k.Value, where)
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
	switch {
	case !ok:
		if required && m.node != nil && m.node.Kind == yaml.MappingNode {
			m.r.errorf(m.node, "%s: missing required key %q", m.what, key)
		}
		return nil
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		if required {
			m.r.errorf(m.keys[key], "%s: required key %q has no value", m.what, key)
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
	var known []string
	for _, a := range m.asked {
		if !contains(known, a) {
			known = append(known, a)
		}
	}
	for i := 0; i+1 < len(m.node.Content); i += 2 {
		k := m.node.Content[i]
		if contains(known, k.Value) {
			continue
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			m.r.errorf(k, "%s: plans do not expand YAML merge keys (<<); write the keys out", m.what)
			continue
		}
		if sug := rules.Suggest(k.Value, known); sug != "" {
			m.r.errorf(k, "%s: unknown key %q; did you mean %q?", m.what, k.Value, sug)
		} else {
			m.r.errorf(k, "%s: unknown key %q; known keys: %s", m.what, k.Value, strings.Join(known, ", "))
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

// currency reads a required ISO 4217 currency code icomp knows; "" when
// it is missing or unknown (both reported).
func (m *mapping) currency(key string) string {
	cur := m.scalar(key, true)
	if cur == nil {
		return ""
	}
	if _, ok := money.Precision(cur.Value); !ok {
		msg := fmt.Sprintf("%s: %q is not a supported ISO 4217 code", key, cur.Value)
		if sug := rules.Suggest(cur.Value, money.Currencies()); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		m.r.errorf(cur, "%s", msg)
		return ""
	}
	return cur.Value
}

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
	prog, err := rules.Compile(src, env, kind, names, rules.WithAttributes(r.attrTypes))
	if err != nil {
		var errs rules.Errors
		switch e := err.(type) {
		case rules.Errors:
			errs = e
		case *rules.Error:
			errs = rules.Errors{e}
		default:
			r.errorf(v, "%s: %v", what, err)
			return nil
		}
		for _, re := range errs {
			line, col := r.exprPos(v, re.Line, re.Column)
			r.errAt(line, col, "%s: %s", what, re.Message)
		}
		return nil
	}
	return &Rule{Source: src, Pos: r.pos(v), Program: prog}
}
