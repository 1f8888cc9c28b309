package imports

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input limits. Each is checked on the raw text before the value is parsed,
// so an absurd value (a 10 MB amount) is refused at once with a located
// problem instead of being parsed, stored or echoed.
const (
	// LineBytesMax bounds one line of a file: a JSON Lines object, or a
	// physical line of a CSV file (a quoted field may span lines).
	LineBytesMax = 1 << 20
	// IDBytesMax bounds an id: of a person, transaction, owner, manager or
	// split person.
	IDBytesMax = 128
	// AmountBytesMax bounds an amount's text, sign and point included: no
	// sales amount or target needs more.
	AmountBytesMax = 30
	// SplitsBytesMax bounds a transaction's whole split list
	// (PERSON:SHARE;PERSON:SHARE…, or its JSON list in that form).
	SplitsBytesMax = 4096
	// AttrValueBytesMax bounds one attribute value.
	AttrValueBytesMax = 1024
	// HeaderNameBytesMax bounds a CSV column name or a JSON Lines key,
	// attr.NAME columns and attrs names included.
	HeaderNameBytesMax = 128
	// TextBytesMax bounds every other field: names, roles, territories,
	// types, products, plan lists, measure and target plan names, dates,
	// periods and currencies.
	TextBytesMax = 1024
	// EchoBytesMax bounds how much of a refused value a problem repeats;
	// longer values are cut, and marked so with "…".
	EchoBytesMax = 40
	// problemMsgBytesMax is the last guard on a problem's message: no
	// message of ours is this long unless it echoes input.
	problemMsgBytesMax = 1024
)

// fieldBytesMax returns the limit for a field of a row.
func fieldBytesMax(field string) int {
	switch field {
	case "id", "owner", "manager", "person":
		return IDBytesMax
	case "amount":
		return AmountBytesMax
	case "splits":
		return SplitsBytesMax
	default:
		return TextBytesMax
	}
}

// echo quotes a value for a problem message, cut to EchoBytesMax bytes.
func echo(s string) string {
	if len(s) <= EchoBytesMax {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s, EchoBytesMax)) + "…"
}

// cut returns at most n bytes of s, not splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// tooLong is the problem message for a value over its limit.
func tooLong(v string, limit int) string {
	return fmt.Sprintf("%s is %d bytes long; the limit is %d bytes", echo(v), len(v), limit)
}

// lengthProblems reports every field and attribute of rec over its limit.
// It returns true when there is one: such a row is not parsed further.
func lengthProblems(rec record, probs *problems) bool {
	// Most rows have none: look before sorting the names.
	over := false
	for k, v := range rec.fields {
		over = over || len(v) > fieldBytesMax(k)
	}
	for _, v := range rec.attrs {
		over = over || len(v) > AttrValueBytesMax
	}
	if !over {
		return false
	}
	before := probs.n
	for _, k := range sortedKeys(rec.fields) {
		if v := rec.fields[k]; len(v) > fieldBytesMax(k) {
			probs.add(rec.line, k, "%s", tooLong(v, fieldBytesMax(k)))
		}
	}
	for _, k := range sortedKeys(rec.attrs) {
		if v := rec.attrs[k]; len(v) > AttrValueBytesMax {
			probs.add(rec.line, "attr."+k, "%s", tooLong(v, AttrValueBytesMax))
		}
	}
	return probs.n > before
}

var exponentRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+$`)

// exponentProblem returns a problem message when a number is written with
// an exponent (1e5), which icomp refuses everywhere: written out, every
// digit of an amount is visible and its size is bounded by its length.
// example is a number of the kind wanted, for the message.
func exponentProblem(v, example string) string {
	// Without an e there is no exponent: most values skip the expression.
	if !strings.ContainsAny(v, "eE") || !exponentRE.MatchString(v) {
		return ""
	}
	return fmt.Sprintf("%s uses exponent notation; write the number out in digits, such as %s", echo(v), example)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
