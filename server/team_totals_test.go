package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

// TestTeamMatchesStatements: the team view reads only the totals it
// shows (reports.TeamTotals), and they are the per-person statements'
// numbers: for every period with lines, as an admin (everyone, several
// plans, currencies and monthly and quarterly periods) and as a manager,
// each row's earned totals equal the statement's Money.Earned and its
// measures the statement's measures with an attainment, in the same
// order; again after a changed deal is re-run (reversals and re-posted
// lines). The HTML page shows the same money and attainment.
func TestTeamMatchesStatements(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check := func(stage string) {
		t.Helper()
		ps, err := f.st.PeriodList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rowsSeen, measuresSeen := 0, 0
		for _, p := range ps {
			for _, who := range []string{"admin", "manager"} {
				var rows []server.TeamRow
				code, body, _ := f.do(t, who, "GET", "/api/team/"+p.Label, nil)
				if code != http.StatusOK {
					t.Fatalf("%s: /api/team/%s as %s: %d %.300s", stage, p.Label, who, code, body)
				}
				if err := json.Unmarshal([]byte(body), &rows); err != nil {
					t.Fatal(err)
				}
				_, page, _ := f.do(t, who, "GET", "/team?period="+p.Label, nil)
				for _, row := range rows {
					want := statementTotals(t, f, row.Person, p.Label)
					if got := fmt.Sprint(totalsText(row.Earned)); got != fmt.Sprint(totalsText(want.Earned)) {
						t.Errorf("%s: %s %s as %s: team earned %s, statement %s", stage, row.Person, p.Label, who, got, totalsText(want.Earned))
					}
					if got, want := measuresText(row.Measures), measuresText(want.Measures); got != want {
						t.Errorf("%s: %s %s as %s: team measures\n%s\nstatement\n%s", stage, row.Person, p.Label, who, got, want)
					}
					for _, e := range row.Earned {
						if s := e.Amount.StringFixed(2) + " " + e.Currency; !strings.Contains(page, s) {
							t.Errorf("%s: /team?period=%s as %s does not show %s's %s", stage, p.Label, who, row.Person, s)
						}
					}
					rowsSeen++
					measuresSeen += len(row.Measures)
				}
			}
		}
		if rowsSeen < 50 || measuresSeen < 20 {
			t.Fatalf("%s: compared %d rows and %d measures: the fixture should have more", stage, rowsSeen, measuresSeen)
		}
	}
	check("demo")

	// Change one of the rep's deals and re-run the quarter.
	st, err := reports.BuildStatement(ctx, f.st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	c := st.Plans[0].Credits[0]
	// The deal whole, as a transactions file gives it, with another amount.
	stored, err := f.st.TransactionGet(ctx, c.Txn)
	if err != nil {
		t.Fatal(err)
	}
	csv := fmt.Sprintf("id,date,type,owner,territory,product,amount,currency\n%s,%s,new,%s,%s,%s,987654.32,USD\n", c.Txn, c.Date, repPerson, stored.Territory, stored.Product)
	if _, err := imports.Transactions(ctx, f.st, strings.NewReader(csv), imports.Options{File: "changed.csv", Format: imports.FormatOf("changed.csv")}); err != nil {
		t.Fatal(err)
	}
	id, _, err := f.runner.Start(ctx, jobs.StartParams{Period: quarter})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if run, err := f.runner.Wait(wctx, id, 20*time.Millisecond, nil); err != nil || run.Status != storage.RunDone {
		t.Fatalf("re-run: %+v %v", run, err)
	}
	after, err := reports.BuildStatement(ctx, f.st, repPerson, quarter)
	if err != nil {
		t.Fatal(err)
	}
	if totalsText(after.Money.Earned) == totalsText(st.Money.Earned) {
		t.Fatalf("the changed deal changed nothing for %s: %s", repPerson, totalsText(after.Money.Earned))
	}
	check("after a re-run")
}

// statementTotals is what the team view must show of a statement.
func statementTotals(t *testing.T, f *fixture, person, label string) reports.PersonTotals {
	t.Helper()
	st, err := reports.BuildStatement(context.Background(), f.st, person, label)
	if errors.Is(err, reports.ErrNoLines) {
		return reports.PersonTotals{}
	}
	if err != nil {
		t.Fatal(err)
	}
	out := reports.PersonTotals{Earned: st.Money.Earned}
	for _, ps := range st.Plans {
		for _, m := range ps.Measures {
			if m.Attainment != "" {
				out.Measures = append(out.Measures, m)
			}
		}
	}
	return out
}

func totalsText(ts []reports.CurrencyTotal) string {
	var b strings.Builder
	for _, x := range ts {
		fmt.Fprintf(&b, "%s %s; ", x.Amount.String(), x.Currency)
	}
	return b.String()
}

func measuresText(ms []reports.StatementMeasure) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s value %s window %s %s..%s credits %d target %s attainment %s\n", m.Measure, m.Value.String(), m.Window, m.From, m.To, m.Credits, m.Target, m.Attainment)
	}
	return b.String()
}
