package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// sampleStatement reads testdata/statement.json: two plans in two
// currencies (USD at 2 places, JPY at 0), an fx-converted credit, a gate
// not met, cumulative netting, a reversed line, an adjustment, a settled
// (capped) line, a prior-period line and a partial payment.
func sampleStatement(t *testing.T) *Statement {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "statement.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s Statement
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < max(len(w), len(g)); i++ {
			var wl, gl string
			if i < len(w) {
				wl = w[i]
			}
			if i < len(g) {
				gl = g[i]
			}
			if wl != gl {
				t.Fatalf("%s differs (go test -update rewrites it) at line %d:\n  got  %q\n  want %q", path, i+1, gl, wl)
			}
		}
	}
}

func TestWriteHTMLGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		golden string
		opts   HTMLOptions
	}{
		{"statement.html", HTMLOptions{}},
		{"statement.fragment.html", HTMLOptions{Fragment: true, LinkBase: "https://icomp.example.com/"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteHTML(&b, sampleStatement(t), tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, b.Bytes())
			out := b.String()
			standalone := strings.HasPrefix(out, "<!DOCTYPE html>")
			if standalone == tc.opts.Fragment {
				t.Errorf("Fragment %v, but the output starts %q", tc.opts.Fragment, out[:min(40, len(out))])
			}
			for _, want := range []string{
				"<style>",
				// Money at each currency's precision, with its currency.
				"7465.00 USD", "36000 JPY", "-120.50", "Not yet paid</td><td class=\"num\">6189.75</td><td>USD",
				// Each payout line: anchor, explanation, credits.
				`id="line-ae-2027..commission"`,
				`href="` + strings.TrimRight(tc.opts.LinkBase, "/") + `/explain?person=ae-7&amp;period=2027-Q1&amp;plan=ae-2027&amp;component=commission"`,
				`href="#credits-ae-2027"`, `id="credits-ae-2027"`,
				`id="line-jp.20spiff..spiff"`, `plan=jp&#43;spiff`,
				// A per-deal line links to its deals' rows.
				`Deals: <a href="#txn-jp.20spiff..J1">J1</a>`, `<tr id="txn-jp.20spiff..J1">`, `<tr id="txn-ae-2027..T002">`,
				// The working, fx, reversed, prior period.
				"tier 2 (from 80000 and up): 11000 × 0.12 = 1320",
				"less 255 paid earlier this fiscal year = 7465",
				"gate attainment.new_logos &gt;= 1: NOT met: pays 0",
				"converted: 50000 GBP × 1.22 (GBP→USD, 2027-02) = 61000 USD",
				"old_spiff", "-250.00", "Prior period 2026-Q4", "capped by policy max-total at 7000",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			if strings.Contains(out, "<script") {
				t.Error("a statement has no scripts")
			}
			// NoStyle leaves the style sheet to the page.
			var bare bytes.Buffer
			opts := tc.opts
			opts.NoStyle = true
			if err := WriteHTML(&bare, sampleStatement(t), opts); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(bare.String(), "<style>") || !strings.Contains(out, "<style>\n"+StatementCSS()+"</style>") ||
				strings.Replace(out, "<style>\n"+StatementCSS()+"</style>", "", 1) != bare.String() {
				t.Error("NoStyle should leave out the <style> element and nothing else")
			}
		})
	}
}

var rectRE = regexp.MustCompile(`<rect x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)" fill="[^"]*" data-measure="([^"]*)" data-attainment="([-0-9.]+)"/>`)

// TestChartBarsProportional checks that every bar's height is its
// attainment times the same scale (to the 0.01 px the geometry is printed
// at), that bars stand on the baseline, and that a measure whose target
// is 0 draws no bar.
func TestChartBarsProportional(t *testing.T) {
	t.Parallel()
	ratios := []string{"0.5", "1", "2.7", "-0.2", "0.0001", "1.1483358"}
	ps := PlanStatement{Plan: "p"}
	for i, r := range ratios {
		ps.Measures = append(ps.Measures, StatementMeasure{Measure: fmt.Sprintf("m%d", i), Target: "100", Attainment: r})
	}
	ps.Measures = append(ps.Measures, StatementMeasure{Measure: "zero_target", Target: "0"}, StatementMeasure{Measure: "no_target"})
	var b bytes.Buffer
	if err := WriteHTML(&b, &Statement{Person: "x", Period: "2027-Q1", Plans: []PlanStatement{ps}}, HTMLOptions{Fragment: true}); err != nil {
		t.Fatal(err)
	}
	rects := rectRE.FindAllStringSubmatch(b.String(), -1)
	if len(rects) != len(ratios) {
		t.Fatalf("%d bars, want %d (one per measure with an attainment):\n%s", len(rects), len(ratios), b.String())
	}
	// The scale: the highest attainment, 2.7, rounded up to 3.0, is the
	// plot's full 160 px.
	pxPerRatio := decimal.NewFromInt(160).Div(decimal.NewFromInt(3))
	bottom := decimal.NewFromInt(184)
	tolerance := decimal.RequireFromString("0.005")
	for i, m := range rects {
		y, h := decimal.RequireFromString(m[2]), decimal.RequireFromString(m[4])
		r := decimal.RequireFromString(m[6])
		if m[6] != ratios[i] || m[5] != fmt.Sprintf("m%d", i) {
			t.Errorf("bar %d is %s at %s, want m%d at %s", i, m[5], m[6], i, ratios[i])
		}
		want := decimal.Max(r, decimal.Zero).Mul(pxPerRatio)
		if h.Sub(want).Abs().GreaterThan(tolerance) {
			t.Errorf("bar %s (attainment %s) is %s px high, want %s", m[5], r, h, want.StringFixed(3))
		}
		if !y.Add(h).Equal(bottom) {
			t.Errorf("bar %s spans y %s..%s, want it to end on the baseline %s", m[5], y, y.Add(h), bottom)
		}
	}
	svg := b.String()[strings.Index(b.String(), "<svg"):strings.Index(b.String(), "</svg>")]
	if !strings.Contains(svg, "zero_target: n/a of target") || strings.Contains(svg, "no_target") {
		t.Errorf("a zero target shows n/a without a bar; a measure without a target is not charted:\n%s", b.String())
	}
	// Accessible: the svg is an image named by its title and description.
	for _, want := range []string{`role="img"`, `aria-labelledby="chart-p-title chart-p-desc"`, `<title id="chart-p-title">`,
		`<desc id="chart-p-desc">m0 50.00% of target 100; m1 100.00% of target 100; m2 270.00% of target 100;`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

// TestHTMLEscapes checks that names, reasons and ids from the data cannot
// inject markup or break out of attributes and URLs.
func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	s := sampleStatement(t)
	s.Name = `<script>alert("name")</script>`
	s.Person = `p"><script>alert(1)</script>`
	s.Plans[0].Plan = `x" onmouseover="alert(2)`
	s.Plans[0].Payouts[0].Component = `<img src=x onerror=alert(3)>`
	s.Plans[0].Credits[0].Txn = `</td><script>alert(4)</script>`
	s.Money.Adjustments[0].Reason = `<iframe src="javascript:alert(5)">`
	for _, fragment := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteHTML(&b, s, HTMLOptions{Fragment: fragment, LinkBase: `javascript:alert(6)//`}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"<script", "<img", "<iframe", `" onmouseover=`, "href=\"javascript:"} {
			if strings.Contains(out, bad) {
				t.Errorf("fragment %v: output contains %q", fragment, bad)
			}
		}
		for _, want := range []string{"&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(3)&gt;", "&lt;iframe"} {
			if !strings.Contains(out, want) {
				t.Errorf("fragment %v: output lacks the escaped %q", fragment, want)
			}
		}
	}
}

type fakeDispute struct {
	ID     int64           `json:"id"`
	Line   string          `json:"line"`
	State  string          `json:"state"`
	Amount decimal.Decimal `json:"amount"`
	// Currency makes Amount print at the currency's precision.
	Currency string   `json:"currency"`
	Note     *string  `json:"note,omitempty"`
	Tags     []string `json:"tags"`
}

// statementWithMore is Statement as it may look after a merge: with
// disputes and, in the money, draws.
type statementWithMore struct {
	Person   string        `json:"person"`
	Plans    []string      `json:"plans"`
	Disputes []fakeDispute `json:"disputes"`
	Empty    []fakeDispute `json:"empty"`
	Money    struct {
		Earned []CurrencyTotal  `json:"earned"`
		Draws  []StatementLine  `json:"draws"`
		Held   *decimal.Decimal `json:"held"`
	} `json:"money"`
}

// TestExtraSections checks that fields the renderers do not know, such as
// disputes, are shown as tables rather than dropped.
func TestExtraSections(t *testing.T) {
	t.Parallel()
	note := "<b>resolved</b>"
	v := statementWithMore{Person: "ae-1", Plans: []string{"p"},
		Disputes: []fakeDispute{{ID: 7, Line: "p/commission", State: "open", Amount: decimal.RequireFromString("12.5"), Currency: "USD", Note: &note, Tags: []string{"a", "b"}}}}
	v.Money.Draws = []StatementLine{{Earned: "2027-Q1", Subject: "draw", Amount: decimal.NewFromInt(-500), Currency: "JPY", Reason: "recoverable draw"}}
	got := extraSections(v)
	want := []section{
		{Title: "Disputes", Columns: []string{"Id", "Line", "State", "Amount", "Currency", "Note", "Tags"},
			Rows: [][]string{{"7", "p/commission", "open", "12.50", "USD", "<b>resolved</b>", "a; b"}}},
		{Title: "Draws", Columns: []string{"Earned period", "Plan", "Subject", "Amount", "Currency", "Reason"},
			Rows: [][]string{{"2027-Q1", "", "draw", "-500", "JPY", "recoverable draw"}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("extraSections:\n got %+v\nwant %+v", got, want)
	}
	// The HTML shows them, escaped.
	var b bytes.Buffer
	view := htmlView{S: &Statement{Person: "ae-1", Period: "2027-Q1"}, Title: "ae-1", Sections: got}
	if err := statementTemplate.Execute(&b, view); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Disputes</h2>", "<td>p/commission</td>", "&lt;b&gt;resolved&lt;/b&gt;", "<h2>Draws</h2>", "<td>-500</td>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// The statement of today has no field the renderers do not know.
	if s := extraSections(sampleStatement(t)); len(s) != 0 {
		t.Errorf("Statement has fields the renderers do not draw: %+v (draw them, or accept the generic table)", s)
	}
}

func TestWritePDF(t *testing.T) {
	t.Parallel()
	long := sampleStatement(t)
	for i := 0; i < 200; i++ {
		long.Plans[1].Credits = append(long.Plans[1].Credits, StatementCredit{Txn: fmt.Sprintf("J%03d", i+2), Date: "2027-02-02", Rule: "owner", Share: "1", Amount: decimal.NewFromInt(1000)})
	}
	for _, tc := range []struct {
		name         string
		s            *Statement
		uncompressed bool
		pages        int
	}{
		{"sample", sampleStatement(t), true, 3},
		{"sample deflated", sampleStatement(t), false, 3},
		{"200 more credits", long, false, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WritePDF(&b, tc.s, PDFOptions{Uncompressed: tc.uncompressed, LinkBase: "https://icomp.example.com"}); err != nil {
				t.Fatal(err)
			}
			text, pages, err := PDFText(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if pages != tc.pages {
				t.Errorf("%d pages, want %d", pages, tc.pages)
			}
			for _, want := range []string{
				"Statement for Zoë O'Neil (ae-7)", "Period 2027-Q1",
				fmt.Sprintf("Zoë O'Neil (ae-7), 2027-Q1, page %d of %d", pages, pages),
				"Total earned in 2027-Q1", "7465.00", "36000", "Not yet paid", "6189.75",
				"commission [COMM]", "tier 2 (from 80000 and up): 11000 × 0.12 = 1320",
				"converted: 50000 GBP × 1.22 (GBP->USD, 2027-02) = 61000 USD",
				"Attainment against target, plan ae-2027", "113.75%", "25.00%", "n/a",
				"Deals: \nJ1\n",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q:\n%s", want, text)
				}
			}
			// The links: explanation (URI) and credits (internal).
			if !bytes.Contains(b.Bytes(), []byte("/URI (https://icomp.example.com/explain?person=ae-7&period=2027-Q1&plan=ae-2027&component=commission)")) {
				t.Error("PDF lacks the explanation link of the commission line")
			}
			// The chart is vector: filled rectangles, no image.
			if bytes.Contains(b.Bytes(), []byte("/Subtype /Image")) {
				t.Error("PDF has a raster image")
			}
			// Same statement, same bytes.
			var again bytes.Buffer
			if err := WritePDF(&again, tc.s, PDFOptions{Uncompressed: tc.uncompressed, LinkBase: "https://icomp.example.com"}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Error("two renderings of one statement differ")
			}
		})
	}
}

// TestWritePDFBarsProportional reads the chart's filled rectangles from
// the page stream: heights in proportion to attainment.
func TestWritePDFBarsProportional(t *testing.T) {
	t.Parallel()
	ps := PlanStatement{Plan: "p", Measures: []StatementMeasure{
		{Measure: "a", Target: "1", Attainment: "0.5"}, {Measure: "b", Target: "1", Attainment: "1.5"}, {Measure: "c", Target: "1", Attainment: "0.75"}}}
	var b bytes.Buffer
	if err := WritePDF(&b, &Statement{Person: "x", Period: "2027-Q1", Plans: []PlanStatement{ps}}, PDFOptions{Uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`([-0-9.]+) ([-0-9.]+) ([-0-9.]+) ([-0-9.]+) re f`)
	var hs []decimal.Decimal
	for _, m := range re.FindAllSubmatch(b.Bytes(), -1) {
		hs = append(hs, decimal.RequireFromString(string(m[4])).Abs())
	}
	if len(hs) != 3 {
		t.Fatalf("%d filled rectangles, want 3 bars:\n%s", len(hs), b.String())
	}
	// b is 3 × a and c 1.5 × a, to the PDF's 0.01 pt.
	for i, want := range []string{"3", "1.5"} {
		ratio := hs[i+1].Div(hs[0])
		if ratio.Sub(decimal.RequireFromString(want)).Abs().GreaterThan(decimal.RequireFromString("0.001")) {
			t.Errorf("bar %d is %s × the first, want %s (heights %v)", i+1, ratio, want, hs)
		}
	}
}

func TestDescriptionLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"One paragraph\nwrapped in YAML.\n", []string{"One paragraph wrapped in YAML."}},
		{"Managers, paid on their team.\n- override: 5%\n  of the team's commission\n- bonus: 10,000\n\nAfter a blank line.",
			[]string{"Managers, paid on their team.", "- override: 5% of the team's commission", "- bonus: 10,000", "After a blank line."}},
	} {
		if got := descriptionLines(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("descriptionLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// bigStatement is the sample statement with 5,000 more credited deals.
func bigStatement(b *testing.B) *Statement {
	data, err := os.ReadFile(filepath.Join("testdata", "statement.json"))
	if err != nil {
		b.Fatal(err)
	}
	var s Statement
	if err := json.Unmarshal(data, &s); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		s.Plans[0].Credits = append(s.Plans[0].Credits, StatementCredit{Txn: fmt.Sprintf("T%05d", i+10), Date: "2027-02-02", Type: "new", Rule: "owner", Share: "1",
			Amount: decimal.New(int64(100000+i), -2)})
	}
	return &s
}

// BenchmarkWriteHTML5000 and BenchmarkWritePDF5000 time a statement with
// 5,000 credited deals (issue 11 asks for the render time).
func BenchmarkWriteHTML5000(b *testing.B) {
	s := bigStatement(b)
	for b.Loop() {
		if err := WriteHTML(io.Discard, s, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWritePDF5000(b *testing.B) {
	s := bigStatement(b)
	for b.Loop() {
		if err := WritePDF(io.Discard, s, PDFOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderMinimal renders a statement with no plan, only a prior-period
// line posted into the period (a person whose plan ended), and no name.
func TestRenderMinimal(t *testing.T) {
	t.Parallel()
	s := &Statement{Person: "ae-9", Period: "2027-Q2", Money: MoneyMoved{
		PriorPeriod: []StatementLine{{Earned: "2027-Q1", Plan: "ae-2027", Subject: "commission", Amount: decimal.RequireFromString("-80.5"), Currency: "USD", Reason: "deal T7 cancelled"}},
		Payable:     []CurrencyTotal{{Currency: "USD", Amount: decimal.RequireFromString("-80.5")}},
	}}
	var h bytes.Buffer
	if err := WriteHTML(&h, s, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Statement for ae-9</h1>", "Prior period 2027-Q1", "-80.50", "deal T7 cancelled"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h.String(), "<svg") {
		t.Error("a statement without measures has no chart")
	}
	var p bytes.Buffer
	if err := WritePDF(&p, s, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	text, pages, err := PDFText(p.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if pages != 1 || !strings.Contains(text, "Statement for ae-9") || !strings.Contains(text, "-80.50") {
		t.Errorf("%d pages, text:\n%s", pages, text)
	}
}
