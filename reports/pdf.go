package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/shopspring/decimal"
)

// PDFOptions says how WritePDF renders.
type PDFOptions struct {
	// LinkBase is put before the explanation links of payout lines
	// (ExplainHref); use the web server's address so the links work from
	// a downloaded file.
	LinkBase string
	// Created is the document's creation date. The zero value stands for
	// 2000-01-01 UTC so that the same statement gives the same bytes.
	Created time.Time
	// Uncompressed leaves the page streams readable (for tests and for
	// looking at the file); otherwise they are deflated.
	Uncompressed bool
}

// pdfSymbols spells the symbols of traces that Windows-1252 lacks.
var pdfSymbols = strings.NewReplacer("→", "->", "≥", ">=", "≤", "<=", "≠", "!=", "−", "-", "…", "...")

// pdfEpoch is the creation date written when PDFOptions.Created is zero.
var pdfEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	pdfMargin = 15.0 // mm
	pdfWidth  = 180  // A4 width less the margins, mm
	pdfLineH  = 5.0
)

// WritePDF writes the statement as an A4 PDF: the same content as
// WriteHTML, with each plan's attainment chart drawn as vector rectangles
// and lines. Text uses the PDF core fonts, so characters outside
// Windows-1252 (after spelling → as ->, ≥ as >= and so on) print as '.'.
func WritePDF(w io.Writer, s *Statement, opts PDFOptions) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opts.Uncompressed)
	created := opts.Created
	if created.IsZero() {
		created = pdfEpoch
	}
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfMargin)
	cp1252 := pdf.UnicodeTranslatorFromDescriptor("")
	tr := func(s string) string { return cp1252(pdfSymbols.Replace(s)) }
	title := statementTitle(s)
	pdf.SetTitle(tr("Statement for "+title+", "+s.Period), false)
	pdf.SetCreator("icomp", false)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, tr(fmt.Sprintf("%s, %s, page %d of {nb}", title, s.Period, pdf.PageNo())), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	p := &pdfWriter{pdf: pdf, tr: tr}

	p.font("B", 16)
	p.cell(0, 8, "Statement for "+title, 1, "")
	p.font("", 10)
	p.cell(0, pdfLineH, "Period "+s.Period, 1, "")
	pdf.Ln(2)

	p.heading("Summary")
	for _, ps := range s.Plans {
		p.moneyLine("Plan "+ps.Plan, moneyText(ps.Total, ps.Currency), ps.Currency, false)
	}
	for _, t := range s.Totals {
		p.moneyLine("Total earned in "+s.Period, moneyText(t.Amount, t.Currency), t.Currency, true)
	}
	pdf.Ln(2)
	p.subheading("Money for " + s.Period)
	for _, r := range moneyRows(s.Money) {
		p.moneyLine(r.Label, r.Amount, r.Currency, r.Total)
		if r.Note != "" {
			p.note(r.Note)
		}
	}

	for _, ps := range s.Plans {
		p.plan(s, ps, opts)
	}
	for _, sec := range extraSections(s) {
		p.heading(sec.Title)
		for _, row := range sec.Rows {
			var line string
			for i, c := range row {
				if i > 0 {
					line += "; "
				}
				line += sec.Columns[i] + ": " + c
			}
			p.font("", 9)
			pdf.MultiCell(0, 4.5, tr(line), "", "L", false)
		}
	}
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

type pdfWriter struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
}

func (p *pdfWriter) font(style string, size float64) { p.pdf.SetFont("Helvetica", style, size) }

func (p *pdfWriter) cell(w, h float64, text string, ln int, align string) {
	p.pdf.CellFormat(w, h, p.tr(text), "", ln, align, false, 0, "")
}

// room starts a new page unless h mm are left on this one.
func (p *pdfWriter) room(h float64) {
	_, pageH := p.pdf.GetPageSize()
	if p.pdf.GetY()+h > pageH-pdfMargin {
		p.pdf.AddPage()
	}
}

func (p *pdfWriter) heading(text string) {
	p.room(20)
	p.pdf.Ln(3)
	p.font("B", 13)
	p.cell(0, 7, text, 1, "")
	x, y := p.pdf.GetX(), p.pdf.GetY()
	p.pdf.SetDrawColor(43, 108, 176)
	p.pdf.Line(x, y, x+pdfWidth, y)
	p.pdf.SetDrawColor(0, 0, 0)
	p.pdf.Ln(1.5)
	p.font("", 10)
}

func (p *pdfWriter) subheading(text string) {
	p.room(15)
	p.pdf.Ln(1)
	p.font("B", 11)
	p.cell(0, 6, text, 1, "")
	p.font("", 10)
}

// moneyLine is a label with an amount and currency at the right.
func (p *pdfWriter) moneyLine(label, amount, currency string, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	p.font(style, 10)
	p.cell(120, pdfLineH, label, 0, "")
	p.cell(45, pdfLineH, amount, 0, "R")
	p.cell(15, pdfLineH, " "+currency, 1, "")
	p.font("", 10)
}

func (p *pdfWriter) note(text string) {
	p.font("", 8)
	p.pdf.SetTextColor(74, 85, 104)
	p.pdf.SetX(pdfMargin + 5)
	p.pdf.MultiCell(pdfWidth-5, 4, p.tr(text), "", "L", false)
	p.pdf.SetTextColor(0, 0, 0)
	p.font("", 10)
}

func (p *pdfWriter) plan(s *Statement, ps PlanStatement, opts PDFOptions) {
	pdf := p.pdf
	p.heading("Plan " + ps.Plan)
	p.font("", 9)
	p.cell(0, 4.5, fmt.Sprintf("Version %s, plan hash %s", ps.Version, short(ps.PlanHash)), 1, "")
	for _, l := range descriptionLines(ps.Description) {
		pdf.MultiCell(0, 4.5, p.tr(l), "", "L", false)
	}
	if c := attainmentChart(ps); c != nil {
		p.chart(c)
	}
	if len(ps.Measures) > 0 {
		p.subheading("Measures")
		p.font("", 9)
		for _, m := range ps.Measures {
			line := fmt.Sprintf("%s = %s  (%s %s..%s, %d credits)", m.Measure, m.Value, m.Window, m.From, m.To, m.Credits)
			if m.Target != "" {
				att := "n/a (target is 0)"
				if m.Attainment != "" {
					att = percent(m.Attainment)
				}
				line += fmt.Sprintf("; target %s, attainment %s", m.Target, att)
			}
			pdf.MultiCell(0, 4.5, p.tr(line), "", "L", false)
		}
	}
	credits := pdf.AddLink()
	// Each transaction a payout line names links to its first row.
	txnLinks := map[string]int{}
	credited := map[string]bool{}
	for _, c := range ps.Credits {
		credited[c.Txn] = true
	}
	p.subheading("Payouts")
	for _, po := range ps.Payouts {
		trace := TraceLines(po.Trace)
		p.room(pdfLineH*2 + 4)
		p.moneyLine(fmt.Sprintf("%s [%s]", po.Component, po.EarningCode), moneyText(po.Amount, po.Currency), po.Currency, true)
		p.font("", 8)
		for _, l := range trace {
			pdf.SetX(pdfMargin + 5)
			pdf.MultiCell(pdfWidth-5, 3.8, p.tr(l), "", "L", false)
		}
		if txns := lineTxns(po, credited); len(txns) > 0 {
			pdf.SetX(pdfMargin + 5)
			pdf.Write(3.8, "Deals: ")
			pdf.SetTextColor(43, 108, 176)
			for i, txn := range txns {
				if i > 0 {
					pdf.SetTextColor(0, 0, 0)
					pdf.Write(3.8, ", ")
					pdf.SetTextColor(43, 108, 176)
				}
				link, ok := txnLinks[txn]
				if !ok {
					link = pdf.AddLink()
					txnLinks[txn] = link
				}
				pdf.WriteLinkID(3.8, p.tr(txn), link)
			}
			pdf.SetTextColor(0, 0, 0)
			pdf.Ln(3.8)
		}
		pdf.SetX(pdfMargin + 5)
		pdf.SetTextColor(43, 108, 176)
		pdf.CellFormat(35, 4.5, "Explain this line", "", 0, "", false, 0, ExplainHref(opts.LinkBase, s.Person, s.Period, ps.Plan, po.Component))
		pdf.CellFormat(45, 4.5, "Credited transactions", "", 1, "", false, credits, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(1.5)
		p.font("", 10)
	}
	if len(ps.Reversed) > 0 {
		p.subheading("Reversed (no longer in force)")
		for _, l := range ps.Reversed {
			p.moneyLine(l.Subject+" taken back", moneyText(l.Amount.Neg(), l.Currency), l.Currency, false)
			p.note(l.Reason)
		}
	}
	pdf.Ln(1)
	p.moneyLine("Plan total", moneyText(ps.Total, ps.Currency), ps.Currency, true)

	p.subheading(fmt.Sprintf("Credited transactions (%d)", len(ps.Credits)))
	pdf.SetLink(credits, pdf.GetY()-6, pdf.PageNo())
	if len(ps.Credits) == 0 {
		return
	}
	widths := []float64{24, 36, 26, 26, 18, 50}
	row := func(style string, cells ...string) {
		p.font(style, 9)
		for i, c := range cells {
			align := ""
			if i >= 4 {
				align = "R"
			}
			ln := 0
			if i == len(cells)-1 {
				ln = 1
			}
			p.cell(widths[i], 4.5, c, ln, align)
		}
	}
	row("B", "date", "transaction", "rule", "type", "share", "amount")
	for _, c := range ps.Credits {
		if link, ok := txnLinks[c.Txn]; ok {
			pdf.SetLink(link, pdf.GetY(), pdf.PageNo())
			delete(txnLinks, c.Txn)
		}
		row("", c.Date, c.Txn, c.Rule, c.Type, c.Share, moneyText(c.Amount, ps.Currency)+" "+ps.Currency)
		if c.FX != nil {
			p.note("converted: " + c.FX.String())
		}
	}
	p.font("", 10)
}

// pxToMM scales the chart's pixel geometry to the page: 640 px is the
// text width. float64 appears here only, at the last step, for drawing.
func pxToMM(d decimal.Decimal) float64 {
	return d.Mul(decimal.NewFromInt(pdfWidth)).Div(chartWidth).InexactFloat64()
}

// chart draws an attainment chart with rectangles and lines.
func (p *pdfWriter) chart(c *chart) {
	pdf := p.pdf
	h := pxToMM(c.Height)
	p.room(h + 8)
	pdf.Ln(2)
	x0, y0 := pdf.GetX(), pdf.GetY()
	at := func(x, y decimal.Decimal) (float64, float64) { return x0 + pxToMM(x), y0 + pxToMM(y) }
	p.font("B", 9)
	p.cell(0, 4, c.Title, 1, "")
	pdf.SetDrawColor(74, 85, 104)
	lx, by := at(c.Left, c.Bottom)
	rx, _ := at(c.Right, c.Bottom)
	pdf.Line(lx, by, rx, by)
	_, ty := at(c.Left, c.TargetY)
	pdf.SetDrawColor(197, 48, 48)
	pdf.SetDashPattern([]float64{1.2, 0.9}, 0)
	pdf.Line(lx, ty, rx, ty)
	pdf.SetDashPattern([]float64{}, 0)
	pdf.SetDrawColor(0, 0, 0)
	p.font("", 7)
	pdf.SetTextColor(197, 48, 48)
	pdf.Text(lx-9, ty+1, "100%")
	pdf.SetTextColor(74, 85, 104)
	pdf.Text(lx-6, by+1, "0%")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFillColor(43, 108, 176)
	for _, b := range c.Bars {
		x, y := at(b.X, b.Y)
		if b.HasValue && b.H.IsPositive() {
			pdf.Rect(x, y, pxToMM(b.W), pxToMM(b.H), "F")
		}
		cx, _ := at(b.LabelX, b.Y)
		label := p.tr(b.Label)
		pdf.Text(cx-pdf.GetStringWidth(label)/2, y-1.5, label)
		name := p.tr(b.Measure)
		pdf.Text(cx-pdf.GetStringWidth(name)/2, by+5, name)
	}
	pdf.SetY(y0 + h + 2)
	p.font("", 10)
}
