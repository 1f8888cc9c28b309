package sqlstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
)

// A credit summary line's credits are stored in one row of credit (schema
// v15): its line key, the credited transactions as a JSON array (txns),
// and the credits' other fields as a JSON object of columns (credits),
// each an array of strings in the same order, the credits' canonical one
// (ledger.SortCredits):
//
//	txns:    ["T1","T2"]
//	credits: {"txn_hash":["…","…"],"rule":["owner","owner"],
//	          "date":["2027-01-05","2027-02-01"],"type":["new","new"],
//	          "share":["1","0.5"],"amount":["1000","250.5"]}
//
// Share and amount are decimal strings (exact). A row per line instead of
// a row per credit spares the database a million B-tree entries and an
// index over them per million credits. The transactions have a column of
// their own because the uncredited report reads only them (SQLite
// json_each(txns), Postgres json_array_elements_text(txns::json)).

// PackColumns are the JSON columns of a credit pack, in the order they are
// written.
var PackColumns = [...]string{"txn_hash", "rule", "date", "type", "share", "amount"}

// CreditPacks groups credits by line key (in order of first appearance)
// and encodes each group, sorted with ledger.SortCredits, as its
// transactions and pack. Text that is not valid UTF-8 (which imports
// refuse) cannot be stored faithfully in JSON and is an error.
func CreditPacks(credits []ledger.Credit) (keys, txns, packs []string, err error) {
	groups := map[string][]ledger.Credit{}
	for _, c := range credits {
		if _, ok := groups[c.LineKey]; !ok {
			keys = append(keys, c.LineKey)
		}
		groups[c.LineKey] = append(groups[c.LineKey], c)
	}
	txns = make([]string, len(keys))
	packs = make([]string, len(keys))
	var buf []byte
	for i, k := range keys {
		cs := groups[k]
		if !slices.IsSortedFunc(cs, ledger.CompareCredits) {
			ledger.SortCredits(cs)
		}
		if buf, err = appendColumn(buf[:0], cs, func(c *ledger.Credit) string { return c.Txn }); err != nil {
			return nil, nil, nil, fmt.Errorf("credits of line %s: txn: %w", k, err)
		}
		txns[i] = string(buf)
		if buf, err = appendPack(buf[:0], cs); err != nil {
			return nil, nil, nil, fmt.Errorf("credits of line %s: %w", k, err)
		}
		packs[i] = string(buf)
	}
	return keys, txns, packs, nil
}

// appendPack appends the pack of cs (every column but the transactions)
// to buf.
func appendPack(buf []byte, cs []ledger.Credit) ([]byte, error) {
	fields := [len(PackColumns)]func(c *ledger.Credit) string{
		func(c *ledger.Credit) string { return c.TxnHash },
		func(c *ledger.Credit) string { return c.Rule },
		func(c *ledger.Credit) string { return c.Date },
		func(c *ledger.Credit) string { return c.Type },
		func(c *ledger.Credit) string { return c.Share.String() },
		func(c *ledger.Credit) string { return c.Amount.String() },
	}
	buf = append(buf, '{')
	for col, name := range PackColumns {
		if col > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, `":`...)
		var err error
		if buf, err = appendColumn(buf, cs, fields[col]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return append(buf, '}'), nil
}

// appendColumn appends the JSON array of field of each of cs to buf.
func appendColumn(buf []byte, cs []ledger.Credit, field func(c *ledger.Credit) string) ([]byte, error) {
	buf = append(buf, '[')
	for i := range cs {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendJSONString(buf, field(&cs[i])); err != nil {
			return nil, fmt.Errorf("credit of %q: %w", cs[i].Txn, err)
		}
	}
	return append(buf, ']'), nil
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

// DecodeCreditPack decodes the transactions and pack of line key into
// its credits, appended to out.
func DecodeCreditPack(out []ledger.Credit, key, txns, pack string) ([]ledger.Credit, error) {
	ids, err := decodeStrings(txns, true, nil)
	if err != nil {
		return nil, fmt.Errorf("credits of line %s: txns: %w", key, err)
	}
	var cols [len(PackColumns)][]string
	if err := decodePack(pack, &cols); err != nil {
		return nil, fmt.Errorf("credits of line %s: %w", key, err)
	}
	for i, c := range cols {
		if len(c) != len(ids) {
			return nil, fmt.Errorf("credits of line %s: %d %s for %d transactions", key, len(c), PackColumns[i], len(ids))
		}
	}
	for i, id := range ids {
		c := ledger.Credit{LineKey: key, Txn: id, TxnHash: cols[0][i], Rule: cols[1][i], Date: cols[2][i], Type: cols[3][i]}
		var err error
		if c.Share, err = decimal.NewFromString(cols[4][i]); err != nil {
			return nil, fmt.Errorf("credit %s of line %s: share %q: %w", c.Txn, key, cols[4][i], err)
		}
		if c.Amount, err = decimal.NewFromString(cols[5][i]); err != nil {
			return nil, fmt.Errorf("credit %s of line %s: amount %q: %w", c.Txn, key, cols[5][i], err)
		}
		out = append(out, c)
	}
	return out, nil
}

// decodeStrings reads a JSON array of strings, appending them to out when
// keep says so. The strings share s's memory unless they had escapes.
func decodeStrings(s string, keep bool, out []string) ([]string, error) {
	p := packScanner{s: s}
	out = p.strings(keep, out)
	if p.ws(); p.err == nil && p.i != len(s) {
		p.err = fmt.Errorf("text after the array at byte %d", p.i)
	}
	if p.err != nil {
		return nil, p.err
	}
	return out, nil
}

// decodePack reads a pack's JSON object into cols (by PackColumns).
// Whitespace between tokens is allowed (Postgres writes some); unknown,
// missing or repeated columns, or anything but arrays of strings, are
// errors.
func decodePack(s string, cols *[len(PackColumns)][]string) error {
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
		if p.err == nil {
			cols[col] = p.strings(true, cols[col])
		}
	}
	if p.ws(); p.err == nil && p.i != len(s) {
		p.err = fmt.Errorf("text after the object at byte %d", p.i)
	}
	if p.err == nil && seen != 1<<len(PackColumns)-1 {
		p.err = fmt.Errorf("a column is missing (have %06b)", seen)
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

// strings reads a JSON array of strings, appending them to out when keep
// says so.
func (p *packScanner) strings(keep bool, out []string) []string {
	p.expect('[')
	p.ws()
	if p.err != nil || p.peek() == ']' {
		p.i++
		return out
	}
	for p.err == nil {
		v := p.str(keep)
		if keep && p.err == nil {
			out = append(out, v)
		}
		p.ws()
		if p.peek() == ']' {
			p.i++
			break
		}
		p.expect(',')
	}
	return out
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
