package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/icomp/icomp/disputes"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
)

// The principals of the authorization table.
const (
	anon       = "anonymous"
	tokenRep   = "token:rep"
	tokenAdmin = "token:admin"
)

var principals = []string{anon, "admin", "payroll", "manager", "rep", tokenRep, tokenAdmin}

// TestAuthorization is THE authorization table: every route × every role
// (plus the anonymous and API tokens) with the status it must answer.
// A route registered without a row here fails the test.
func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	// s is a shorthand: statuses in the order of principals.
	s := func(codes ...int) map[string]int {
		m := map[string]int{}
		for i, c := range codes {
			m[principals[i]] = c
		}
		return m
	}
	const (
		ok, see, bad, no, nf, anonAPI, created, conflict, bad400 = 200, 303, 403, 403, 404, 401, 202, 409, 400
		unsupported                                              = 415
	)
	_ = bad
	other := "/statements/" + otherPerson + "/" + quarter
	otherSt, err := reports.BuildStatement(t.Context(), f.st, otherPerson, quarter)
	if err != nil || len(otherSt.Plans) == 0 || len(otherSt.Plans[0].Payouts) == 0 {
		t.Fatalf("%s's statement: %v", otherPerson, err)
	}
	otherExplain := reports.ExplainHref("", otherPerson, quarter, otherSt.Plans[0].Plan, otherSt.Plans[0].Payouts[0].Component)
	// Disputes to read over the API: the rep's (dispute 1) and another
	// rep's (dispute 2).
	repPlan, repComp, _ := lineOf(t, f, repPerson)
	var disputeIDs []string
	for _, d := range []disputes.OpenRequest{
		{Person: repPerson, Plan: repPlan, Subject: repComp},
		{Person: otherPerson, Plan: otherSt.Plans[0].Plan, Subject: otherSt.Plans[0].Payouts[0].Component},
	} {
		d.Period, d.Text, d.By, d.At = quarter, "authz", "test", "2027-04-02T00:00:00Z"
		got, err := disputes.Open(t.Context(), f.st, d)
		if err != nil {
			t.Fatal(err)
		}
		disputeIDs = append(disputeIDs, "/api/disputes/"+strconv.FormatInt(got.ID, 10))
	}
	repDispute, otherDispute := disputeIDs[0], disputeIDs[1]
	rows := []struct {
		method, path string
		want         map[string]int
	}{
		//                                                      anon     admin    payroll manager rep  tok:rep tok:admin
		{"GET", "/static/style.css", s(ok, ok, ok, ok, ok, ok, ok)},
		{"GET", "/static/statement.css", s(ok, ok, ok, ok, ok, ok, ok)},
		{"GET", "/", s(see, see, see, see, see, see, see)},
		{"GET", "/signin", s(ok, ok, ok, ok, ok, ok, ok)},
		// No sign-in form cookie: refused whoever asks.
		{"POST", "/signin", s(no, no, no, no, no, no, no)},
		{"POST", "/signout", s(see, see, see, see, see, see, see)},
		{"GET", "/statements", s(see, ok, no, ok, ok, see, see)},
		{"GET", "/statements/" + repPerson + "/" + quarter, s(see, ok, no, ok, ok, see, see)},
		{"GET", other, s(see, ok, no, nf, nf, see, see)},
		{"GET", "/statements/nobody/" + quarter, s(see, nf, no, nf, nf, see, see)},
		{"GET", f.payout, s(see, ok, no, ok, ok, see, see)},
		{"GET", "/statements/" + repPerson + "/" + quarter + "/pdf", s(see, ok, no, ok, ok, see, see)},
		{"GET", other + "/pdf", s(see, ok, no, nf, nf, see, see)},
		{"GET", f.explain, s(see, ok, no, ok, ok, see, see)},
		{"GET", otherExplain, s(see, ok, no, nf, nf, see, see)},
		{"GET", "/explain?person=" + repPerson + "&period=" + quarter + "&plan=nope&component=nope", s(see, nf, no, nf, nf, see, see)},
		// Only the person may dispute their statement: the rep's form
		// without text is a 400; a manager or admin who may read it, 403.
		{"POST", "/statements/" + repPerson + "/" + quarter + "/disputes", s(see, no, no, no, bad400, see, see)},
		{"POST", other + "/disputes", s(see, no, no, nf, nf, see, see)},
		{"GET", "/disputes", s(see, ok, no, ok, ok, see, see)},
		{"GET", "/team", s(see, ok, no, ok, no, see, see)},
		{"GET", "/admin", s(see, ok, no, no, no, see, see)},
		{"POST", "/admin/periods/2027-M06/run", s(see, see, no, no, no, see, see)},
		// No period in the form: the admin gets 404 (no such period).
		{"POST", "/admin/runs", s(see, nf, no, no, no, see, see)},
		{"POST", "/admin/periods/2027-M05/approve", s(see, conflict, no, no, no, see, see)},
		{"POST", "/admin/periods/2027-M05/close", s(see, conflict, no, no, no, see, see)},
		{"GET", "/admin/runs/1", s(see, ok, no, no, no, see, see)},
		{"GET", "/admin/plans", s(see, ok, no, no, no, see, see)},
		// No plan of that name: 404 (TestPlanDiffPage diffs real versions).
		{"GET", "/admin/plans/no-such-plan/diff", s(see, nf, no, no, no, see, see)},
		{"GET", "/admin/audit", s(see, ok, no, no, no, see, see)},
		{"GET", "/admin/users", s(see, ok, no, no, no, see, see)},
		// No user or token 999999: 404 (TestAdminUsersPage changes real ones).
		{"POST", "/admin/users/999999/disable", s(see, nf, no, no, no, see, see)},
		{"POST", "/admin/users/999999/enable", s(see, nf, no, no, no, see, see)},
		{"POST", "/admin/tokens/999999/revoke", s(see, nf, no, no, no, see, see)},
		{"GET", "/admin/whatif", s(see, ok, no, no, no, see, see)},
		// No period nor plan in the form: 400.
		{"POST", "/admin/whatif", s(see, bad400, no, no, no, see, see)},
		{"GET", "/admin/disputes", s(see, ok, no, no, no, see, see)},
		{"GET", "/admin/disputes?state=nonsense", s(see, bad400, no, no, no, see, see)},
		// Dispute 1 goes into review; no dispute 99: 404; resolve without
		// an action: 400.
		{"POST", "/admin/disputes/99/review", s(see, nf, no, no, no, see, see)},
		{"POST", "/admin/disputes/1/resolve", s(see, bad400, no, no, no, see, see)},
		{"GET", "/payroll", s(see, ok, ok, no, no, see, see)},
		{"GET", "/payroll/1/csv", s(see, ok, ok, no, no, see, see)},
		{"GET", "/api/me", s(anonAPI, ok, ok, ok, ok, ok, ok)},
		{"GET", "/api/periods", s(anonAPI, ok, ok, ok, ok, ok, ok)},
		{"GET", "/api/statements/" + repPerson + "/" + quarter, s(anonAPI, ok, no, ok, ok, ok, ok)},
		{"GET", "/api" + other, s(anonAPI, ok, no, nf, nf, nf, ok)},
		{"GET", "/api" + f.explain, s(anonAPI, ok, no, ok, ok, ok, ok)},
		{"GET", "/api" + otherExplain, s(anonAPI, ok, no, nf, nf, nf, ok)},
		{"GET", "/api/disputes", s(anonAPI, ok, no, ok, ok, ok, ok)},
		// JSON API disputes: the table posts form bodies (415 once past
		// the role and visibility checks); only the person may open one.
		{"POST", "/api/statements/" + repPerson + "/" + quarter + "/disputes", s(anonAPI, no, no, no, unsupported, unsupported, no)},
		{"POST", "/api" + other + "/disputes", s(anonAPI, no, no, nf, nf, nf, no)},
		{"GET", repDispute, s(anonAPI, ok, no, ok, ok, ok, ok)},
		{"GET", otherDispute, s(anonAPI, ok, no, nf, nf, nf, ok)},
		{"GET", "/api/disputes/99", s(anonAPI, nf, no, nf, nf, nf, nf)},
		{"POST", otherDispute + "/review", s(anonAPI, unsupported, no, no, no, no, unsupported)},
		{"POST", otherDispute + "/resolve", s(anonAPI, unsupported, no, no, no, no, unsupported)},
		{"GET", "/api/team/" + quarter, s(anonAPI, ok, no, ok, no, no, ok)},
		{"POST", "/api/periods/2027-M06/runs", s(anonAPI, created, no, no, no, no, created)},
		{"GET", "/api/runs/1", s(anonAPI, ok, no, no, no, no, ok)},
		{"GET", "/api/payroll", s(anonAPI, ok, ok, no, no, no, ok)},
		{"GET", "/api/payroll/1/csv", s(anonAPI, ok, ok, no, no, no, ok)},
		{"POST", "/api/whatif", s(anonAPI, bad400, no, no, no, no, bad400)},
		{"GET", "/api/audit", s(anonAPI, ok, no, no, no, no, ok)},
	}
	mux := f.srv.Handler().(*http.ServeMux)
	covered := map[string]bool{}
	for _, row := range rows {
		req, _ := http.NewRequest(row.method, f.ts.URL+row.path, nil)
		if _, pattern := mux.Handler(req); pattern != "" {
			covered[pattern] = true
		} else {
			t.Errorf("%s %s matches no route", row.method, row.path)
		}
		for _, who := range principals {
			want, ok := row.want[who]
			if !ok {
				t.Errorf("%s %s: no expected status for %s", row.method, row.path, who)
				continue
			}
			var body io.Reader
			req, _ := http.NewRequest(row.method, f.ts.URL+row.path, nil)
			switch who {
			case anon:
			case tokenRep, tokenAdmin:
				req.Header.Set("Authorization", "Bearer "+f.tokens[strings.TrimPrefix(who, "token:")])
			default:
				id, csrf := f.session(t, who)
				req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
				if row.method == "POST" {
					body = strings.NewReader(url.Values{"csrf": {csrf}}.Encode())
					req, _ = http.NewRequest(row.method, f.ts.URL+row.path, body)
					req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s %s as %s: %d, want %d\n%.300s", row.method, row.path, who, resp.StatusCode, want, msg)
			}
			f.waitRuns(t)
		}
	}
	for _, rt := range f.srv.Routes() {
		if !covered[rt.Pattern()] {
			t.Errorf("route %s has no row in the authorization table", rt.Pattern())
		}
		if rt.Roles != nil && len(rt.Roles) == 0 {
			t.Errorf("route %s: no role may use it", rt.Pattern())
		}
	}
	// Everyone the table ran as made admin actions visible: the run
	// starts and refused approvals of the admin are in the audit log.
	log, err := f.st.AuditList(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, a := range log {
		actions[a.Action]++
	}
	if actions["run.start"] < 2 || actions["payroll.download"] < 4 {
		t.Errorf("audit log actions %v: want the admin's run starts and every payroll download", actions)
	}
	_ = storage.RoleAdmin
}
