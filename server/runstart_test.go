package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRunStartNoPlans: a run of a period no published plan computes is
// the caller's mistake, answered 400 with the reason by the API and the
// /admin form alike (it was a 500, "something went wrong"), and starts
// nothing.
func TestRunStartNoPlans(t *testing.T) {
	f := newFixture(t)
	before, err := f.st.RunList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, period string
		want         int
		msg          string
	}{
		{"a year, the plans paying quarterly and monthly", "2027", 400, "no published comp plan is effective in the period 2027"},
		{"a quarter before any plan", "1999-Q1", 400, "no published comp plan is effective in the period 1999-Q1"},
		{"not a period", "2027-X1", 404, "period"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := f.call(t, apiReq{who: "admin", token: true}, "POST", "/api/periods/"+c.period+"/runs", "")
			var e struct{ Error string }
			if code != c.want || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, c.msg) {
				t.Errorf("API: %d %s, want %d saying %q", code, body, c.want, c.msg)
			}
			code, body, _ = f.do(t, "admin", http.MethodPost, "/admin/runs", url.Values{"period": {c.period}})
			if code != c.want || !strings.Contains(body, c.msg) || strings.Contains(body, "something went wrong") {
				t.Errorf("form: %d, want %d saying %q:\n%s", code, c.want, c.msg, body)
			}
		})
	}
	after, err := f.st.RunList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("%d runs, want %d: a refused run was recorded", len(after), len(before))
	}
}
