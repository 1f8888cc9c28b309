package server

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/icomp/icomp/reports"
)

// statementPDF serves the statement in the path as a PDF download (the
// same file as `icomp statement --format pdf`), with its explanation
// links on this site. Who may read the statement page may download it;
// someone else's is 404.
func (s *Server) statementPDF(w http.ResponseWriter, r *http.Request, p *principal) {
	st, ok := s.loadStatement(w, r, p)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := reports.WritePDF(&buf, st, reports.PDFOptions{LinkBase: siteBase(r, s.secure(r))}); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statement-%s-%s.pdf"`, safeName(st.Period), safeName(st.Person)))
	_, _ = buf.WriteTo(w)
}

// siteBase is the scheme and host the request came to, for links in a
// downloaded file that must lead back here.
func siteBase(r *http.Request, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
