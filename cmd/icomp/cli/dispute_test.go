package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage/pgtest"
)

// TestDisputeFlow: a rep disputes a statement line, an admin reviews it
// and resolves it with an adjustment; the re-run makes the adjustment
// payable, the statement shows the dispute resolved and the adjustment,
// and payroll pays it.
func TestDisputeFlow(t *testing.T) {
	t.Parallel()
	disputeFlow(t, fixture(t))
}

// TestDisputeFlowPostgres is TestDisputeFlow on Postgres.
func TestDisputeFlowPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	mustIcomp(t, "--db", url, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", url, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", url, "plan", "publish", "testdata/statement/plans")
	mustIcomp(t, "--db", url, "run", "--period", "2027-Q1", "--local")
	disputeFlow(t, url, "--local")
}

func disputeFlow(t *testing.T, db string, runFlags ...string) {
	run := func() result {
		return mustIcomp(t, append([]string{"--db", db, "run", "--period", "2027-Q1"}, runFlags...)...)
	}
	ic := func(args ...string) result { return icomp(t, append([]string{"--db", db}, args...)...) }
	must := func(args ...string) result { return mustIcomp(t, append([]string{"--db", db}, args...)...) }

	if r := must("dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae/commission", "--text", "T003's split is missing", "--by", "ae-1"); r.out != "dispute 1 opened: golden-ae/commission for ae-1 in 2027-Q1\n" {
		t.Fatalf("open: %s", r)
	}
	if r := must("dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--deal", "T003", "--text", "not on my statement", "--by", "ae-1"); r.out != "dispute 2 opened: deal T003 for ae-1 in 2027-Q1\n" {
		t.Fatalf("open deal: %s", r)
	}
	if r := must("dispute", "list", "--state", "open"); strings.Count(r.out, "\n") != 3 || !strings.Contains(r.out, "golden-ae/commission") || !strings.Contains(r.out, "deal T003") {
		t.Fatalf("list --state open: %s", r)
	}
	must("dispute", "review", "1", "--by", "comp-admin")
	if r := must("dispute", "list", "--state", "in_review", "--person", "ae-1"); !strings.Contains(r.out, "\n1  ") || strings.Contains(r.out, "\n2  ") {
		t.Fatalf("list --state in_review: %s", r)
	}
	r := must("dispute", "resolve", "1", "--adjust", "125.50", "--earning-code", "ADJ", "--note", "split added", "--by", "comp-admin")
	if !strings.Contains(r.out, "dispute 1 resolved: adjustment 1 recorded: 125.50 USD ADJ for ae-1 in 2027-Q1") {
		t.Fatalf("resolve: %s", r)
	}
	must("dispute", "resolve", "2", "--reject", "--note", "T003 is credited in full", "--by", "comp-admin")

	show := must("dispute", "show", "1", "--format", "json")
	var v struct {
		State, Resolution string
		Adjustment        struct{ ID int64 }
		History           []struct {
			State, By    string
			AdjustmentID int64 `json:"adjustment_id"`
		}
	}
	if err := json.Unmarshal([]byte(show.out), &v); err != nil {
		t.Fatalf("show --format json: %v\n%s", err, show.out)
	}
	if v.State != "resolved" || v.Resolution != "adjusted" || v.Adjustment.ID != 1 || len(v.History) != 3 ||
		v.History[0].By != "ae-1" || v.History[1].State != "in_review" || v.History[2].AdjustmentID != 1 {
		t.Fatalf("show: %+v\n%s", v, show.out)
	}

	// The adjustment is an input until the period runs again.
	if r := ic("period", "approve", "2027-Q1"); r.code == ExitOK {
		t.Fatalf("approve before the re-run: %s", r)
	}
	if r := run(); !strings.Contains(r.out, " 1 ledger line(s) posted") {
		t.Fatalf("re-run: %s", r)
	}
	// The adjustment's own payable line can be disputed too.
	if r := must("dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--line", "/adjustment/1", "--text", "should be 150", "--by", "ae-1"); r.out != "dispute 3 opened: /adjustment/1 for ae-1 in 2027-Q1\n" {
		t.Fatalf("open on the adjustment line: %s", r)
	}
	must("dispute", "resolve", "3", "--reject", "--note", "125.50 is the split", "--by", "comp-admin")
	s := must("statement", "--person", "ae-1", "--period", "2027-Q1")
	for _, want := range []string{
		"  adjustment 1                         125.50 USD [ADJ] by comp-admin: dispute 1: split added\n",
		"\nDisputes\n  dispute 1 on line golden-ae/commission of 2027-Q1, opened by ae-1 at ",
		": T003's split is missing\n    resolved (adjusted) by comp-admin at ",
		": split added; adjustment 1: 125.50 USD [ADJ]\n",
		"  dispute 2 on missing deal T003 of 2027-Q1, opened by ae-1 at ",
		"    resolved (rejected) by comp-admin at ",
	} {
		if !strings.Contains(s.out, want) {
			t.Errorf("statement lacks %q:\n%s", want, s.out)
		}
	}
	var st reports.Statement
	if err := json.Unmarshal([]byte(must("statement", "--person", "ae-1", "--period", "2027-Q1", "--format", "json").out), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Disputes) != 3 || st.Disputes[0].Resolution != "adjusted" || st.Disputes[0].Adjustment == nil || st.Disputes[0].Adjustment.Amount.String() != "125.5" ||
		st.Disputes[1].Deal != "T003" || st.Disputes[1].Resolution != "rejected" || st.Disputes[1].Note != "T003 is credited in full" {
		t.Fatalf("statement JSON disputes: %+v", st.Disputes)
	}
	// Another rep's statement does not show them.
	if s := must("statement", "--person", "ae-2", "--period", "2027-Q1"); strings.Contains(s.out, "Disputes") {
		t.Fatalf("ae-2's statement shows ae-1's disputes:\n%s", s.out)
	}
	// The adjustment is payable: payroll pays it.
	must("period", "approve", "2027-Q1", "--by", "cfo")
	out := filepath.Join(t.TempDir(), "batch.csv")
	must("export", "payroll", "--period", "2027-Q1", "--pay-date", "2027-04-15", "--out", out)
	batch, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(batch), "ae-1,ae-1,Ana Lopez,,adjustment/1,ADJ,2027-Q1,125.50,USD,2027-Q1,2027-04-15,") {
		t.Fatalf("payroll batch lacks the dispute's adjustment:\n%s", batch)
	}

	// A dispute of a closed period: the adjustment stays earned in Q1 and
	// its re-run posts it into Q2, labelled, as any late adjustment.
	must("period", "close", "2027-Q1", "--by", "cfo")
	must("dispute", "open", "--person", "ae-2", "--period", "2027-Q1", "--line", "golden-ae/new_logo_spiff", "--text", "two new logos", "--by", "ae-2")
	r = must("dispute", "resolve", "4", "--adjust", "200", "--earning-code", "SPIFF", "--note", "second logo", "--by", "comp-admin")
	if !strings.Contains(r.errOut, "2027-Q1 is closed: the adjustment posts into 2027-Q2 as a prior-period adjustment") {
		t.Fatalf("resolve into a closed period: %s", r)
	}
	run()
	q2 := must("statement", "--person", "ae-2", "--period", "2027-Q2")
	for _, want := range []string{
		"  prior period 2027-Q1                 200.00 USD  adjustment/2: prior-period adjustment: corrects 2027-Q1 (closed); adjustment 2 by comp-admin: dispute 4: second logo\n",
		"\nDisputes\n  dispute 4 on line golden-ae/new_logo_spiff of 2027-Q1, opened by ae-2 at ",
		"    resolved (adjusted) by comp-admin at ",
	} {
		if !strings.Contains(q2.out, want) {
			t.Errorf("Q2 statement after the closed-period dispute lacks %q:\n%s", want, q2.out)
		}
	}
	if r := must("ledger", "verify"); !strings.HasPrefix(r.out, "ok: ") {
		t.Fatalf("ledger verify: %s", r)
	}
	// Someone with no lines who disputes a missing deal has a statement
	// that shows the dispute.
	must("dispute", "open", "--person", "mgr-1", "--period", "2027-Q1", "--deal", "T001", "--text", "I sourced T001", "--by", "mgr-1")
	if s := must("statement", "--person", "mgr-1", "--period", "2027-Q1"); !strings.Contains(s.out, "\nDisputes\n  dispute 5 on missing deal T001 of 2027-Q1, opened by mgr-1 at ") {
		t.Fatalf("statement of someone with only a dispute:\n%s", s.out)
	}
	must("dispute", "resolve", "5", "--reject", "--note", "sourcing pays no commission", "--by", "comp-admin")
	if r := must("dispute", "aging", "--as-of", "2099-01-01"); !strings.Contains(r.out, "31+ days: 0") || !strings.Contains(r.out, "0-7 days: 0") {
		t.Fatalf("aging with every dispute resolved: %s", r)
	}
}

// TestDisputeErrors: each mistake is refused with a message naming it,
// and writes nothing.
func TestDisputeErrors(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae/commission", "--text", "x", "--by", "ae-1")
	mustIcomp(t, "--db", db, "dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--deal", "T001", "--text", "y", "--by", "ae-1")
	mustIcomp(t, "--db", db, "dispute", "resolve", "2", "--reject", "--note", "no", "--by", "admin")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown line", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae/bonus", "--text", "x"},
			"line: ae-1 has no line golden-ae/bonus in 2027-Q1; the lines are: golden-ae/commission, "},
		{"line without component", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae", "--text", "x"}, "write it as PLAN/COMPONENT"},
		{"line without plan", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--line", "/commission", "--text", "x"}, "write it as PLAN/COMPONENT"},
		{"unknown adjustment line", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--line", "/adjustment/9", "--text", "x"}, "has no line /adjustment/9 in 2027-Q1"},
		{"period not run", []string{"open", "--person", "ae-1", "--period", "2027-Q3", "--line", "golden-ae/commission", "--text", "x"}, "ae-1 has no statement lines in 2027-Q3: has the period been run?"},
		{"unknown deal", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--deal", "T-17", "--text", "x"}, `deal: no transaction "T-17"`},
		{"unknown person", []string{"open", "--person", "nobody", "--period", "2027-Q1", "--deal", "T001", "--text", "x"}, `person: no person "nobody"`},
		{"line and deal", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--deal", "T001", "--line", "golden-ae/commission", "--text", "x"}, "either --line PLAN/COMPONENT or --deal TXN"},
		{"bad period", []string{"open", "--person", "ae-1", "--period", "2027-Q9", "--deal", "T001", "--text", "x"}, "period: "},
		{"blank text", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--deal", "T001", "--text", " "}, "text: required"},
		// regression: a second open dispute on a line (a double click)
		// could be resolved with a second adjustment
		{"the same line twice", []string{"open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae/commission", "--text", "again"}, "dispute 1 about this is still open"},
		{"too many decimals", []string{"resolve", "1", "--adjust", "10.005", "--earning-code", "ADJ", "--note", "n"}, "adjust: 10.005 has more decimals than USD's 2"},
		{"zero adjustment", []string{"resolve", "1", "--adjust", "0", "--earning-code", "ADJ", "--note", "n"}, "adjust: an adjustment of 0 changes nothing"},
		{"not a number", []string{"resolve", "1", "--adjust", "1e3", "--earning-code", "ADJ", "--note", "n"}, `adjust: "1e3" is not a decimal amount`},
		{"no earning code", []string{"resolve", "1", "--adjust", "10", "--note", "n"}, "--adjust needs --earning-code"},
		{"adjust and reject", []string{"resolve", "1", "--adjust", "10", "--earning-code", "ADJ", "--reject", "--note", "n"}, "either --adjust AMOUNT"},
		{"bad currency", []string{"resolve", "1", "--adjust", "10", "--earning-code", "ADJ", "--currency", "XYZ", "--note", "n"}, `currency: "XYZ" is not an ISO 4217 currency`},
		{"resolve resolved", []string{"resolve", "2", "--adjust", "10", "--earning-code", "ADJ", "--note", "n"}, "dispute 2 is already resolved (rejected) by admin at "},
		{"review resolved", []string{"review", "2"}, "dispute 2 is resolved (rejected) by admin at "},
		{"unknown dispute", []string{"show", "99"}, "no dispute 99"},
		{"resolve unknown", []string{"resolve", "99", "--reject", "--note", "n"}, "no dispute 99"},
		{"bad id", []string{"show", "one"}, `dispute id "one"`},
		{"bad state", []string{"list", "--state", "closed"}, `state: "closed" is not one of open, in_review, resolved`},
		{"bad as-of", []string{"aging", "--as-of", "2027-13-01"}, `--as-of "2027-13-01"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := icomp(t, append([]string{"--db", db, "dispute"}, tc.args...)...)
			if r.code == ExitOK || !strings.Contains(r.errOut, tc.want) {
				t.Fatalf("want an error containing %q, got %s", tc.want, r)
			}
		})
	}
	// Nothing above wrote anything: two disputes, no adjustment.
	if r := mustIcomp(t, "--db", db, "dispute", "list"); strings.Count(r.out, "\n") != 3 {
		t.Fatalf("list after refused requests: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "dispute", "show", "1"); !strings.Contains(r.out, "state: open\n") || strings.Contains(r.out, "adjustment") {
		t.Fatalf("dispute 1 after refused requests: %s", r)
	}
}
