package plans

import (
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// exprPos maps a 1-based line and 0-based column (counted in runes, as expr
// counts them) inside the rule v.Value to the 1-based line and column of the
// YAML file.
//
// YAML changes a scalar's text on the way to its value: plain, quoted and
// folded scalars fold line breaks into spaces and drop indentation, quoted
// scalars have escapes (\" and \u00e9 in double quotes, a doubled quote in
// single quotes) and block scalars drop their indentation. So the value is
// walked rune by rune against the source text of the scalar; where the two
// cannot be matched up (which should not happen), the scalar's own position
// is used.
func (r *reader) exprPos(v *yaml.Node, line, col int) (int, int) {
	value := []rune(v.Value)
	off := runeOffset(value, line, col)
	if l, c, ok := r.valuePos(v, value, off); ok {
		return l, c
	}
	return v.Line, v.Column
}

// runeOffset turns a 1-based line and 0-based column of value into an
// offset into value, at most len(value).
func runeOffset(value []rune, line, col int) int {
	off := 0
	for l := 1; l < line && off < len(value); off++ {
		if value[off] == '\n' {
			l++
		}
	}
	return min(off+max(col, 0), len(value))
}

// scalarCursor walks the source lines of a scalar: line is 1-based, col a
// 0-based rune index into the line, and col == len(line) is the line break.
type scalarCursor struct {
	r    *reader
	line int
	col  int
	text []rune
}

func (c *scalarCursor) setLine(line int) {
	c.line, c.col = line, 0
	c.text = []rune(c.r.lineText(line))
}

// eof reports whether the cursor is past the last line.
func (c *scalarCursor) eof() bool {
	return c.line > len(c.r.lines) || (c.line == len(c.r.lines) && c.col >= len(c.text))
}

// at returns the rune under the cursor, '\n' at the end of a line.
func (c *scalarCursor) at() rune {
	if c.col >= len(c.text) {
		return '\n'
	}
	return c.text[c.col]
}

// peek returns the rune after the cursor on the same line, or '\n'.
func (c *scalarCursor) peek() rune {
	if c.col+1 >= len(c.text) {
		return '\n'
	}
	return c.text[c.col+1]
}

func (c *scalarCursor) advance(n int) {
	for ; n > 0; n-- {
		if c.col >= len(c.text) {
			c.setLine(c.line + 1)
		} else {
			c.col++
		}
	}
}

// skipProperties skips an anchor (&a) or tag (!!str) written before the
// scalar, and the blanks after it: yaml.v3 places the node there.
func (c *scalarCursor) skipProperties() {
	for !c.eof() {
		switch ch := c.at(); {
		case ch == '&' || ch == '!':
			for !c.eof() && c.at() != ' ' && c.at() != '\t' && c.at() != '\n' {
				c.advance(1)
			}
		case ch == ' ' || ch == '\t' || ch == '\n':
			c.advance(1)
		default:
			return
		}
	}
}

// valuePos returns the file position of value[off]; off == len(value)
// means just after the last character of the value.
func (r *reader) valuePos(v *yaml.Node, value []rune, off int) (line, col int, ok bool) {
	if v.Line < 1 || v.Line > len(r.lines) || v.Column < 1 {
		return 0, 0, false
	}
	style := v.Style &^ yaml.TaggedStyle
	c := &scalarCursor{r: r}
	switch style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// Block scalar: the content starts on the line after the header.
		c.setLine(v.Line + 1)
	default:
		c.setLine(v.Line)
		c.col = v.Column - 1
		c.skipProperties()
		if style == yaml.DoubleQuotedStyle || style == yaml.SingleQuotedStyle {
			if c.eof() || (c.at() != '"' && c.at() != '\'') {
				return 0, 0, false
			}
			c.advance(1)
		}
	}
	if off >= len(value) {
		// Just after the last character that is not a line break.
		last := len(value) - 1
		for last >= 0 && value[last] == '\n' {
			last--
		}
		if last < 0 {
			return 0, 0, false
		}
		line, col, ok := r.valuePos(v, value, last)
		return line, col + 1, ok
	}
	for i := 0; i <= off; i++ {
		if !c.match(style, value[i]) {
			return 0, 0, false
		}
		if i == off {
			return c.line, c.col + 1, true
		}
		c.advance(c.width(style))
	}
	return 0, 0, false
}

// match moves the cursor to the source of want, skipping what YAML drops
// (indentation, folded line breaks, escaped line breaks), and reports
// whether it found it. The cursor is left on want's source; width gives
// how many runes that source takes.
func (c *scalarCursor) match(style yaml.Style, want rune) bool {
	for !c.eof() {
		ch := c.at()
		switch {
		case style == yaml.DoubleQuotedStyle && ch == '\\':
			if c.col+1 >= len(c.text) {
				// Escaped line break: the break and the next line's
				// leading blanks are dropped.
				c.setLine(c.line + 1)
				for c.col < len(c.text) && (c.text[c.col] == ' ' || c.text[c.col] == '\t') {
					c.col++
				}
				continue
			}
			got, _, ok := c.escape()
			return ok && got == want
		case style == yaml.SingleQuotedStyle && ch == '\'' && c.peek() == '\'':
			return want == '\''
		case ch == want:
			return true
		case ch == '\n' && (want == ' ' || want == '\u2028' || want == '\u2029'):
			// A line break folded into a space, or an LS or PS break,
			// which YAML keeps in the value.
			return true
		case ch == ' ' || ch == '\t' || ch == '\n':
			c.advance(1)
		default:
			return false
		}
	}
	return false
}

// width is the number of source runes of the value rune under the cursor.
func (c *scalarCursor) width(style yaml.Style) int {
	switch {
	case style == yaml.DoubleQuotedStyle && c.at() == '\\':
		if _, n, ok := c.escape(); ok {
			return n
		}
	case style == yaml.SingleQuotedStyle && c.at() == '\'' && c.peek() == '\'':
		return 2
	}
	return 1
}

// escape decodes the double-quoted escape sequence under the cursor,
// returning the rune it stands for and its length in source runes.
func (c *scalarCursor) escape() (rune, int, bool) {
	if c.col+1 >= len(c.text) {
		return 0, 0, false
	}
	simple := map[rune]rune{
		'0': 0, 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r',
		'e': 0x1b, ' ': ' ', '"': '"', '\'': '\'', '\\': '\\', '/': '/', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029,
	}
	e := c.text[c.col+1]
	if r, ok := simple[e]; ok {
		return r, 2, true
	}
	digits := map[rune]int{'x': 2, 'u': 4, 'U': 8}[e]
	if digits == 0 || c.col+2+digits > len(c.text) {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(string(c.text[c.col+2:c.col+2+digits]), 16, 32)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, 0, false
	}
	return rune(n), 2 + digits, true
}
