package reports

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var (
	pdfCountRE  = regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`)
	pdfPageRE   = regexp.MustCompile(`/Type /Page\b[^s]`)
	pdfStreamRE = regexp.MustCompile(`(?s)<<([^>]*)>>\s*stream\r?\n(.*?)\r?\nendstream`)
	pdfTjRE     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
)

// PDFText reads back a PDF that WritePDF wrote, for tests and checks: the
// text it shows, one string of a Tj operator a line (Windows-1252 read as
// Latin-1), and its page count. Deflated streams are inflated. It is not
// a general PDF parser.
func PDFText(data []byte) (text string, pages int, err error) {
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(data), []byte("%%EOF")) {
		return "", 0, fmt.Errorf("not a PDF: starts %q", data[:min(16, len(data))])
	}
	count := pdfCountRE.FindSubmatch(data)
	if count == nil {
		return "", 0, errors.New("PDF has no page tree")
	}
	pages, _ = strconv.Atoi(string(count[1]))
	if n := len(pdfPageRE.FindAll(data, -1)); n != pages {
		return "", 0, fmt.Errorf("page tree counts %d pages, the file has %d page objects", pages, n)
	}
	var b strings.Builder
	for _, m := range pdfStreamRE.FindAllSubmatch(data, -1) {
		body := m[2]
		if bytes.Contains(m[1], []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				continue // not deflated after all
			}
			if body, err = io.ReadAll(r); err != nil {
				return "", 0, err
			}
		}
		for _, tj := range pdfTjRE.FindAllSubmatch(body, -1) {
			s := tj[1]
			for i := 0; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					c = s[i]
				}
				b.WriteRune(rune(c))
			}
			b.WriteByte('\n')
		}
	}
	return b.String(), pages, nil
}
