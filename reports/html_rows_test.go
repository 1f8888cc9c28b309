package reports

import (
	"html/template"
	"strings"
	"testing"
)

// TestHTMLTextMatchesTemplate: htmlText and htmlFragment escape exactly
// as html/template does in HTML text, a quoted attribute value and a URL
// fragment, so the statement rows written in Go are what the template
// wrote.
func TestHTMLTextMatchesTemplate(t *testing.T) {
	t.Parallel()
	tmpl := template.Must(template.New("t").Parse(`<p id="{{.}}">{{.}}</p><a href="#{{.}}">x</a>`))
	for _, s := range []string{
		"", "plain", "T-0001_a.b~c", `<script>alert("x")</script>`, `a & b 'c' "d" +e`, "nul\x00byte", "tab\tnew\nline",
		"héllo → ≥ 1,000.00 €", "bad \xff\xfe utf-8", "%41 50% #frag ?q=1 /path", "`backtick` =eq", "\uFFFD\uFDD0\uFFFF",
	} {
		var want strings.Builder
		if err := tmpl.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		got.WriteString(`<p id="`)
		htmlText(&got, s)
		got.WriteString(`">`)
		htmlText(&got, s)
		got.WriteString(`</p><a href="#`)
		htmlFragment(&got, s)
		got.WriteString(`">x</a>`)
		if got.String() != want.String() {
			t.Errorf("%q:\n got  %s\n want %s", s, got.String(), want.String())
		}
	}
}
