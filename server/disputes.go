package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// disputeLine is a payout line of the statement page, with its dispute
// form.
type disputeLine struct {
	ID, Plan, Component, Amount string
}

func (s *Server) statementPage(w http.ResponseWriter, r *http.Request, p *principal) {
	st, ok := s.loadStatement(w, r, p)
	if !ok {
		return
	}
	html, err := statementHTML(st)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var lines []disputeLine
	for _, ps := range st.Plans {
		for _, po := range ps.Payouts {
			lines = append(lines, disputeLine{ID: reports.LineAnchor(ps.Plan, po.Component), Plan: ps.Plan, Component: po.Component,
				Amount: po.Amount.StringFixed(2) + " " + po.Currency})
		}
	}
	base := "/statements/" + urlPart(st.Person) + "/" + urlPart(st.Period)
	s.render(w, r, p, "statement", map[string]any{"Title": "Statement " + st.Period, "S": st, "HTML": html, "Base": base,
		"Lines": lines, "CanDispute": p.User.Person != "" && p.User.Person == st.Person})
}

// disputeOpen opens a dispute on a line of the statement in the path (form
// fields plan, component, text) or on a missing deal (txn, text). Only the
// person the statement is for may: a statement one may not see is 404,
// one of someone else one may see (a manager's report) 403.
func (s *Server) disputeOpen(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	person, label := r.PathValue("person"), r.PathValue("period")
	if _, err := s.statementAccess(ctx, p, person, label); err != nil {
		if errors.Is(err, errHidden) {
			s.notFound(w, r)
		} else {
			s.serverError(w, r, err)
		}
		return
	}
	if p.User.Person == "" || p.User.Person != person {
		s.fail(w, r, false, http.StatusForbidden, "only "+person+" may dispute their statement")
		return
	}
	req := disputes.OpenRequest{Person: person, Period: label, Txn: strings.TrimSpace(r.PostFormValue("txn")),
		Text: r.PostFormValue("text"), By: p.User.Email, At: s.nowText()}
	if plan, comp := r.PostFormValue("plan"), r.PostFormValue("component"); plan != "" || comp != "" {
		req.Plan, req.Subject = plan, comp
	}
	d, err := disputes.Open(ctx, s.cfg.Store, req)
	if errors.Is(err, disputes.ErrInvalid) {
		s.fail(w, r, false, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/disputes#dispute-"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
}

// disputeRow is a dispute on the list pages.
type disputeRow struct {
	storage.Dispute
	About, State string
	// Note is the newest transition's note (not the opening text).
	Note string
}

func disputeRows(ds []storage.Dispute) []disputeRow {
	out := make([]disputeRow, 0, len(ds))
	for _, d := range ds {
		state := strings.ReplaceAll(d.State(), "_", " ")
		if res := d.Last().Resolution; res != "" {
			state += " (" + res + ")"
		}
		row := disputeRow{Dispute: d, About: disputes.About(d), State: state}
		if len(d.Events) > 1 {
			row.Note = d.Last().Note
		}
		out = append(out, row)
	}
	return out
}

// myDisputes lists the disputes of the signed-in person (an admin's: all).
func (s *Server) myDisputes(w http.ResponseWriter, r *http.Request, p *principal) {
	params := storage.DisputeListParams{Person: p.User.Person}
	var ds []storage.Dispute
	var err error
	if p.User.Person != "" || p.User.Role == storage.RoleAdmin {
		if ds, err = disputes.List(r.Context(), s.cfg.Store, params); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, p, "disputes", map[string]any{"Title": "My disputes", "Disputes": disputeRows(ds)})
}

// adminDisputes is the dispute queue, by state (?state=open|in_review|resolved; all by default).
func (s *Server) adminDisputes(w http.ResponseWriter, r *http.Request, p *principal) {
	state := r.URL.Query().Get("state")
	ds, err := disputes.List(r.Context(), s.cfg.Store, storage.DisputeListParams{State: state})
	if errors.Is(err, disputes.ErrInvalid) {
		s.fail(w, r, false, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, p, "dispute_queue", map[string]any{"Title": "Dispute queue", "State": state, "Disputes": disputeRows(ds),
		"States": []string{storage.DisputeOpen, storage.DisputeInReview, storage.DisputeResolved}})
}

// disputeID is the dispute of the path; false (answered 404) when none.
func (s *Server) disputeID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return 0, false
	}
	return id, true
}

// disputeFail answers an error of the disputes package.
func (s *Server) disputeFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		s.fail(w, r, false, http.StatusNotFound, err.Error())
	case errors.Is(err, disputes.ErrInvalid):
		s.fail(w, r, false, http.StatusBadRequest, err.Error())
	case errors.Is(err, disputes.ErrConflict):
		s.fail(w, r, false, http.StatusConflict, err.Error())
	default:
		s.serverError(w, r, err)
	}
}

func (s *Server) adminDisputeReview(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.disputeID(w, r)
	if !ok {
		return
	}
	if _, err := s.reviewDispute(r.Context(), p, id, r.PostFormValue("note")); err != nil {
		s.disputeFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/disputes#dispute-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// adminDisputeResolve resolves a dispute: action=adjust with amount and
// earning_code (currency optional), or action=reject; note always.
func (s *Server) adminDisputeResolve(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.disputeID(w, r)
	if !ok {
		return
	}
	req := disputes.ResolveRequest{ID: id, Note: r.PostFormValue("note"), By: p.User.Email, At: s.nowText()}
	switch r.PostFormValue("action") {
	case "reject":
		req.Reject = true
	case "adjust":
		req.Amount = strings.TrimSpace(r.PostFormValue("amount"))
		req.EarningCode = strings.TrimSpace(r.PostFormValue("earning_code"))
		req.Currency = strings.TrimSpace(r.PostFormValue("currency"))
		if req.Amount == "" {
			s.fail(w, r, false, http.StatusBadRequest, "amount: required to resolve with an adjustment")
			return
		}
	default:
		s.fail(w, r, false, http.StatusBadRequest, "action: adjust or reject")
		return
	}
	if _, err := s.resolveDispute(r.Context(), p, req); err != nil {
		s.disputeFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/disputes#dispute-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// apiDispute is a dispute in the API.
type apiDispute struct {
	ID         int64  `json:"id"`
	Person     string `json:"person"`
	Period     string `json:"period"`
	About      string `json:"about"`
	Text       string `json:"text"`
	OpenedBy   string `json:"opened_by"`
	OpenedAt   string `json:"opened_at"`
	State      string `json:"state"`
	Resolution string `json:"resolution,omitempty"`
	Note       string `json:"note,omitempty"`
	By         string `json:"by,omitempty"`
	At         string `json:"at,omitempty"`
	Adjustment int64  `json:"adjustment_id,omitempty"`
}

// apiDisputes lists disputes: a rep's or manager's own person's, an
// admin's all (?person=ID, ?period=P and ?state=S filter).
func (s *Server) apiDisputes(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	params := storage.DisputeListParams{Person: q.Get("person"), Period: q.Get("period"), State: q.Get("state")}
	if p.User.Role != storage.RoleAdmin {
		if params.Person == "" {
			params.Person = p.User.Person // my disputes
		}
		if params.Person == "" {
			writeJSON(w, http.StatusOK, []apiDispute{})
			return
		}
	}
	ds, err := disputes.List(r.Context(), s.cfg.Store, params)
	if errors.Is(err, disputes.ErrInvalid) {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := []apiDispute{}
	seen := map[[2]string]bool{} // statementAccess by person and period
	for _, d := range ds {
		// The statement rule, dispute by dispute: a manager lists a
		// report's disputes of the periods the report was below them; a
		// rep asking for someone else's gets none.
		if p.User.Role != storage.RoleAdmin {
			k := [2]string{d.Person, d.Period}
			ok, done := seen[k]
			if !done {
				_, err := s.statementAccess(r.Context(), p, d.Person, d.Period)
				if err != nil && !errors.Is(err, errHidden) {
					s.serverError(w, r, err)
					return
				}
				ok = err == nil
				seen[k] = ok
			}
			if !ok {
				continue
			}
		}
		out = append(out, disputeSummary(d))
	}
	writeJSON(w, http.StatusOK, out)
}
