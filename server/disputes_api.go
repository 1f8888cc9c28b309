package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/storage"
)

// The dispute workflow over the JSON API (docs/api.md, "Disputes"): open
// a dispute on a statement one may see and is the person of, read one,
// and (admins) review and resolve it. The form handlers of disputes.go
// and these share reviewDispute and resolveDispute, so a resolution
// posts and audits the same whichever way it came.

// apiDisputeOpenBody is the body of POST /api/statements/{person}/{period}/disputes.
type apiDisputeOpenBody struct {
	Plan      string `json:"plan"`
	Component string `json:"component"`
	Txn       string `json:"txn"`
	Text      string `json:"text"`
}

// apiDisputeReviewBody is the body of POST /api/disputes/{id}/review.
type apiDisputeReviewBody struct {
	Note string `json:"note"`
}

// apiDisputeResolveBody is the body of POST /api/disputes/{id}/resolve.
// Amount is raw so that a JSON number is refused by name: money travels
// as decimal text, never as a binary float some client rounded.
type apiDisputeResolveBody struct {
	Action      string          `json:"action"`
	Amount      json.RawMessage `json:"amount"`
	EarningCode string          `json:"earning_code"`
	Currency    string          `json:"currency"`
	Note        string          `json:"note"`
}

// apiAdjustment is an adjustment in the API; Amount is decimal text at
// the currency's precision.
type apiAdjustment struct {
	ID          int64  `json:"id"`
	Person      string `json:"person"`
	Period      string `json:"period"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	EarningCode string `json:"earning_code"`
	Reason      string `json:"reason"`
	Source      string `json:"source"`
	By          string `json:"by"`
	At          string `json:"at"`
}

// apiDisputeEvent is one transition of a dispute.
type apiDisputeEvent struct {
	Seq          int    `json:"seq"`
	State        string `json:"state"`
	Resolution   string `json:"resolution,omitempty"`
	Note         string `json:"note,omitempty"`
	AdjustmentID int64  `json:"adjustment_id,omitempty"`
	By           string `json:"by"`
	At           string `json:"at"`
}

// apiDisputeView is one dispute with what it is about, its history and
// the adjustment its resolution posted.
type apiDisputeView struct {
	apiDispute
	Plan      string         `json:"plan,omitempty"`
	Component string         `json:"component,omitempty"`
	Txn       string         `json:"txn,omitempty"`
	Adj       *apiAdjustment `json:"adjustment,omitempty"`
	// PostsInto is set in the answer to a resolution with an adjustment:
	// the period a run posts it into (a later open one when the
	// dispute's period is closed).
	PostsInto string            `json:"posts_into,omitempty"`
	History   []apiDisputeEvent `json:"history"`
}

// disputeSummary is a dispute as GET /api/disputes lists it.
func disputeSummary(d storage.Dispute) apiDispute {
	e := d.Last()
	if len(d.Events) <= 1 {
		e.Note = ""
	}
	return apiDispute{ID: d.ID, Person: d.Person, Period: d.Period, About: disputes.About(d), Text: d.Text,
		OpenedBy: d.OpenedBy, OpenedAt: d.OpenedAt, State: d.State(), Resolution: e.Resolution, Note: e.Note, By: e.By, At: e.At,
		Adjustment: e.AdjustmentID}
}

func disputeView(d storage.Dispute, adj *storage.Adjustment) apiDisputeView {
	v := apiDisputeView{apiDispute: disputeSummary(d), Plan: d.Plan, Component: d.Subject, Txn: d.Txn, History: []apiDisputeEvent{}}
	for _, e := range d.Events {
		v.History = append(v.History, apiDisputeEvent{Seq: e.Seq, State: e.State, Resolution: e.Resolution, Note: e.Note,
			AdjustmentID: e.AdjustmentID, By: e.By, At: e.At})
	}
	if adj != nil {
		amount := adj.Amount.String()
		if prec, ok := money.Precision(adj.Currency); ok {
			amount = adj.Amount.StringFixed(prec)
		}
		v.Adj = &apiAdjustment{ID: adj.ID, Person: adj.Person, Period: adj.Period, Amount: amount, Currency: adj.Currency,
			EarningCode: adj.EarningCode, Reason: adj.Reason, Source: adj.Source, By: adj.CreatedBy, At: adj.CreatedAt}
	}
	return v
}

// bodyError is a request body the API refuses, with its status.
type bodyError struct {
	status int
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// decodeJSONBody decodes the request's JSON object into v (a pointer to
// a struct), refusing keys that are not exactly its fields' JSON names
// (letter case and all) or that repeat (checkKeys), wrong types, trailing
// data and other content types; the error names the field.
func decodeJSONBody(r *http.Request, v any) error {
	known := jsonFields(v)
	fields := strings.Join(known, ", ")
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &bodyError{http.StatusUnsupportedMediaType, "send the body as a JSON object (Content-Type: application/json) with the fields " + fields}
	}
	body, err := io.ReadAll(r.Body)
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		return &bodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d KiB", tooBig.Limit>>10)}
	}
	if err != nil {
		return &bodyError{http.StatusBadRequest, "body: " + err.Error()}
	}
	if err := checkKeys(body, known); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return &bodyError{http.StatusBadRequest, "body: empty; send a JSON object with the fields " + fields}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &bodyError{http.StatusBadRequest, "body: the JSON ends too early"}
	case errors.As(err, &syntax):
		return &bodyError{http.StatusBadRequest, fmt.Sprintf("body: not valid JSON at byte %d: %v", syntax.Offset, syntax)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &bodyError{http.StatusBadRequest, fmt.Sprintf("body: want a JSON object with the fields %s, not a JSON %s", fields, typ.Value)}
		}
		return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: want a JSON %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: unknown field; the fields are %s", strings.Trim(name, `"`), fields)}
	default:
		return &bodyError{http.StatusBadRequest, "body: " + err.Error()}
	}
	if dec.More() {
		return &bodyError{http.StatusBadRequest, "body: send one JSON object, nothing after it"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &bodyError{http.StatusBadRequest, "body: send one JSON object, nothing after it"}
	}
	return nil
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	}
	return "number"
}

// decodeOrFail decodes the body into v, answering the error when it
// cannot; false when it did.
func (s *Server) decodeOrFail(w http.ResponseWriter, r *http.Request, v any) bool {
	err := decodeJSONBody(r, v)
	if err == nil {
		return true
	}
	var be *bodyError
	if errors.As(err, &be) {
		writeJSONError(w, be.status, be.msg)
	} else {
		s.serverError(w, r, err)
	}
	return false
}

// amountText is the decimal text of a JSON amount: a JSON string, or
// empty when absent or null. A JSON number is refused by name.
func amountText(raw json.RawMessage) (string, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return "", nil
	}
	if !strings.HasPrefix(t, `"`) {
		return "", fmt.Errorf("amount: give the amount as a JSON string such as \"125.50\", not %s: money is decimal text in this API, never a JSON number (which many clients turn into a binary float)", t)
	}
	var a string
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", fmt.Errorf("amount: %v", err)
	}
	return strings.TrimSpace(a), nil
}

// apiDisputeOpen opens a dispute on a line of the statement in the path
// (plan, component, text) or on a missing deal (txn, text): the form's
// rules, as JSON. A statement one may not see is 404; one of someone
// else one may see, 403.
func (s *Server) apiDisputeOpen(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	person, label := r.PathValue("person"), r.PathValue("period")
	if _, err := s.statementAccess(ctx, p, person, label); err != nil {
		if errors.Is(err, errHidden) {
			writeJSONError(w, http.StatusNotFound, "no such statement")
		} else {
			s.serverError(w, r, err)
		}
		return
	}
	if p.User.Person == "" || p.User.Person != person {
		writeJSONError(w, http.StatusForbidden, "only "+person+" may dispute their statement")
		return
	}
	var body apiDisputeOpenBody
	if !s.decodeOrFail(w, r, &body) {
		return
	}
	req := disputes.OpenRequest{Person: person, Period: label, Plan: strings.TrimSpace(body.Plan), Subject: strings.TrimSpace(body.Component),
		Txn: strings.TrimSpace(body.Txn), Text: body.Text, By: p.User.Email, At: s.nowText()}
	d, err := disputes.Open(ctx, s.cfg.Store, req)
	if err != nil {
		s.disputeFail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/disputes/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusCreated, disputeView(d, nil))
}

// visibleDispute returns dispute id with its adjustment when p may see it:
// whoever may see the person's statement of the dispute's period (its
// person, their managers, admins). Otherwise it answers 404, as for a
// dispute that does not exist, and returns false.
func (s *Server) visibleDispute(w http.ResponseWriter, r *http.Request, p *principal) (disputes.View, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeJSONError(w, http.StatusNotFound, "no dispute "+r.PathValue("id"))
		return disputes.View{}, false
	}
	v, err := disputes.Show(r.Context(), s.cfg.Store, id)
	if errors.Is(err, storage.ErrNotFound) {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no dispute %d", id))
		return v, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return v, false
	}
	if _, err := s.statementAccess(r.Context(), p, v.Person, v.Period); errors.Is(err, errHidden) {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no dispute %d", id))
		return v, false
	} else if err != nil {
		s.serverError(w, r, err)
		return v, false
	}
	return v, true
}

func (s *Server) apiDisputeGet(w http.ResponseWriter, r *http.Request, p *principal) {
	v, ok := s.visibleDispute(w, r, p)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, disputeView(v.Dispute, v.Adjustment))
}

func (s *Server) apiDisputeReview(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.disputeID(w, r)
	if !ok {
		return
	}
	var body apiDisputeReviewBody
	if !s.decodeOrFail(w, r, &body) {
		return
	}
	d, err := s.reviewDispute(r.Context(), p, id, body.Note)
	if err != nil {
		s.disputeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, disputeView(d, nil))
}

func (s *Server) apiDisputeResolve(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.disputeID(w, r)
	if !ok {
		return
	}
	var body apiDisputeResolveBody
	if !s.decodeOrFail(w, r, &body) {
		return
	}
	amount, err := amountText(body.Amount)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	req := disputes.ResolveRequest{ID: id, Note: body.Note, By: p.User.Email, At: s.nowText(),
		EarningCode: strings.TrimSpace(body.EarningCode), Currency: strings.TrimSpace(body.Currency)}
	switch body.Action {
	case "reject":
		if amount != "" {
			writeJSONError(w, http.StatusBadRequest, "amount: a rejection posts nothing: drop the amount (or send \"action\": \"adjust\")")
			return
		}
		req.Reject = true
	case "adjust":
		if amount == "" {
			writeJSONError(w, http.StatusBadRequest, "amount: required to resolve with an adjustment, as decimal text such as \"125.50\"")
			return
		}
		if req.EarningCode == "" {
			writeJSONError(w, http.StatusBadRequest, "earning_code: required: the payroll earning code the amount is paid under")
			return
		}
		req.Amount = amount
	case "":
		writeJSONError(w, http.StatusBadRequest, `action: required: "adjust" (with amount and earning_code) or "reject"`)
		return
	default:
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf(`action: %q is neither "adjust" nor "reject"`, body.Action))
		return
	}
	res, err := s.resolveDispute(r.Context(), p, req)
	if err != nil {
		s.disputeFail(w, r, err)
		return
	}
	v := disputeView(res.Dispute, res.Adjustment)
	if res.Adjustment != nil {
		v.PostsInto = res.PostsInto
	}
	writeJSON(w, http.StatusOK, v)
}

// reviewDispute moves dispute id into review and appends its audit row in
// the same transaction: the one path of the form and the API.
func (s *Server) reviewDispute(ctx context.Context, p *principal, id int64, note string) (storage.Dispute, error) {
	return disputes.ReviewRecorded(ctx, s.cfg.Store, id, note, p.User.Email, s.nowText(), func(ctx context.Context, tx storage.Tx, _ storage.Dispute) error {
		return s.auditTx(ctx, tx, p, "dispute.review", fmt.Sprintf("dispute %d: %s", id, strings.TrimSpace(note)))
	})
}

// resolveDispute resolves a dispute (posting the adjustment of an
// adjusted resolution) and appends its audit row, all in the disputes
// package's one transaction: the one path of the form and the API.
func (s *Server) resolveDispute(ctx context.Context, p *principal, req disputes.ResolveRequest) (disputes.Resolution, error) {
	req.Record = func(ctx context.Context, tx storage.Tx, res disputes.Resolution) error {
		detail := fmt.Sprintf("dispute %d rejected: %s", req.ID, strings.TrimSpace(req.Note))
		if a := res.Adjustment; a != nil {
			detail = fmt.Sprintf("dispute %d adjusted: adjustment %d of %s %s (%s) to %s in %s, posts into %s: %s", req.ID, a.ID,
				a.Amount.String(), a.Currency, a.EarningCode, a.Person, a.Period, res.PostsInto, strings.TrimSpace(req.Note))
		}
		return s.auditTx(ctx, tx, p, "dispute.resolve", detail)
	}
	return disputes.Resolve(ctx, s.cfg.Store, req)
}

// auditTx appends an admin action to the audit log inside tx.
func (s *Server) auditTx(ctx context.Context, tx storage.Tx, p *principal, action, detail string) error {
	_, err := tx.AuditInsert(ctx, storage.AuditEntry{At: s.nowText(), Actor: p.User.Email, Action: action, Detail: detail})
	return err
}
