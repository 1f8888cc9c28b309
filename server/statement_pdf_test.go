package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/icomp/icomp/reports"
)

// TestStatementPDF: the statement page links its PDF; the download is
// the same file `icomp statement --format pdf --link-base URL` writes,
// with explanation links back to this server, as an attachment.
func TestStatementPDF(t *testing.T) {
	f := newFixture(t)
	page := "/statements/" + repPerson + "/" + quarter
	code, body, _ := f.do(t, "rep", "GET", page, nil)
	if code != http.StatusOK || !strings.Contains(body, `href="`+page+`/pdf"`) {
		t.Fatalf("statement page %d: no link to %s/pdf", code, page)
	}
	code, body, h := f.do(t, "rep", "GET", page+"/pdf", nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s/pdf: %d\n%.300s", page, code, body)
	}
	if got := h.Get("Content-Type"); got != "application/pdf" {
		t.Errorf("Content-Type %q, want application/pdf", got)
	}
	if got, want := h.Get("Content-Disposition"), `attachment; filename="statement-`+quarter+`-`+repPerson+`.pdf"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	st, err := reports.BuildStatement(context.Background(), f.st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := reports.WritePDF(&want, st, reports.PDFOptions{LinkBase: f.ts.URL}); err != nil {
		t.Fatal(err)
	}
	if body != want.String() {
		t.Errorf("the PDF served (%d bytes) differs from reports.WritePDF with LinkBase %s (%d bytes)", len(body), f.ts.URL, want.Len())
	}
}
