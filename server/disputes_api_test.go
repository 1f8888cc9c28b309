package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

// apiReq is one JSON API request of the dispute tests.
type apiReq struct {
	// who is a fixture user key; with token the request carries that
	// user's API token, else a session cookie and its CSRF header.
	who   string
	token bool
	// noCSRF leaves the CSRF header off a session's POST.
	noCSRF bool
	// ctype is the Content-Type of a POST (default application/json).
	ctype string
}

// call sends the request and returns the status and the body.
func (f *fixture) call(t *testing.T, a apiReq, method, path, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		ct := a.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if a.token {
		tok, ok := f.tokens[a.who]
		if !ok {
			if tok, err = server.NewAPIToken(t.Context(), f.st, f.users[a.who].Email, "test", time.Now()); err != nil {
				t.Fatal(err)
			}
			f.tokens[a.who] = tok
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	} else {
		id, csrf := f.session(t, a.who)
		req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
		if !a.noCSRF {
			req.Header.Set("X-CSRF-Token", csrf)
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// apiDispute is a dispute as the API answers it.
type apiDispute struct {
	ID           int64  `json:"id"`
	Person       string `json:"person"`
	Period       string `json:"period"`
	Plan         string `json:"plan"`
	Component    string `json:"component"`
	Txn          string `json:"txn"`
	About        string `json:"about"`
	Text         string `json:"text"`
	OpenedBy     string `json:"opened_by"`
	State        string `json:"state"`
	Resolution   string `json:"resolution"`
	Note         string `json:"note"`
	AdjustmentID int64  `json:"adjustment_id"`
	PostsInto    string `json:"posts_into"`
	Adjustment   *struct {
		ID          int64  `json:"id"`
		Person      string `json:"person"`
		Period      string `json:"period"`
		Amount      string `json:"amount"`
		Currency    string `json:"currency"`
		EarningCode string `json:"earning_code"`
		Source      string `json:"source"`
		By          string `json:"by"`
	} `json:"adjustment"`
	History []struct {
		Seq   int    `json:"seq"`
		State string `json:"state"`
		Note  string `json:"note"`
		By    string `json:"by"`
	} `json:"history"`
}

func decodeDispute(t *testing.T, body string) apiDispute {
	t.Helper()
	var d apiDispute
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("dispute JSON: %v\n%s", err, body)
	}
	return d
}

// lineOf is the first payout line (plan, component) of person's statement
// in quarter, and a deal credited to them.
func lineOf(t *testing.T, f *fixture, person string) (plan, comp, txn string) {
	t.Helper()
	st, err := reports.BuildStatement(t.Context(), f.st, person, quarter)
	if err != nil || len(st.Plans) == 0 || len(st.Plans[0].Payouts) == 0 || len(st.Plans[0].Credits) == 0 {
		t.Fatalf("%s's statement in %s: %v", person, quarter, err)
	}
	return st.Plans[0].Plan, st.Plans[0].Payouts[0].Component, st.Plans[0].Credits[0].Txn
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestAPIDisputeOpen: who may open a dispute on which statement over the
// API, and every malformed body answered 400 (415 for another content
// type) naming the field.
func TestAPIDisputeOpen(t *testing.T) {
	f := newFixture(t)
	plan, comp, _ := lineOf(t, f, repPerson)
	_, _, otherTxn := lineOf(t, f, otherPerson)
	mine := "/api/statements/" + repPerson + "/" + quarter + "/disputes"
	theirs := "/api/statements/" + otherPerson + "/" + quarter + "/disputes"
	line := jsonBody(map[string]string{"plan": plan, "component": comp, "text": "the Acme renewal is missing"})
	rep, repTok := apiReq{who: "rep"}, apiReq{who: "rep", token: true}
	cases := []struct {
		name       string
		as         apiReq
		path, body string
		want       int
		// msg is a part of the error the answer must carry.
		msg string
	}{
		{"line", repTok, mine, line, 201, ""},
		{"same line again", rep, mine, line, 409, "dispute 1 about this is still open"},
		{"missing deal", rep, mine, jsonBody(map[string]string{"txn": otherTxn, "text": "this deal is mine"}), 201, ""},
		{"someone else's statement", rep, theirs, line, 404, "no such statement"},
		{"someone else's statement by token", repTok, theirs, line, 404, "no such statement"},
		{"another rep on the rep's", apiReq{who: "other"}, mine, line, 404, "no such statement"},
		{"a manager's report's: may read, not dispute", apiReq{who: "manager"}, mine, line, 403, "only " + repPerson + " may dispute"},
		{"not the manager's report", apiReq{who: "manager"}, theirs, line, 404, "no such statement"},
		{"admin", apiReq{who: "admin", token: true}, mine, line, 403, "only " + repPerson},
		{"payroll", apiReq{who: "payroll"}, mine, line, 403, "your role (payroll)"},
		{"nobody's", rep, "/api/statements/nobody/" + quarter + "/disputes", line, 404, "no such statement"},
		{"no such period", rep, "/api/statements/" + repPerson + "/1999-Q9/disputes", line, 404, "no such statement"},
		{"no CSRF header", apiReq{who: "rep", noCSRF: true}, mine, line, 403, "CSRF"},
		{"a form, not JSON", apiReq{who: "rep", ctype: "application/x-www-form-urlencoded"}, mine, "text=x", 415, "Content-Type: application/json"},
		{"empty body", rep, mine, "", 400, "body: empty"},
		{"too big", rep, mine, `{"txn": "T1", "text": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "the request is larger than 64 KiB"},
		{"null", rep, mine, "null", 400, "text: required"},
		{"not JSON", rep, mine, "{text: x}", 400, "body: not valid JSON at byte 2"},
		{"cut short", rep, mine, `{"text": "x"`, 400, "body: the JSON ends too early"},
		{"an array", rep, mine, `["x"]`, 400, "body: want a JSON object"},
		{"two objects", rep, mine, line + line, 400, "body: send one JSON object"},
		{"unknown field", rep, mine, `{"plan": "a", "component": "b", "comment": "x"}`, 400, "comment: unknown field; the fields are plan, component, txn, text"},
		{"text a number", rep, mine, `{"txn": "T1", "text": 5}`, 400, "text: want a JSON string, not a JSON number"},
		{"no text", rep, mine, jsonBody(map[string]string{"plan": plan, "component": comp}), 400, "text: required"},
		{"line and deal", rep, mine, jsonBody(map[string]string{"plan": plan, "component": comp, "txn": otherTxn, "text": "x"}), 400, "not both nor neither"},
		{"no such line", rep, mine, jsonBody(map[string]string{"plan": plan, "component": "no-such", "text": "x"}), 400, "line: " + repPerson + " has no line " + plan + "/no-such"},
		{"no such deal", rep, mine, jsonBody(map[string]string{"txn": "NOPE-1", "text": "x"}), 400, `deal: no transaction "NOPE-1"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, hdr := f.call(t, c.as, "POST", c.path, c.body)
			if code != c.want {
				t.Fatalf("%d, want %d\n%s", code, c.want, body)
			}
			if c.want == 201 {
				d := decodeDispute(t, body)
				if d.State != storage.DisputeOpen || d.Person != repPerson || d.OpenedBy != f.users["rep"].Email || len(d.History) != 1 ||
					hdr.Get("Location") != fmt.Sprintf("/api/disputes/%d", d.ID) {
					t.Errorf("opened %+v, Location %q", d, hdr.Get("Location"))
				}
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, c.msg) {
				t.Errorf("error %q (%v), want it to say %q", e.Error, err, c.msg)
			}
		})
	}
	ds, err := f.st.DisputeList(t.Context(), storage.DisputeListParams{})
	if err != nil || len(ds) != 2 || ds[0].Subject != comp || ds[1].Txn != otherTxn {
		t.Errorf("stored disputes %+v (%v): want the line's and the deal's only", ds, err)
	}
}

// TestAPIDisputeGet: a dispute is visible to whoever may see the
// statement it is about, and 404 to everyone else, like a dispute that
// does not exist.
func TestAPIDisputeGet(t *testing.T) {
	f := newFixture(t)
	plan, comp, _ := lineOf(t, f, repPerson)
	code, body, _ := f.call(t, apiReq{who: "rep"}, "POST", "/api/statements/"+repPerson+"/"+quarter+"/disputes",
		jsonBody(map[string]string{"plan": plan, "component": comp, "text": "short by 40"}))
	if code != 201 {
		t.Fatalf("open: %d %s", code, body)
	}
	id := decodeDispute(t, body).ID
	path := fmt.Sprintf("/api/disputes/%d", id)
	for _, c := range []struct {
		as   apiReq
		path string
		want int
	}{
		{apiReq{who: "rep"}, path, 200},
		{apiReq{who: "rep", token: true}, path, 200},
		{apiReq{who: "manager"}, path, 200},
		{apiReq{who: "admin", token: true}, path, 200},
		{apiReq{who: "other"}, path, 404},
		{apiReq{who: "other", token: true}, path, 404},
		{apiReq{who: "payroll"}, path, 403},
		{apiReq{who: "admin"}, "/api/disputes/999", 404},
		{apiReq{who: "admin"}, "/api/disputes/x", 404},
		{apiReq{who: "admin"}, "/api/disputes/-1", 404},
	} {
		code, body, _ := f.call(t, c.as, "GET", c.path, "")
		if code != c.want {
			t.Errorf("GET %s as %+v: %d, want %d\n%s", c.path, c.as, code, c.want, body)
			continue
		}
		if code == 200 {
			d := decodeDispute(t, body)
			if d.ID != id || d.Plan != plan || d.Component != comp || d.Text != "short by 40" || d.About != plan+"/"+comp || len(d.History) != 1 {
				t.Errorf("GET %s as %+v: %+v", c.path, c.as, d)
			}
		}
	}
}

// TestAPIDisputeReviewResolve: the admin reviews and resolves over the
// API; bad bodies are 400 naming the field (an amount must be decimal
// text, never a JSON number) and change nothing; an adjusted resolution
// posts an adjustment linked to the dispute, marks the period for a
// re-run, and every action is in the audit log.
func TestAPIDisputeReviewResolve(t *testing.T) {
	f := newFixture(t)
	plan, comp, _ := lineOf(t, f, repPerson)
	_, _, otherTxn := lineOf(t, f, otherPerson)
	open := func(body map[string]string) int64 {
		code, b, _ := f.call(t, apiReq{who: "rep", token: true}, "POST", "/api/statements/"+repPerson+"/"+quarter+"/disputes", jsonBody(body))
		if code != 201 {
			t.Fatalf("open %v: %d %s", body, code, b)
		}
		return decodeDispute(t, b).ID
	}
	line := open(map[string]string{"plan": plan, "component": comp, "text": "the split was missed"})
	deal := open(map[string]string{"txn": otherTxn, "text": "this deal is mine"})
	admin, adminTok := apiReq{who: "admin"}, apiReq{who: "admin", token: true}
	at := func(id int64, what string) string { return fmt.Sprintf("/api/disputes/%d/%s", id, what) }
	adjust := `{"action": "adjust", "amount": "125.50", "earning_code": "ADJ", "note": "split missed"}`
	steps := []struct {
		name       string
		as         apiReq
		path, body string
		want       int
		msg        string
	}{
		{"rep may not review", apiReq{who: "rep", token: true}, at(line, "review"), `{"note": "x"}`, 403, "your role (rep)"},
		{"manager may not resolve", apiReq{who: "manager"}, at(line, "resolve"), adjust, 403, "your role (manager)"},
		{"no CSRF header", apiReq{who: "admin", noCSRF: true}, at(line, "resolve"), adjust, 403, "CSRF"},
		{"no such dispute", admin, at(999, "review"), `{"note": "x"}`, 404, "no dispute 999"},
		{"review: unknown field", admin, at(line, "review"), `{"notes": "x"}`, 400, "notes: unknown field; the fields are note"},
		{"review", admin, at(line, "review"), `{"note": "looking into it"}`, 200, ""},
		{"review twice", adminTok, at(line, "review"), `{"note": "again"}`, 409, "only an open dispute goes into review"},
		{"amount a JSON number", admin, at(line, "resolve"), `{"action": "adjust", "amount": 125.5, "earning_code": "ADJ", "note": "n"}`, 400,
			`amount: give the amount as a JSON string such as "125.50", not 125.5`},
		{"amount not decimal", admin, at(line, "resolve"), `{"action": "adjust", "amount": "12,50", "earning_code": "ADJ", "note": "n"}`, 400,
			`amount: "12,50" is not a decimal amount`},
		{"amount too precise", admin, at(line, "resolve"), `{"action": "adjust", "amount": "10.005", "earning_code": "ADJ", "note": "n"}`, 400,
			"amount: 10.005 has more decimals than USD's 2"},
		{"amount zero", admin, at(line, "resolve"), `{"action": "adjust", "amount": "0", "earning_code": "ADJ", "note": "n"}`, 400,
			"amount: an adjustment of 0 changes nothing"},
		{"no amount", admin, at(line, "resolve"), `{"action": "adjust", "earning_code": "ADJ", "note": "n"}`, 400, "amount: required"},
		{"no earning code", admin, at(line, "resolve"), `{"action": "adjust", "amount": "10", "note": "n"}`, 400, "earning_code: required"},
		{"bad currency", admin, at(line, "resolve"), `{"action": "adjust", "amount": "10", "earning_code": "ADJ", "currency": "XYZ", "note": "n"}`, 400,
			`currency: "XYZ" is not an ISO 4217 currency`},
		{"no note", admin, at(line, "resolve"), `{"action": "adjust", "amount": "10", "earning_code": "ADJ"}`, 400, "note: required"},
		{"no action", admin, at(line, "resolve"), `{"amount": "10", "earning_code": "ADJ", "note": "n"}`, 400, `action: required: "adjust"`},
		{"unknown action", admin, at(line, "resolve"), `{"action": "approve", "note": "n"}`, 400, `action: "approve" is neither`},
		{"reject with an amount", admin, at(line, "resolve"), `{"action": "reject", "amount": "10", "note": "n"}`, 400, "amount: a rejection posts nothing"},
		{"reject with an earning code", admin, at(line, "resolve"), `{"action": "reject", "earning_code": "ADJ", "note": "n"}`, 400, "drop the earning code"},
		{"note a number", admin, at(line, "resolve"), `{"action": "reject", "note": 1}`, 400, "note: want a JSON string, not a JSON number"},
		{"amount twice, in another letter case", admin, at(line, "resolve"),
			`{"action": "adjust", "amount": "5.00", "earning_code": "ADJ", "note": "n", "AMOUNT": "5000.00"}`, 400,
			`AMOUNT: given twice (as "amount" and "AMOUNT")`},
		{"a field in another letter case", adminTok, at(line, "resolve"), `{"action": "adjust", "Amount": "5000.00", "earning_code": "ADJ", "note": "n"}`, 400,
			"Amount: unknown field (field names are case-sensitive: amount)"},
		{"note twice", admin, at(line, "resolve"), `{"action": "reject", "note": "n", "note": "m"}`, 400, "note: given twice"},
		{"adjust", admin, at(line, "resolve"), adjust, 200, ""},
		{"resolve twice", adminTok, at(line, "resolve"), `{"action": "reject", "note": "no"}`, 409, "is already resolved (adjusted)"},
		{"reject the deal", adminTok, at(deal, "resolve"), `{"action": "reject", "note": "the deal is ae-6's"}`, 200, ""},
	}
	var adjusted apiDispute
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, body, _ := f.call(t, s.as, "POST", s.path, s.body)
			if code != s.want {
				t.Fatalf("%d, want %d\n%s", code, s.want, body)
			}
			if code != 200 {
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, s.msg) {
					t.Errorf("error %q (%v), want it to say %q", e.Error, err, s.msg)
				}
				return
			}
			d := decodeDispute(t, body)
			switch s.name {
			case "review":
				if d.State != storage.DisputeInReview || d.Note != "looking into it" || len(d.History) != 2 || d.History[1].By != f.users["admin"].Email {
					t.Errorf("reviewed: %+v", d)
				}
			case "adjust":
				adjusted = d
			case "reject the deal":
				if d.State != storage.DisputeResolved || d.Resolution != storage.ResolutionRejected || d.Adjustment != nil || d.AdjustmentID != 0 || d.PostsInto != "" {
					t.Errorf("rejected: %+v", d)
				}
			}
		})
	}

	// The adjusted resolution: the answer, the stored adjustment it
	// links to, and the period marked for a re-run.
	a := adjusted.Adjustment
	if adjusted.State != storage.DisputeResolved || adjusted.Resolution != storage.ResolutionAdjusted || a == nil ||
		a.Amount != "125.50" || a.Currency != "USD" || a.EarningCode != "ADJ" || a.Person != repPerson || a.Period != quarter ||
		a.Source != fmt.Sprintf("dispute/%d", line) || a.By != f.users["admin"].Email || adjusted.AdjustmentID != a.ID ||
		adjusted.PostsInto != quarter || len(adjusted.History) != 3 {
		t.Fatalf("adjusted: %+v, adjustment %+v", adjusted, a)
	}
	stored, err := f.st.AdjustmentList(t.Context(), quarter, []string{repPerson})
	if err != nil {
		t.Fatal(err)
	}
	var linked int
	for _, x := range stored {
		if x.Source == fmt.Sprintf("dispute/%d", line) {
			linked++
			if x.ID != a.ID || x.Amount.String() != "125.5" || !strings.Contains(x.Reason, "split missed") {
				t.Errorf("stored adjustment %+v", x)
			}
		}
	}
	if linked != 1 {
		t.Errorf("%d adjustments of dispute %d stored, want 1 (the refused bodies posted nothing)", linked, line)
	}
	q, err := periods.Parse(t.Context(), f.st, quarter)
	if err != nil {
		t.Fatal(err)
	}
	per, err := periods.Get(t.Context(), f.st, q)
	if err != nil || per.NeedsRerun == "" {
		t.Errorf("%s needs a re-run? %q (%v)", quarter, per.NeedsRerun, err)
	}
	// The rep reads the resolution and its adjustment.
	code, body, _ := f.call(t, apiReq{who: "rep", token: true}, "GET", fmt.Sprintf("/api/disputes/%d", line), "")
	if d := decodeDispute(t, body); code != 200 || d.Adjustment == nil || d.Adjustment.ID != a.ID || d.Note != "split missed" {
		t.Errorf("the rep's view: %d %+v", code, d)
	}

	// The audit log: one row per admin action that changed something, by
	// the admin, with what was posted.
	log, err := f.st.AuditList(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if strings.HasPrefix(e.Action, "dispute.") {
			if e.Actor != f.users["admin"].Email {
				t.Errorf("audit row by %q: %+v", e.Actor, e)
			}
			got = append(got, e.Action+": "+e.Detail)
		}
	}
	want := []string{
		fmt.Sprintf("dispute.review: dispute %d: looking into it", line),
		fmt.Sprintf("dispute.resolve: dispute %d adjusted: adjustment %d of 125.5 USD (ADJ) to %s in %s, posts into %s: split missed", line, a.ID, repPerson, quarter, quarter),
		fmt.Sprintf("dispute.resolve: dispute %d rejected: the deal is ae-6's", deal),
	}
	if len(got) != len(want) {
		t.Fatalf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("audit rows:\n%s\nlack %q", strings.Join(got, "\n"), w)
		}
	}
}

// TestDisputeFormFieldNames: the queue's resolve form names its own
// fields in errors (it said "adjust:", the CLI's flag, for its amount
// field).
func TestDisputeFormFieldNames(t *testing.T) {
	f := newFixture(t)
	plan, comp, _ := lineOf(t, f, repPerson)
	if code, body, _ := f.call(t, apiReq{who: "rep"}, "POST", "/api/statements/"+repPerson+"/"+quarter+"/disputes",
		jsonBody(map[string]string{"plan": plan, "component": comp, "text": "x"})); code != 201 {
		t.Fatalf("open: %d %s", code, body)
	}
	for _, c := range []struct {
		amount, currency, want string
	}{
		{"10.005", "", "amount: 10.005 has more decimals than USD&#39;s 2"},
		{"10", "XYZ", "currency: &#34;XYZ&#34; is not an ISO 4217 currency"},
	} {
		form := map[string][]string{"action": {"adjust"}, "amount": {c.amount}, "earning_code": {"ADJ"}, "currency": {c.currency}, "note": {"n"}}
		if code, body, _ := f.do(t, "admin", "POST", "/admin/disputes/1/resolve", form); code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("resolve form with amount %s: %d, want 400 saying %q\n%.2000s", c.amount, code, c.want, body)
		}
	}
}
