package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/storage"
)

// TestManagerHierarchy: a manager's team is who reports to them as of the
// period's last day; when a rep moves to them from 2027-04-01, the rep's
// Q1 statement stays hidden from them (404) and Q2's is theirs.
func TestManagerHierarchy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.session(t, "manager")
	get := func(path string, v any) int {
		t.Helper()
		req, _ := http.NewRequest("GET", f.ts.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "icomp_session", Value: id})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil && resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	var rows []struct {
		Person string `json:"person"`
	}
	if got := get("/api/team/"+quarter, &rows); got != http.StatusOK {
		t.Fatalf("team: %d", got)
	}
	var team []string
	for _, r := range rows {
		team = append(team, r.Person)
	}
	sort.Strings(team)
	if want := "ae-1 ae-2 ae-3 ae-4 ae-5 rm-1 sdr-1 sdr-2 se-1"; strings.Join(team, " ") != want {
		t.Errorf("mgr-1's team in %s = %v, want %s", quarter, team, want)
	}

	people, err := f.st.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: period.MustDate("2027-03-31"), IDs: []string{otherPerson}})
	if err != nil || len(people) != 1 {
		t.Fatalf("%s: %v %v", otherPerson, people, err)
	}
	moved := people[0]
	moved.Manager, moved.EffectiveFrom = mgrPerson, period.MustDate("2027-04-01")
	if err := f.st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.PersonUpsertBatch(ctx, []storage.PersonRecord{moved})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		period string
		want   int
	}{{"2027-Q1", http.StatusNotFound}, {"2027-Q2", http.StatusOK}, {"2027-M03", http.StatusNotFound}, {"2027-M04", http.StatusOK}} {
		if got := get("/api/statements/"+otherPerson+"/"+tt.period, nil); got != tt.want {
			t.Errorf("mgr-1 reading %s's %s statement: %d, want %d", otherPerson, tt.period, got, tt.want)
		}
	}
}
