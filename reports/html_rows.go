package reports

import (
	"html/template"
	"strings"
)

// The parts of a statement's HTML that grow with its credited deals (a
// row per credit, a list item per step of a per-deal trace, a link per
// deal a line names) are written here rather than by the template: a
// template action costs a reflective call and an escaper per value, and
// a statement of 5,000 deals has some 50,000 of them. Every value goes
// through htmlText, which escapes exactly as html/template does in text
// and quoted attribute values (TestHTMLTextMatchesTemplate), so the page
// is byte for byte what the template wrote (testdata/statement.html).

// htmlText writes s escaped for HTML text or a quoted attribute value:
// html/template's own replacements (its htmlEscaper), NUL as U+FFFD.
func htmlText(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// htmlFragment writes s as the fragment of a URL in a quoted attribute
// (href="#…"), as html/template does: bytes other than letters, digits and
// -._~ percent-encoded. Anchors (idPart) never need it.
func htmlFragment(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// creditRows writes the rows of a plan's credited transactions, the first
// row of each transaction with its anchor (CreditAnchor), and returns the
// transactions credited.
func creditRows(ps PlanStatement) (template.HTML, map[string]bool) {
	credited := make(map[string]bool, len(ps.Credits))
	var b strings.Builder
	b.Grow(len(ps.Credits) * 160)
	for _, c := range ps.Credits {
		b.WriteString("\n<tr")
		if !credited[c.Txn] {
			credited[c.Txn] = true
			b.WriteString(` id="`)
			htmlText(&b, CreditAnchor(ps.Plan, c.Txn))
			b.WriteByte('"')
		}
		for _, cell := range [...]struct{ class, text string }{{"", c.Date}, {"", c.Txn}, {"", c.Rule}, {"", c.Type}, {"num", c.Share}} {
			if cell.class == "" {
				b.WriteString("><td>")
			} else {
				b.WriteString(`><td class="num">`)
			}
			htmlText(&b, cell.text)
			b.WriteString("</td")
		}
		b.WriteString(`><td class="num">`)
		htmlText(&b, moneyText(c.Amount, ps.Currency))
		b.WriteByte(' ')
		htmlText(&b, ps.Currency)
		if c.FX != nil {
			b.WriteString(`<br><span class="meta">converted: `)
			htmlText(&b, c.FX.String())
			b.WriteString("</span>")
		}
		b.WriteString("</td></tr>")
	}
	return template.HTML(b.String()), credited //nolint:gosec // every value escaped by htmlText
}

// traceItems writes a payout line's working as list items.
func traceItems(lines []string) template.HTML {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\n<li>")
		htmlText(&b, l)
		b.WriteString("</li>")
	}
	return template.HTML(b.String()) //nolint:gosec // every value escaped by htmlText
}

// txnLinks writes links to the rows of the plan's transactions txns,
// separated by commas.
func txnLinks(plan string, txns []string) template.HTML {
	var b strings.Builder
	for i, txn := range txns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`<a href="#`)
		htmlFragment(&b, CreditAnchor(plan, txn))
		b.WriteString(`">`)
		htmlText(&b, txn)
		b.WriteString("</a>")
	}
	return template.HTML(b.String()) //nolint:gosec // every value escaped by htmlText
}
