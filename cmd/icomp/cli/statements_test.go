package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/icomp/icomp/reports"
)

// TestStatementHTMLGolden renders the fixture's statements as HTML pages.
func TestStatementHTMLGolden(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	for _, person := range []string{"ae-1", "ae-2"} {
		r := mustIcomp(t, "--db", db, "statement", "--person", person, "--period", "2027-Q1", "--format", "html")
		golden := filepath.Join("testdata", "statement", person+".html.golden")
		if *update {
			if err := os.WriteFile(golden, []byte(r.out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if r.out != string(want) {
			t.Errorf("HTML statement for %s differs from %s (go test -update rewrites it):\n%s", person, golden, lineDiff(string(want), r.out))
		}
	}
	// --link-base makes the explanation links absolute.
	r := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "html", "--link-base", "https://icomp.example.com/")
	if !strings.Contains(r.out, `<a href="https://icomp.example.com/explain?person=ae-1&amp;period=2027-Q1&amp;plan=golden-ae&amp;component=commission">`) {
		t.Errorf("--link-base: no absolute explanation link:\n%s", r.out)
	}
	if r := icomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "docx"); r.code != ExitUsage || !strings.Contains(r.errOut, "want text, json, html or pdf") {
		t.Fatalf("statement --format docx: %s", r)
	}
}

// TestStatementPDF checks the PDF statement's structure: a PDF of one
// page showing the person's name and the totals the text statement shows.
func TestStatementPDF(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	r := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "pdf")
	text, pages, err := reports.PDFText([]byte(r.out))
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 {
		t.Errorf("%d pages, want 2", pages)
	}
	for _, want := range []string{"Statement for Ana Lopez (ae-1)", "Total earned in 2027-Q1", "16620.03", "9780.03", "Not yet paid",
		"tier 2 (from 100000 to 150000): 14833.58 × 0.12 = 1780.0296", "T006"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	// Same data, same bytes.
	if again := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "pdf"); again.out != r.out {
		t.Error("two PDF renderings of one statement differ")
	}
}

// TestExportStatements writes a statement file per person with lines in
// the period, and refuses to overwrite any.
func TestExportStatements(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	dir := filepath.Join(t.TempDir(), "statements")
	r := mustIcomp(t, "--db", db, "export", "statements", "--period", "2027-Q1", "--dir", dir, "--format", "html,pdf")
	// The fixture's people with lines in 2027-Q1: ae-1 and ae-2 (their
	// manager mgr-1 has no plan).
	var want []string
	for _, p := range []string{"ae-1", "ae-2"} {
		for _, ext := range []string{"html", "pdf"} {
			want = append(want, "statement-2027-Q1-"+p+"."+ext)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if !strings.HasSuffix(r.out, "wrote 4 file(s): statements of 2 people for 2027-Q1 in "+dir+"\n") || !strings.Contains(r.out, filepath.Join(dir, "statement-2027-Q1-ae-2.pdf")+"\n") {
		t.Errorf("summary:\n%s", r.out)
	}
	// Each file is the statement command's output.
	html, err := os.ReadFile(filepath.Join(dir, "statement-2027-Q1-ae-1.html"))
	if err != nil {
		t.Fatal(err)
	}
	if single := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "html").out; string(html) != single {
		t.Error("the exported HTML differs from icomp statement --format html")
	}

	// Again into the same directory: refused, nothing changed. One file
	// existing is enough to refuse, even if the others are new.
	if err := os.Remove(filepath.Join(dir, "statement-2027-Q1-ae-2.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "statement-2027-Q1-ae-1.pdf"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = icomp(t, "--db", db, "export", "statements", "--period", "2027-Q1", "--dir", dir, "--format", "pdf,html")
	if r.code == ExitOK || !strings.Contains(r.errOut, "nothing was written") || !strings.Contains(r.errOut, "statement-2027-Q1-ae-1.pdf") {
		t.Fatalf("export into a directory with the files: %s", r)
	}
	if mine, _ := os.ReadFile(filepath.Join(dir, "statement-2027-Q1-ae-1.pdf")); string(mine) != "mine" {
		t.Error("an existing file was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "statement-2027-Q1-ae-2.html")); err == nil {
		t.Error("a refused export wrote a file")
	}

	// A period nobody has lines in, and a bad format.
	if r := icomp(t, "--db", db, "export", "statements", "--period", "2027-Q2", "--dir", t.TempDir()); r.code == ExitOK || !strings.Contains(r.errOut, "no ledger lines in 2027-Q2") {
		t.Fatalf("export of an empty period: %s", r)
	}
	if r := icomp(t, "--db", db, "export", "statements", "--period", "2027-Q1", "--dir", t.TempDir(), "--format", "csv"); r.code != ExitUsage {
		t.Fatalf("export --format csv: %s", r)
	}
}

func TestStatementFileName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ period, person, want string }{
		{"2027-Q1", "ae-1", "statement-2027-Q1-ae-1.html"},
		{"2027-Q1", "../../etc/passwd", "statement-2027-Q1-+2e.+2f..+2fetc+2fpasswd.html"},
		{"2027-Q1", ".hidden", "statement-2027-Q1-+2ehidden.html"},
		{"2027-Q1", `a b\c:d+e`, "statement-2027-Q1-a+20b+5cc+3ad+2be.html"},
		{"2027-Q1", "zoë", "statement-2027-Q1-zo+c3+ab.html"},
	} {
		if got := statementFileName(tc.period, tc.person, "html"); got != tc.want {
			t.Errorf("statementFileName(%q, %q) = %q, want %q", tc.period, tc.person, got, tc.want)
		}
		if got := statementFileName(tc.period, tc.person, "html"); strings.ContainsAny(got, `/\ :`) {
			t.Errorf("%q is not a plain file name", got)
		}
	}
}
