package sqlstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
)

// A credit summary line's credits are stored in one row of credit (schema
// v15): its line key and the credits as one JSON object of columns, each
// an array of strings in the credits' canonical order (ledger.SortCredits):
//
//	{"txn":["T1","T2"],"txn_hash":["…","…"],"rule":["owner","owner"],
//	 "date":["2027-01-05","2027-02-01"],"type":["new","new"],
//	 "share":["1","0.5"],"amount":["1000","250.5"]}
//
// Share and amount are decimal strings (exact). A row per line instead of
// a row per credit spares the database a million B-tree entries and an
// index over them per million credits; SQL still reads the columns
// (SQLite json_each(credits, '$.txn'), Postgres json_array_elements_text).

// PackColumns are the JSON columns of a credit pack, in the order they are
// written.
var PackColumns = [...]string{"txn", "txn_hash", "rule", "date", "type", "share", "amount"}

// CreditPacks groups credits by line key (in order of first appearance)
// and encodes each group, sorted with ledger.SortCredits, as its pack.
// Text that is not valid UTF-8 (which imports refuse) cannot be stored
// faithfully in JSON and is an error.
func CreditPacks(credits []ledger.Credit) (keys, packs []string, err error) {
	groups := map[string][]ledger.Credit{}
	for _, c := range credits {
		if _, ok := groups[c.LineKey]; !ok {
			keys = append(keys, c.LineKey)
		}
		groups[c.LineKey] = append(groups[c.LineKey], c)
	}
	packs = make([]string, len(keys))
	var buf []byte
	for i, k := range keys {
		cs := groups[k]
		if !slices.IsSortedFunc(cs, compareCredits) {
			slices.SortStableFunc(cs, compareCredits)
		}
		if buf, err = appendPack(buf[:0], cs); err != nil {
			return nil, nil, fmt.Errorf("credits of line %s: %w", k, err)
		}
		packs[i] = string(buf)
	}
	return keys, packs, nil
}

func compareCredits(a, b ledger.Credit) int {
	if c := strings.Compare(a.Txn, b.Txn); c != 0 {
		return c
	}
	return strings.Compare(a.Rule, b.Rule)
}

// appendPack appends the pack of cs to buf.
func appendPack(buf []byte, cs []ledger.Credit) ([]byte, error) {
	buf = append(buf, '{')
	for col, name := range PackColumns {
		if col > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, `":[`...)
		for i := range cs {
			if i > 0 {
				buf = append(buf, ',')
			}
			c := &cs[i]
			var s string
			switch col {
			case 0:
				s = c.Txn
			case 1:
				s = c.TxnHash
			case 2:
				s = c.Rule
			case 3:
				s = c.Date
			case 4:
				s = c.Type
			case 5:
				s = c.Share.String()
			case 6:
				s = c.Amount.String()
			}
			var err error
			if buf, err = appendJSONString(buf, s); err != nil {
				return nil, fmt.Errorf("%s of credit %q: %w", name, c.Txn, err)
			}
		}
		buf = append(buf, ']')
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, other text as is.
func appendJSONString(buf []byte, s string) ([]byte, error) {
	const hexDigits = "0123456789abcdef"
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%q is not valid UTF-8", s)
	}
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(append(buf, s[start:i]...), '\\', c)
		case c < 0x20:
			buf = append(append(buf, s[start:i]...), '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			continue
		}
		start = i + 1
	}
	return append(append(buf, s[start:]...), '"'), nil
}

// DecodeCreditPack decodes the pack of line key into its credits,
// appended to out.
func DecodeCreditPack(out []ledger.Credit, key, pack string) ([]ledger.Credit, error) {
	var cols [len(PackColumns)][]string
	if err := decodePack(pack, func(col int) bool { return true }, &cols); err != nil {
		return nil, fmt.Errorf("credits of line %s: %w", key, err)
	}
	n := len(cols[0])
	for i, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("credits of line %s: %d %s for %d transactions", key, len(c), PackColumns[i], n)
		}
	}
	for i := range n {
		c := ledger.Credit{LineKey: key, Txn: cols[0][i], TxnHash: cols[1][i], Rule: cols[2][i], Date: cols[3][i], Type: cols[4][i]}
		var err error
		if c.Share, err = decimal.NewFromString(cols[5][i]); err != nil {
			return nil, fmt.Errorf("credit %s of line %s: share %q: %w", c.Txn, key, cols[5][i], err)
		}
		if c.Amount, err = decimal.NewFromString(cols[6][i]); err != nil {
			return nil, fmt.Errorf("credit %s of line %s: amount %q: %w", c.Txn, key, cols[6][i], err)
		}
		out = append(out, c)
	}
	return out, nil
}

// packTxns calls fn with each transaction of a pack, in a string that
// shares the pack's memory (clone it to keep it).
func packTxns(pack string, fn func(txn string)) error {
	var cols [len(PackColumns)][]string
	if err := decodePack(pack, func(col int) bool { return col == 0 }, &cols); err != nil {
		return err
	}
	for _, t := range cols[0] {
		fn(t)
	}
	return nil
}

// decodePack reads a pack's JSON object into cols (by PackColumns), the
// columns want asks for; others are read past. Whitespace between tokens
// is allowed (Postgres writes some); unknown or repeated columns, or
// anything but arrays of strings, are errors.
func decodePack(s string, want func(col int) bool, cols *[len(PackColumns)][]string) error {
	p := packScanner{s: s}
	p.expect('{')
	seen := 0
	for first := true; p.err == nil; first = false {
		p.ws()
		if p.peek() == '}' {
			p.i++
			break
		}
		if !first {
			p.expect(',')
		}
		name := p.str(true)
		col := slices.Index(PackColumns[:], name)
		if p.err == nil && (col < 0 || seen&(1<<col) != 0) {
			return fmt.Errorf("credit pack: unexpected column %q", name)
		}
		seen |= 1 << max(col, 0)
		p.expect(':')
		p.expect('[')
		p.ws()
		if p.peek() == ']' {
			p.i++
			continue
		}
		keep := p.err == nil && want(col)
		for p.err == nil {
			v := p.str(keep)
			if keep {
				cols[col] = append(cols[col], v)
			}
			p.ws()
			if p.peek() == ']' {
				p.i++
				break
			}
			p.expect(',')
		}
	}
	if p.ws(); p.err == nil && p.i != len(s) {
		p.err = fmt.Errorf("text after the object at byte %d", p.i)
	}
	if p.err == nil && seen != 1<<len(PackColumns)-1 {
		p.err = fmt.Errorf("a column is missing (have %07b)", seen)
	}
	if p.err != nil {
		return fmt.Errorf("credit pack: %w", p.err)
	}
	return nil
}

type packScanner struct {
	s   string
	i   int
	err error
}

func (p *packScanner) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *packScanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *packScanner) expect(c byte) {
	if p.err != nil {
		return
	}
	p.ws()
	if p.peek() != c {
		p.err = fmt.Errorf("want %q at byte %d", c, p.i)
		return
	}
	p.i++
}

// str reads a JSON string; keep says whether its value is needed.
func (p *packScanner) str(keep bool) string {
	p.expect('"')
	if p.err != nil {
		return ""
	}
	start := p.i
	escaped := false
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			escaped = true
			p.i += 2
			continue
		case '"':
			p.i++
			if !keep {
				return ""
			}
			if !escaped {
				return p.s[start : p.i-1]
			}
			var v string
			if err := json.Unmarshal([]byte(p.s[start-1:p.i]), &v); err != nil {
				p.err = fmt.Errorf("string at byte %d: %w", start-1, err)
			}
			return v
		}
		p.i++
	}
	p.err = fmt.Errorf("unterminated string at byte %d", start-1)
	return ""
}
