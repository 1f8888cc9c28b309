package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/icomp/icomp/storage"
)

func urlPart(s string) string { return url.PathEscape(s) }

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, p *principal) {
	writeJSON(w, http.StatusOK, map[string]string{"email": p.User.Email, "role": p.User.Role, "person": p.User.Person})
}

// apiPeriod is a period in the API.
type apiPeriod struct {
	Label      string `json:"label"`
	Start      string `json:"start"`
	End        string `json:"end"`
	Status     string `json:"status"`
	NeedsRerun string `json:"needs_rerun,omitempty"`
}

func (s *Server) apiPeriods(w http.ResponseWriter, r *http.Request, p *principal) {
	ps, err := s.periodLabels(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := []apiPeriod{}
	for _, x := range ps {
		out = append(out, apiPeriod{Label: x.Label, Start: x.Start, End: x.End, Status: x.Status, NeedsRerun: x.NeedsRerun})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiStatement(w http.ResponseWriter, r *http.Request, p *principal) {
	st, ok := s.loadStatement(w, r, p)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = st.WriteJSON(w)
}

func (s *Server) apiTeam(w http.ResponseWriter, r *http.Request, p *principal) {
	rows, err := s.team(r, p, r.PathValue("period"))
	if errors.Is(err, errHidden) {
		writeJSONError(w, http.StatusNotFound, "no such period")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// apiRunJSON is a run in the API.
type apiRunJSON struct {
	ID           int64  `json:"id"`
	Period       string `json:"period"`
	PostedPeriod string `json:"posted_period"`
	Status       string `json:"status"`
	Batches      int    `json:"batches"`
	BatchesDone  int    `json:"batches_done"`
	Lines        int    `json:"lines"`
	Digest       string `json:"digest,omitempty"`
	Error        string `json:"error,omitempty"`
	StartedAt    string `json:"started_at"`
	FinishedAt   string `json:"finished_at,omitempty"`
	// Incremental says the run recomputed only Recomputed people; Scope
	// says why it was incremental or full (empty while it splits).
	Incremental bool   `json:"incremental"`
	Recomputed  int    `json:"recomputed,omitempty"`
	Scope       string `json:"scope,omitempty"`
}

func runJSON(r storage.Run) apiRunJSON {
	out := apiRunJSON{ID: r.ID, Period: r.Period, PostedPeriod: r.PostedPeriod, Status: r.Status, Batches: r.Batches,
		BatchesDone: r.BatchesDone, Lines: r.Lines, Digest: r.Digest, Error: r.Error, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Incremental: r.Incremental()}
	if r.Scope != nil {
		out.Scope = r.Scope.Note
		if r.Incremental() {
			out.Recomputed = len(r.Scope.People)
		}
	}
	return out
}

func (s *Server) apiRunStart(w http.ResponseWriter, r *http.Request, p *principal) {
	id, status, err := s.startRun(r, p, r.PathValue("period"))
	if err != nil {
		writeJSONError(w, status, err.Error())
		return
	}
	w.Header().Set("Location", "/api/runs/"+strconv.FormatInt(id, 10))
	writeJSON(w, http.StatusAccepted, map[string]int64{"run_id": id})
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request, p *principal) {
	run, ok := s.getRun(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, runJSON(run))
}

// apiBatch is a payroll batch in the API (without its file).
type apiBatch struct {
	ID        int64  `json:"id"`
	Period    string `json:"period"`
	PayDate   string `json:"pay_date"`
	Rows      int    `json:"rows"`
	SHA256    string `json:"sha256"`
	CreatedAt string `json:"created_at"`
	CSV       string `json:"csv_url"`
}

func (s *Server) apiPayroll(w http.ResponseWriter, r *http.Request, p *principal) {
	ex, err := s.cfg.Store.ExportList(r.Context(), r.URL.Query().Get("period"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := []apiBatch{}
	for _, b := range ex {
		out = append(out, apiBatch{ID: b.ID, Period: b.Period, PayDate: b.PayDate, Rows: b.Lines, SHA256: b.Digest, CreatedAt: b.CreatedAt,
			CSV: "/api/payroll/" + strconv.FormatInt(b.ID, 10) + "/csv"})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p *principal) {
	log, err := s.cfg.Store.AuditList(r.Context(), defaultAuditN)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	type entry struct {
		ID     int64  `json:"id"`
		At     string `json:"at"`
		Actor  string `json:"actor"`
		Action string `json:"action"`
		Detail string `json:"detail"`
	}
	out := []entry{}
	for _, a := range log {
		out = append(out, entry(a))
	}
	writeJSON(w, http.StatusOK, out)
}
