package reports

import (
	"embed"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/statement.html.tmpl
var templateFS embed.FS

//go:embed templates/statement.css
var statementCSS string

// StatementCSS is the style sheet WriteHTML puts in a <style> element,
// scoped to .icomp-statement: a server whose Content-Security-Policy
// forbids inline styles serves it as a file and renders with
// HTMLOptions.NoStyle.
func StatementCSS() string { return statementCSS }

// statementTemplate renders a statement; html/template escapes every value
// for where it lands (text, attribute, URL).
var statementTemplate = template.Must(template.New("statement.html.tmpl").Funcs(template.FuncMap{
	"money":   moneyText,
	"percent": percent,
	"lines":   descriptionLines,
	"id":      idPart,
	"css":     func() template.CSS { return template.CSS(statementCSS) },
}).ParseFS(templateFS, "templates/statement.html.tmpl"))

// HTMLOptions says how WriteHTML renders.
type HTMLOptions struct {
	// LinkBase is put before the explanation links of payout lines
	// (ExplainHref): "" links relative to the site's root
	// ("/explain?person=…"), "https://icomp.example.com" absolutely.
	LinkBase string
	// Fragment writes only the statement's <article> (with its <style>),
	// to be placed inside a page layout; otherwise WriteHTML writes a
	// standalone document.
	Fragment bool
	// NoStyle leaves out the <style> element (StatementCSS), for a page
	// that links the style sheet instead.
	NoStyle bool
}

// htmlView is what the template reads.
type htmlView struct {
	Opts     HTMLOptions
	S        *Statement
	Title    string
	Plans    []htmlPlan
	Money    []moneyRow
	Sections []section
}

type htmlPlan struct {
	PlanStatement
	Chart         *chart
	CreditsAnchor string
	Total         string
	Payouts       []htmlPayout
	Reversed      []htmlLine
	// CreditRows are the rows of the credited transactions (creditRows).
	CreditRows template.HTML
}

type htmlPayout struct {
	StatementPayout
	Anchor  string
	Explain string
	Amount  string
	// TraceItems are the line's working (TraceLines), as list items.
	TraceItems template.HTML
	// TxnLinks link the credited transactions the line names to their
	// rows (CreditAnchor); empty when it names none.
	TxnLinks template.HTML
}

type htmlLine struct {
	StatementLine
	Amount string
}

// WriteHTML writes the statement as HTML: self-contained (inline CSS and
// SVG, no scripts), every value escaped. Each plan has an attainment
// chart; each payout line its working (TraceLines), an anchor
// (LineAnchor), a link to its explanation (ExplainHref) and to the plan's
// credited transactions.
func WriteHTML(w io.Writer, s *Statement, opts HTMLOptions) error {
	v := htmlView{Opts: opts, S: s, Title: statementTitle(s), Money: moneyRows(s.Money), Sections: extraSections(s)}
	for _, ps := range s.Plans {
		hp := htmlPlan{PlanStatement: ps, Chart: attainmentChart(ps), CreditsAnchor: CreditsAnchor(ps.Plan), Total: moneyText(ps.Total, ps.Currency)}
		var credited map[string]bool
		hp.CreditRows, credited = creditRows(ps)
		for _, p := range ps.Payouts {
			hp.Payouts = append(hp.Payouts, htmlPayout{StatementPayout: p, Anchor: LineAnchor(ps.Plan, p.Component),
				Explain: ExplainHref(opts.LinkBase, s.Person, s.Period, ps.Plan, p.Component),
				Amount:  moneyText(p.Amount, p.Currency), TraceItems: traceItems(TraceLines(p.Trace)),
				TxnLinks: txnLinks(ps.Plan, lineTxns(p, credited))})
		}
		for _, l := range ps.Reversed {
			hp.Reversed = append(hp.Reversed, htmlLine{StatementLine: l, Amount: moneyText(l.Amount.Neg(), l.Currency)})
		}
		v.Plans = append(v.Plans, hp)
	}
	return statementTemplate.Execute(w, v)
}

// WriteHTML writes the statement as a standalone HTML document with links
// relative to the site's root; see the function WriteHTML.
func (s *Statement) WriteHTML(w io.Writer) error { return WriteHTML(w, s, HTMLOptions{}) }

// descriptionLines splits a plan's description into paragraphs: lines
// wrapped in the YAML are joined, a blank line ends a paragraph and a line
// starting with "- " or "* " (a list item) starts one.
func descriptionLines(d string) []string {
	var out []string
	cur := ""
	flush := func() {
		if cur != "" {
			out = append(out, cur)
			cur = ""
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(d), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "* "):
			flush()
			cur = line
		case cur == "":
			cur = line
		default:
			cur += " " + line
		}
	}
	flush()
	return out
}
