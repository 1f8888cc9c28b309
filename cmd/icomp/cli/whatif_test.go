package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestWhatIfRateChange runs the demo, then a candidate AE plan whose
// renewal commission rate goes from 2% to 3%. The expected deltas are
// worked out apart from the what-if: from the renewal credits the run
// stored for each AE, 3% of them rounded less 2% of them rounded. Nothing
// may be posted: the ledger digest, the run list and the plan list are
// unchanged.
func TestWhatIfRateChange(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	mustIcomp(t, "demo", "--dir", dir)
	db := filepath.Join(dir, "icomp.db")
	src, err := os.ReadFile(filepath.Join(dir, "plans", "account-executive", "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const oldRule, newRule = "amount: credit.amount * 0.02", "amount: credit.amount * 0.03"
	if strings.Count(string(src), oldRule) != 1 {
		t.Fatalf("the AE plan no longer has exactly one %q: update the test", oldRule)
	}
	candidate := filepath.Join(t.TempDir(), "candidate.yaml")
	cand := strings.Replace(strings.Replace(string(src), oldRule, newRule, 1), `version: "2027.3"`, `version: "2027.3-whatif"`, 1)
	if err := os.WriteFile(candidate, []byte(cand), 0o644); err != nil {
		t.Fatal(err)
	}

	state := func() string {
		t.Helper()
		var b strings.Builder
		for _, args := range [][]string{{"ledger", "digest"}, {"runs", "list"}, {"plan", "list"}, {"period", "list"}} {
			b.WriteString(mustIcomp(t, append([]string{"--db", db}, args...)...).out)
		}
		return b.String()
	}
	before := state()
	r := mustIcomp(t, "--db", db, "whatif", "--plan", candidate, "--period", "2027-Q1", "--format", "json")
	var w reports.WhatIf
	if err := json.Unmarshal([]byte(r.out), &w); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	table := mustIcomp(t, "--db", db, "whatif", "--plan", candidate, "--period", "2027-Q1")
	csvOut := mustIcomp(t, "--db", db, "whatif", "--plan", candidate, "--period", "2027-Q1", "--format", "csv")
	if after := state(); after != before {
		t.Fatalf("whatif changed the workspace:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The expected deltas, from the stored renewal credits.
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines, err := st.LedgerLineList(t.Context(), storage.LedgerLineListParams{Plan: "ae-quarterly", Period: "2027-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	var creditKeys []string
	postedRenewal := map[string]decimal.Decimal{}
	for _, c := range ledger.Fold(lines) {
		switch l := c.Current; {
		case l == nil:
		case l.Ledger == ledger.CreditLedger:
			creditKeys = append(creditKeys, l.Key)
		case l.Ledger == ledger.PayoutLedger && l.Subject == "renewal_commission":
			postedRenewal[l.Person] = l.Amount
		}
	}
	credits, err := st.CreditList(t.Context(), creditKeys)
	if err != nil {
		t.Fatal(err)
	}
	personOf := map[string]string{}
	for _, l := range lines {
		personOf[l.Key] = l.Person
	}
	base := map[string]decimal.Decimal{}
	for _, c := range credits {
		if c.Type == "renewal" {
			base[personOf[c.LineKey]] = base[personOf[c.LineKey]].Add(c.Amount)
		}
	}
	if len(base) < 5 {
		t.Fatalf("only %d AEs with renewal credits in the demo: the test needs more", len(base))
	}
	wantDelta := map[string]decimal.Decimal{}
	total := decimal.Zero
	for person, b := range base {
		two := b.Mul(decimal.RequireFromString("0.02")).Round(2)
		if !two.Equal(postedRenewal[person]) {
			t.Fatalf("%s: 2%% of renewal credits %s is %s, but the posted renewal commission is %s", person, b, two, postedRenewal[person])
		}
		wantDelta[person] = b.Mul(decimal.RequireFromString("0.03")).Round(2).Sub(two)
		total = total.Add(wantDelta[person])
	}

	if w.Plan != "ae-quarterly" || w.Version != "2027.3-whatif" || len(w.PostedVersions) != 1 {
		t.Fatalf("what-if of %s %s against %v", w.Plan, w.Version, w.PostedVersions)
	}
	seen := 0
	for _, p := range w.People {
		if !p.Delta.Equal(wantDelta[p.Person]) {
			t.Errorf("%s: delta %s, want %s (1%% of renewal credits %s, each rounded)", p.Person, p.Delta, wantDelta[p.Person], base[p.Person])
		}
		for _, c := range p.Components {
			want := decimal.Zero
			if c.Component == "renewal_commission" {
				want = wantDelta[p.Person]
			}
			if !c.Delta.Equal(want) {
				t.Errorf("%s %s: delta %s, want %s", p.Person, c.Component, c.Delta, want)
			}
		}
		if !p.Candidate.Sub(p.Posted).Equal(p.Delta) {
			t.Errorf("%s: candidate %s − posted %s ≠ delta %s", p.Person, p.Candidate, p.Posted, p.Delta)
		}
		if _, ok := base[p.Person]; ok {
			seen++
		}
	}
	if seen != len(base) {
		t.Errorf("the what-if lists %d of the %d AEs with renewal credits", seen, len(base))
	}
	if len(w.Totals) != 1 || w.Totals[0].Currency != "USD" || !w.Totals[0].Delta.Equal(total) {
		t.Fatalf("totals %+v, want a USD delta of %s", w.Totals, total)
	}
	if want := "+" + total.StringFixed(2); !strings.Contains(table.out, want) || !strings.Contains(table.out, "nothing posted") {
		t.Errorf("the table lacks the total delta %s:\n%s", want, table.out)
	}
	rows := strings.Split(strings.TrimSpace(csvOut.out), "\n")
	if rows[0] != strings.Join(reports.WhatIfCSVHeader, ",") || len(rows) < 1+len(w.People) {
		t.Errorf("csv:\n%s", csvOut.out)
	}
	t.Logf("renewal rate 2%% → 3%%: %d AEs, total delta %s USD", len(base), total)
}

func TestWhatIfErrors(t *testing.T) {
	t.Parallel()
	db := explainFixture(t)
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plan, err := os.ReadFile("testdata/explain/plans/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	renamed := write("renamed.yaml", strings.Replace(string(plan), "name: explain-ae", "name: explain-new", 1))
	lowQuota := write("low.yaml", "kind: target_plan\nname: explain-quotas\nversion: \"2\"\nperiod: quarterly\ntargets:\n"+
		"  - {role: AE, measure: bookings, periods: {2027-Q1: 50000, 2027-Q2: 50000}}\n"+
		"  - {role: AE, measure: bookings_ytd, periods: {2027-Q1: 50000, 2027-Q2: 50000}}\n")
	otherTargets := write("other.yaml", "kind: target_plan\nname: other-quotas\nversion: \"1\"\nperiod: quarterly\ntargets: []\n")
	bad := write("bad.yaml", strings.Replace(string(plan), "rate: 0.08}", "rate: 0.08, rte: 1}", 1))
	good := write("good.yaml", string(plan))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"whatif", "--plan", bad, "--period", "2027-Q1"}, bad + ":"},
		{[]string{"whatif", "--plan", "testdata/explain/plans/targets.yaml", "--period", "2027-Q1"}, "a target_plan, want a comp_plan"},
		{[]string{"whatif", "--plan", good, "--period", "2027-Q1", "--format", "xml"}, "want table, json or csv"},
		{[]string{"whatif", "--plan", good, "--period", "2026-Q1"}, "not in 2026-Q1"},
		{[]string{"whatif", "--plan", good, "--targets", otherTargets, "--period", "2027-Q1"}, "reads target plan explain-quotas, but target plan other-quotas was given"},
	} {
		r := icomp(t, append([]string{"--db", db}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("icomp %s: %s\nwant exit 2 and %q on stderr", strings.Join(tc.args, " "), r, tc.want)
		}
	}
	// The same plan as posted: no deltas.
	r := mustIcomp(t, "--db", db, "whatif", "--plan", good, "--period", "2027-Q1", "--format", "json")
	var w reports.WhatIf
	if err := json.Unmarshal([]byte(r.out), &w); err != nil {
		t.Fatal(err)
	}
	if len(w.People) != 2 || len(w.Totals) != 1 || !w.Totals[0].Delta.IsZero() || w.Totals[0].Changed != 0 {
		t.Errorf("the published plan as candidate: %s", r.out)
	}
	// A plan never published compares with nothing: every delta is the
	// candidate's whole amount.
	r = mustIcomp(t, "--db", db, "whatif", "--plan", renamed, "--period", "2027-Q1", "--format", "json")
	w = reports.WhatIf{}
	if err := json.Unmarshal([]byte(r.out), &w); err != nil {
		t.Fatal(err)
	}
	if len(w.PostedVersions) != 0 || len(w.Totals) != 1 || !w.Totals[0].Posted.IsZero() || !w.Totals[0].Delta.Equal(decimal.RequireFromString("17556.7")) {
		t.Errorf("a new plan as candidate: %s", r.out)
	}
	// A candidate target plan: half the quota lifts ae-1 into the upper
	// tiers; ae-2 (21,999.99 booked) stays in the first tier and below the
	// accelerator's gate, so pays the same. ae-1's commission on
	// 114,833.58: 50,000 × 8% + 25,000 × 12% + 39,833.58 × 15% = 12,975.04
	// against 9,780.03 posted, +3,195.01; the accelerator stays capped and
	// the year-to-date commission was already at its top rate.
	r = mustIcomp(t, "--db", db, "whatif", "--plan", good, "--targets", lowQuota, "--period", "2027-Q1")
	if !strings.Contains(r.out, "targets: explain-quotas version 2 (") || !strings.Contains(r.out, "+3195.01") || !strings.Contains(r.out, "1 changed") {
		t.Errorf("a candidate target plan: %s", r)
	}
}

// TestWhatIfGolden tries testdata/whatif/candidate.yaml, the explain
// plan with the first commission tier at 9% instead of 8%, on the explain
// fixture: ae-1 books past quota, so the tier's 100,000 pays 1,000 more;
// ae-2 books 21,999.99, so 219.9999 more, 220.00 once each side is rounded.
func TestWhatIfGolden(t *testing.T) {
	t.Parallel()
	db := explainFixture(t)
	for _, format := range []string{"table", "json", "csv"} {
		r := mustIcomp(t, "--db", db, "whatif", "--plan", "testdata/whatif/candidate.yaml", "--period", "2027-Q1", "--format", format)
		golden := filepath.Join("testdata", "whatif", "candidate."+format+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(r.out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if r.out != string(want) {
			t.Errorf("whatif --format %s differs from %s (go test -update rewrites it):\n%s", format, golden, lineDiff(string(want), r.out))
		}
	}
	r := mustIcomp(t, "--db", db, "whatif", "--plan", "testdata/whatif/candidate.yaml", "--period", "2027-Q1", "--format", "json")
	var w reports.WhatIf
	if err := json.Unmarshal([]byte(r.out), &w); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ae-1": "1000", "ae-2": "220"}
	for _, p := range w.People {
		if !p.Delta.Equal(decimal.RequireFromString(want[p.Person])) {
			t.Errorf("%s: delta %s, want %s", p.Person, p.Delta, want[p.Person])
		}
	}
	if len(w.People) != 2 || !w.Totals[0].Delta.Equal(decimal.RequireFromString("1220")) {
		t.Errorf("what-if: %s", r.out)
	}
}
