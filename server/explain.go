package server

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"

	"github.com/icomp/icomp/reports"
)

// statementCSS serves reports.StatementCSS: the Content-Security-Policy
// forbids inline styles, so the statement is rendered with NoStyle and
// its style sheet is a file.
func (s *Server) statementCSS(w http.ResponseWriter, r *http.Request, _ *principal) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(reports.StatementCSS()))
}

// statementHTML renders the statement through reports.WriteHTML, as a
// fragment for the page layout, with its explanation links on this site.
func statementHTML(st *reports.Statement) (template.HTML, error) {
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, st, reports.HTMLOptions{Fragment: true, NoStyle: true}); err != nil {
		return "", err
	}
	// WriteHTML escapes every value itself (html/template).
	return template.HTML(buf.String()), nil //nolint:gosec // rendered by html/template
}

// explanation checks that p may see the statement the line is on (the
// same rule as statements: someone else's is errHidden) and derives the
// line; errHidden also when there is no such line.
func (s *Server) explanation(r *http.Request, p *principal) (*reports.Explanation, error) {
	q := r.URL.Query()
	ref := reports.LineRef{Person: q.Get("person"), Period: q.Get("period"), Plan: q.Get("plan"), Component: q.Get("component")}
	if ref.Person == "" || ref.Period == "" || ref.Plan == "" || ref.Component == "" {
		return nil, errHidden
	}
	if _, err := s.statementAccess(r.Context(), p, ref.Person, ref.Period); err != nil {
		return nil, err
	}
	if !s.hasPayoutLine(r, ref) {
		return nil, errHidden
	}
	return reports.Explain(r.Context(), s.cfg.Store, ref)
}

// hasPayoutLine reports whether the person's statement shows the line
// (Explain's own error for a missing line is not a 404).
func (s *Server) hasPayoutLine(r *http.Request, ref reports.LineRef) bool {
	st, err := reports.BuildStatement(r.Context(), s.cfg.Store, ref.Person, ref.Period)
	if err != nil {
		return false
	}
	for _, ps := range st.Plans {
		if ps.Plan != ref.Plan {
			continue
		}
		for _, po := range ps.Payouts {
			if po.Component == ref.Component {
				return true
			}
		}
	}
	return false
}

func (s *Server) explainPage(w http.ResponseWriter, r *http.Request, p *principal) {
	x, err := s.explanation(r, p)
	if errors.Is(err, errHidden) {
		s.fail(w, r, false, http.StatusNotFound, "no such payout line")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var text bytes.Buffer
	if err := x.WriteText(&text); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, p, "explain", map[string]any{"Title": "Explain " + x.Component + " · " + x.Period, "X": x, "Text": text.String(),
		"Back": "/statements/" + urlPart(x.Person) + "/" + urlPart(x.Period)})
}

func (s *Server) apiExplain(w http.ResponseWriter, r *http.Request, p *principal) {
	x, err := s.explanation(r, p)
	if errors.Is(err, errHidden) {
		writeJSONError(w, http.StatusNotFound, "no such payout line")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = x.WriteJSON(w)
}
