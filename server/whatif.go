package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
)

// whatIfRequest reads a what-if form: the candidate comp plan YAML pasted
// (field plan) or uploaded (file field file, which wins), and the period.
// The body is capped at maxPlanBytes (1 MiB), not the maxFormBytes
// (64 KiB) of other POSTs, as it carries a plan file (server.go, handle).
func whatIfRequest(r *http.Request) (reports.WhatIfInput, string, error) {
	label := strings.TrimSpace(r.FormValue("period"))
	src := r.FormValue("plan")
	name := "pasted plan"
	if f, h, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return reports.WhatIfInput{}, src, err
		}
		if len(b) > 0 {
			src, name = string(b), h.Filename
		}
	}
	if label == "" {
		return reports.WhatIfInput{}, src, errors.New("period: required")
	}
	if strings.TrimSpace(src) == "" {
		return reports.WhatIfInput{}, src, errors.New("plan: paste or upload a candidate comp plan (YAML)")
	}
	f, err := reports.LoadCandidate(name, []byte(src))
	if err != nil {
		return reports.WhatIfInput{}, src, err
	}
	if f.Kind != plans.KindCompPlan {
		return reports.WhatIfInput{}, src, fmt.Errorf("%s: a %s, want a %s", name, f.Kind, plans.KindCompPlan)
	}
	return reports.WhatIfInput{Plan: f.Comp, Period: label}, src, nil
}

// whatIfPage shows the form (GET) or runs the candidate (POST): per-person
// deltas against what is posted and the total, posting nothing.
func (s *Server) whatIfPage(w http.ResponseWriter, r *http.Request, p *principal) {
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	data := map[string]any{"Title": "What-if", "Periods": ps}
	if r.Method == http.MethodGet {
		if len(ps) > 0 {
			data["Period"] = ps[0].Label
		}
		s.render(w, r, p, "whatif", data)
		return
	}
	in, src, err := whatIfRequest(r)
	data["Period"], data["Source"] = in.Period, src
	if in.Period == "" {
		data["Period"] = strings.TrimSpace(r.FormValue("period"))
	}
	var res *reports.WhatIf
	if err == nil {
		res, err = reports.RunWhatIf(r.Context(), s.cfg.Store, in)
	}
	if err != nil {
		data["Error"] = err.Error()
		s.renderStatus(w, r, p, http.StatusBadRequest, "whatif", data)
		return
	}
	if err := s.audit(r.Context(), p, "whatif", fmt.Sprintf("candidate %s version %s on %s (nothing posted)", res.Plan, res.Version, res.Period)); err != nil {
		s.serverError(w, r, err)
		return
	}
	data["W"] = res
	s.render(w, r, p, "whatif", data)
}

// apiWhatIf is the what-if as JSON (reports.WhatIf.WriteJSON).
func (s *Server) apiWhatIf(w http.ResponseWriter, r *http.Request, p *principal) {
	in, _, err := whatIfRequest(r)
	var res *reports.WhatIf
	if err == nil {
		res, err = reports.RunWhatIf(r.Context(), s.cfg.Store, in)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.audit(r.Context(), p, "whatif", fmt.Sprintf("candidate %s version %s on %s (nothing posted)", res.Plan, res.Version, res.Period)); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = res.WriteJSON(w)
}
