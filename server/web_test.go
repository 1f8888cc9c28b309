package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// do sends a request as the user (session cookie; a POST's form with its
// CSRF token) and returns the status and body.
func (f *fixture) do(t *testing.T, who, method, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	id, csrf := f.session(t, who)
	var body io.Reader
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		form.Set("csrf", csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// ledgerDigest is the digest of every stored ledger line.
func ledgerDigest(t *testing.T, f *fixture) string {
	t.Helper()
	lines, err := f.st.LedgerLineList(context.Background(), storage.LedgerLineListParams{})
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Digest(lines)
}

// TestStatementAndExplain: the statement page is reports.WriteHTML's
// fragment inside the layout, its explanation links open, and the API's
// explanation is of the line the statement shows.
func TestStatementAndExplain(t *testing.T) {
	f := newFixture(t)
	st, err := reports.BuildStatement(t.Context(), f.st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := f.do(t, "rep", "GET", "/statements/"+repPerson+"/"+quarter, nil)
	if code != 200 {
		t.Fatalf("statement: %d\n%.500s", code, body)
	}
	for _, want := range []string{`<article class="icomp-statement"`, `href="/static/statement.css"`, `href="` + strings.ReplaceAll(f.explain, "&", "&amp;") + `"`, `id="dispute-forms"`} {
		if !strings.Contains(body, want) {
			t.Errorf("statement page lacks %s", want)
		}
	}
	if strings.Contains(body, "<style") {
		t.Error("statement page has an inline <style>, which the Content-Security-Policy forbids")
	}
	// A manager reads the rep's statement but gets no dispute forms.
	if code, body, _ := f.do(t, "manager", "GET", "/statements/"+repPerson+"/"+quarter, nil); code != 200 || strings.Contains(body, `id="dispute-forms"`) {
		t.Errorf("manager on the rep's statement: %d, dispute forms shown: %v", code, strings.Contains(body, `id="dispute-forms"`))
	}
	code, body, _ = f.do(t, "rep", "GET", f.explain, nil)
	if code != 200 || !strings.Contains(body, `id="explain"`) || !strings.Contains(body, "the same amount") {
		t.Errorf("explain page: %d\n%.800s", code, body)
	}
	req, _ := http.NewRequest("GET", f.ts.URL+"/api"+f.explain, nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["rep"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var x reports.Explanation
	if err := json.NewDecoder(resp.Body).Decode(&x); err != nil {
		t.Fatal(err)
	}
	po := st.Plans[0].Payouts[0]
	if x.Person != repPerson || x.Plan != st.Plans[0].Plan || x.Component != po.Component || !x.Amount.Equal(po.Amount) || !x.Check.Matches {
		t.Errorf("API explanation %s %s/%s %s (matches %v), want the statement's %s %s", x.Person, x.Plan, x.Component, x.Amount, x.Check.Matches, po.Component, po.Amount)
	}
}

// TestDisputeForms: the rep disputes a line and a missing deal from the
// statement, a manager may not dispute for them, the admin reviews,
// resolves with an adjustment and rejects, each recorded in the audit log,
// and the statement shows the disputes.
func TestDisputeForms(t *testing.T) {
	f := newFixture(t)
	st, err := reports.BuildStatement(t.Context(), f.st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	plan, comp := st.Plans[0].Plan, st.Plans[0].Payouts[0].Component
	base := "/statements/" + repPerson + "/" + quarter + "/disputes"
	// A deal credited to another rep: "missing" from this one's statement.
	other, err := reports.BuildStatement(t.Context(), f.st, otherPerson, quarter)
	if err != nil || len(other.Plans) == 0 || len(other.Plans[0].Credits) == 0 {
		t.Fatalf("%s's credits: %v", otherPerson, err)
	}
	txn := other.Plans[0].Credits[0].Txn
	cases := []struct {
		who  string
		form url.Values
		want int
	}{
		{"rep", url.Values{"plan": {plan}, "component": {comp}, "text": {"the Acme renewal is missing"}}, 303},
		{"rep", url.Values{"txn": {txn}, "text": {"this deal is mine"}}, 303},
		{"rep", url.Values{"plan": {plan}, "component": {"no-such"}, "text": {"x"}}, 400},
		{"rep", url.Values{"plan": {plan}, "component": {comp}}, 400},
		{"manager", url.Values{"plan": {plan}, "component": {comp}, "text": {"on their behalf"}}, 403},
		{"admin", url.Values{"plan": {plan}, "component": {comp}, "text": {"on their behalf"}}, 403},
	}
	for _, c := range cases {
		if code, body, _ := f.do(t, c.who, "POST", base, c.form); code != c.want {
			t.Errorf("%s opens %v: %d, want %d\n%.300s", c.who, c.form, code, c.want, body)
		}
	}
	if code, body, _ := f.do(t, "rep", "GET", "/disputes", nil); code != 200 || !strings.Contains(body, "the Acme renewal is missing") || !strings.Contains(body, "deal "+txn) {
		t.Errorf("my disputes: %d\n%.1000s", code, body)
	}
	if code, body, _ := f.do(t, "other", "GET", "/disputes", nil); code != 200 || strings.Contains(body, "Acme") {
		t.Errorf("another rep's disputes show the rep's: %d", code)
	}
	// The queue shows the opening text once: it is not a transition's note.
	if code, body, _ := f.do(t, "admin", "GET", "/admin/disputes?state=open", nil); code != 200 || strings.Count(body, "the Acme renewal is missing") != 1 {
		t.Errorf("open queue: %d, the dispute's text %d times", code, strings.Count(body, "the Acme renewal is missing"))
	}
	steps := []struct {
		path string
		form url.Values
		want int
	}{
		{"/admin/disputes/1/review", url.Values{"note": {"looking"}}, 303},
		{"/admin/disputes/1/review", url.Values{"note": {"again"}}, 409},
		{"/admin/disputes/1/resolve", url.Values{"action": {"adjust"}, "amount": {"125.00"}, "earning_code": {"ADJ"}, "note": {"split missed"}}, 303},
		{"/admin/disputes/1/resolve", url.Values{"action": {"reject"}, "note": {"twice"}}, 409},
		{"/admin/disputes/2/resolve", url.Values{"action": {"adjust"}, "note": {"no amount"}}, 400},
		{"/admin/disputes/2/resolve", url.Values{"action": {"reject"}, "note": {"the deal is ae-2's"}}, 303},
		{"/admin/disputes/99/review", nil, 404},
	}
	for _, s := range steps {
		if code, body, _ := f.do(t, "admin", "POST", s.path, s.form); code != s.want {
			t.Errorf("admin %s %v: %d, want %d\n%.300s", s.path, s.form, code, s.want, body)
		}
	}
	if code, body, _ := f.do(t, "admin", "GET", "/admin/disputes?state=resolved", nil); code != 200 || !strings.Contains(body, "resolved (adjusted)") || !strings.Contains(body, "resolved (rejected)") {
		t.Errorf("resolved queue: %d\n%.1000s", code, body)
	}
	log, err := f.st.AuditList(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		if strings.HasPrefix(a.Action, "dispute.") {
			actions = append(actions, a.Action+": "+a.Detail)
		}
	}
	if len(actions) != 3 || !strings.Contains(strings.Join(actions, "\n"), "adjustment 1 of 125") {
		t.Errorf("audit log of the dispute actions:\n%s", strings.Join(actions, "\n"))
	}
	// The API: the rep sees their two disputes, the other rep none.
	for who, want := range map[string]int{"rep": 2, "admin": 2} {
		req, _ := http.NewRequest("GET", f.ts.URL+"/api/disputes", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ds []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&ds)
		resp.Body.Close()
		if err != nil || len(ds) != want || ds[0]["resolution"] != "adjusted" || ds[0]["adjustment_id"] != float64(1) {
			t.Errorf("GET /api/disputes as %s: %v %v", who, err, ds)
		}
	}
	if code, body, _ := f.do(t, "other", "GET", "/api/disputes", nil); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("GET /api/disputes as another rep: %d %s", code, body)
	}
	// Asking for the rep's disputes by person: their manager sees them (the
	// statement rule), another rep none, and the manager's own list is
	// theirs (none).
	for _, tc := range []struct {
		who, query string
		want       int
	}{
		{"manager", "?person=" + repPerson, 2},
		{"manager", "?person=" + repPerson + "&period=" + quarter, 2},
		{"manager", "", 0},
		{"manager", "?person=" + otherPerson, 0},
		{"other", "?person=" + repPerson, 0},
		{"rep", "?person=" + repPerson, 2},
	} {
		code, body, _ := f.do(t, tc.who, "GET", "/api/disputes"+tc.query, nil)
		var ds []map[string]any
		if err := json.Unmarshal([]byte(body), &ds); code != 200 || err != nil || len(ds) != tc.want {
			t.Errorf("GET /api/disputes%s as %s: %d, %d disputes, want %d: %v\n%.300s", tc.query, tc.who, code, len(ds), tc.want, err, body)
		}
	}
	code, body, _ := f.do(t, "rep", "GET", "/statements/"+repPerson+"/"+quarter, nil)
	if code != 200 || !strings.Contains(body, "split missed") || !strings.Contains(body, "the deal is ae-2&#39;s") {
		t.Errorf("statement does not show the resolved disputes: %d", code)
	}
}

// TestWhatIfPage: a candidate with the renewal rate at 3% instead of 2%,
// pasted in the page and posted to the API, reports what reports.RunWhatIf
// reports, a positive total change, and posts nothing.
func TestWhatIfPage(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	cand := aeCandidate(t, f)
	fl, err := reports.LoadCandidate("candidate.yaml", []byte(cand))
	if err != nil {
		t.Fatal(err)
	}
	want, err := reports.RunWhatIf(ctx, f.st, reports.WhatIfInput{Plan: fl.Comp, Period: quarter})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Totals) == 0 || !want.Totals[0].Delta.IsPositive() {
		t.Fatalf("the direct what-if changes nothing: %+v", want.Totals)
	}
	before := ledgerDigest(t, f)

	code, body, _ := f.do(t, "admin", "POST", "/admin/whatif", url.Values{"period": {quarter}, "plan": {cand}})
	if code != 200 || !strings.Contains(body, `id="whatif-totals"`) || !strings.Contains(body, want.Totals[0].Delta.StringFixed(2)) {
		t.Errorf("what-if page: %d, want the total change %s\n%.2000s", code, want.Totals[0].Delta.StringFixed(2), body)
	}
	req, _ := http.NewRequest("POST", f.ts.URL+"/api/whatif", strings.NewReader(url.Values{"period": {quarter}, "plan": {cand}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got reports.WhatIf
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.People) != len(want.People) || len(got.Totals) != len(want.Totals) || !got.Totals[0].Delta.Equal(want.Totals[0].Delta) {
		t.Errorf("API what-if totals %+v, want %+v", got.Totals, want.Totals)
	}
	for i := range got.People {
		if i < len(want.People) && (got.People[i].Person != want.People[i].Person || !got.People[i].Delta.Equal(want.People[i].Delta)) {
			t.Errorf("person %d: %s %s, want %s %s", i, got.People[i].Person, got.People[i].Delta, want.People[i].Person, want.People[i].Delta)
		}
	}
	sum := decimal.Zero
	for _, p := range got.People {
		sum = sum.Add(p.Delta)
	}
	if !sum.Equal(got.Totals[0].Delta) {
		t.Errorf("per-person deltas add up to %s, the total is %s", sum, got.Totals[0].Delta)
	}
	if after := ledgerDigest(t, f); after != before {
		t.Errorf("the what-if posted: ledger digest %s → %s", before, after)
	}

	// The same candidate uploaded as a file (multipart), the textarea empty.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	id, csrf := f.session(t, "admin")
	_ = mw.WriteField("csrf", csrf)
	_ = mw.WriteField("period", quarter)
	_ = mw.WriteField("plan", "")
	fw, err := mw.CreateFormFile("file", "candidate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(cand))
	_ = mw.Close()
	up, _ := http.NewRequest("POST", f.ts.URL+"/admin/whatif", &mp)
	up.Header.Set("Content-Type", mw.FormDataContentType())
	up.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
	resp, err = http.DefaultClient.Do(up)
	if err != nil {
		t.Fatal(err)
	}
	upBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(upBody), want.Totals[0].Delta.StringFixed(2)) {
		t.Errorf("uploaded candidate: %d, want the total change %s\n%.1500s", resp.StatusCode, want.Totals[0].Delta.StringFixed(2), upBody)
	}

	// A broken candidate: 400 with the file:line:column of the problem.
	bad := strings.Replace(cand, "name:", "nmae:", 1)
	if code, body, _ := f.do(t, "admin", "POST", "/admin/whatif", url.Values{"period": {quarter}, "plan": {bad}}); code != 400 || !strings.Contains(body, "pasted plan:") {
		t.Errorf("broken candidate: %d\n%.1000s", code, body)
	}
	if code, _, _ := f.do(t, "admin", "GET", "/admin/whatif", nil); code != 200 {
		t.Errorf("what-if form: %d", code)
	}

	// A what-if body may be up to 1 MiB (maxPlanBytes; docs/api.md said
	// 64 KiB, the cap of other POSTs): a 100 KiB candidate runs, a
	// larger than 1 MiB one is 413 naming the cap.
	padded := cand + "\n# " + strings.Repeat("x", 100<<10) + "\n"
	if code, body, _ := f.do(t, "admin", "POST", "/admin/whatif", url.Values{"period": {quarter}, "plan": {padded}}); code != 200 || !strings.Contains(body, `id="whatif-totals"`) {
		t.Errorf("a 100 KiB candidate: %d\n%.1000s", code, body)
	}
	huge := cand + "\n# " + strings.Repeat("x", 1<<20) + "\n"
	if code, body, _ := f.do(t, "admin", "POST", "/admin/whatif", url.Values{"period": {quarter}, "plan": {huge}}); code != 413 || !strings.Contains(body, "larger than 1024 KiB") {
		t.Errorf("a 1 MiB candidate: %d, want 413\n%.1000s", code, body)
	}
}

// aeCandidate is the stored AE plan with its renewal rate at 3% instead of
// 2%, as a new version.
func aeCandidate(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	latest, err := f.st.PlanVersionListLatest(ctx, plans.KindCompPlan)
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, v := range latest {
		hist, err := f.st.PlanVersionHistory(ctx, v.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			if strings.Contains(h.Source, "amount: credit.amount * 0.02") && strings.Contains(h.Source, `version: "2027.3"`) {
				src = h.Source
			}
		}
	}
	if src == "" {
		t.Fatal("no stored AE plan with a 2% renewal rule: update the test")
	}
	return strings.Replace(strings.Replace(src, "amount: credit.amount * 0.02", "amount: credit.amount * 0.03", 1), `version: "2027.3"`, `version: "2027.3-web"`, 1)
}
