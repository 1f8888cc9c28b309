package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/storage/pgtest"
)

// aeDrawPolicy is a recoverable quarterly draw for the account executives
// of the statement fixture.
const aeDrawPolicy = `kind: settlement_policy
name: company
version: "1"
description: Account executives draw 5,000 a quarter against commission for their first two quarters of 2027.
currency: USD
draws:
  - name: ae_draw
    eligibility: person.role == "AE"
    period: quarterly
    amount: 5000
    recoverable: true
    from: 2027-Q1
    periods: 2
    max_recovery: 2000
    on_termination: recover
    earning_codes: [COMM]
`

// TestSettlementDraw runs a recoverable draw through two quarters on
// SQLite: the top-up and the balance on the statement and in the payroll
// export, the recovery the next quarter, a re-run of the first quarter
// that changes its balance sending the second back for a re-run, and a
// ledger that still verifies.
func TestSettlementDraw(t *testing.T) {
	t.Parallel()
	sqlite := settlementDraw(t, filepath.Join(t.TempDir(), "icomp.db"), nil)
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewDatabase(t, pgtest.Shared(t))
		mustIcomp(t, "--db", url, "migrate")
		// On Postgres, runs are worked by icomp worker processes, or by
		// the running command itself with --local.
		pg := settlementDraw(t, url, []string{"--local"})
		if pg != sqlite {
			t.Fatalf("ledger digest on Postgres:\n%s\non SQLite:\n%s", pg, sqlite)
		}
	})
}

// settlementDraw runs TestSettlementDraw's story on database db, giving
// icomp run the flags runFlags, and returns its ledger digest.
func settlementDraw(t *testing.T, db string, runFlags []string) string {
	t.Helper()
	run := func(periodLabel string) result {
		return mustIcomp(t, append([]string{"--db", db, "run", "--period", periodLabel}, runFlags...)...)
	}
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")
	run("2027-Q1")
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(aeDrawPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "plan", "publish", policy)
	run("2027-Q1")
	if r := run("2027-Q1"); !strings.Contains(r.out, " 0 ledger line(s) posted") {
		t.Fatalf("a second run of Q1 with nothing changed: %s", r)
	}
	// Bo (ae-2) earned 1,760 of commission in Q1 (and a 400 SPIFF, not
	// counted): the draw tops the commission up to 5,000.
	s := mustIcomp(t, "--db", db, "statement", "--person", "ae-2", "--period", "2027-Q1").out
	for _, want := range []string{
		"payable draw/company/ae_draw        3240.00 USD settlement policy company (version 1) draw ae_draw: recoverable draw of 5000 USD a period; earned 1760, topped up by 3240",
		"payable                             5400.00 USD",
		"Balances carried out of 2027-Q1",
		"draw/company/ae_draw                3240.00 USD opening 0; drawn 3240; recovered 0; written off 0",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("Q1 statement does not show %q:\n%s", want, s)
		}
	}
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	batch := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1").out
	if !strings.Contains(batch, "ae-2,ae-2,Bo Chen,,draw/company/ae_draw,DRAW,2027-Q1,3240.00,USD,2027-Q1,") {
		t.Fatalf("Q1 payroll does not pay the draw:\n%s", batch)
	}
	if strings.Contains(batch, "balance") {
		t.Fatalf("payroll exported a balance line:\n%s", batch)
	}

	// Q2: Bo books 90,000 (7,200 of commission, 2,200 above the draw);
	// the recovery is limited to 2,000. Ana earns 4,000 and draws 1,000.
	late := filepath.Join(dir, "q2.csv")
	if err := os.WriteFile(late, []byte("id,date,type,owner,territory,product,amount,currency\nT020,2027-05-10,new,ae-2,west,core,90000.00,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "import", "transactions", late)
	run("2027-Q2")
	s = mustIcomp(t, "--db", db, "statement", "--person", "ae-2", "--period", "2027-Q2").out
	for _, want := range []string{
		"payable draw/company/ae_draw/recovery       -2000.00 USD settlement policy company (version 1) draw ae_draw: recovers 2000 of the 3240 USD balance from earnings above the draw",
		"payable                             5200.00 USD",
		"draw/company/ae_draw                1240.00 USD opening 3240; drawn 0; recovered 2000; written off 0",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("Q2 statement does not show %q:\n%s", want, s)
		}
	}
	s = mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q2").out
	if !strings.Contains(s, "draw/company/ae_draw                1000.00 USD opening 0; drawn 1000; recovered 0; written off 0") {
		t.Fatalf("Ana's Q2 statement does not show her balance:\n%s", s)
	}
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
	batch = mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2").out
	if !strings.Contains(batch, "ae-2,ae-2,Bo Chen,,draw/company/ae_draw/recovery,DRAW,2027-Q2,-2000.00,USD,2027-Q2,") {
		t.Fatalf("Q2 payroll does not recover the draw:\n%s", batch)
	}

	// Q1 is closed; a late Q1 deal of Bo's changes Q1's top-up and so the
	// balance Q2 opened with. Q1's correction (its draw line and its
	// balance) posts into Q2 as a prior-period adjustment, and Q2 must be
	// run again before it is approved again.
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	lateQ1 := filepath.Join(dir, "q1.csv")
	if err := os.WriteFile(lateQ1, []byte("id,date,type,owner,territory,product,amount,currency\nT021,2027-03-15,new,ae-2,west,core,10000.00,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "import", "transactions", lateQ1)
	run("2027-Q1")
	list := mustIcomp(t, "--db", db, "period", "list").out
	if !strings.Contains(list, "balances 2027-Q1 carries forward") {
		t.Fatalf("period list does not say Q2 needs a re-run for its balances:\n%s", list)
	}
	s = mustIcomp(t, "--db", db, "statement", "--person", "ae-2", "--period", "2027-Q2").out
	for _, want := range []string{
		"prior period 2027-Q1               -3240.00 USD  draw/company/ae_draw: prior-period adjustment: corrects 2027-Q1 (closed)",
		"prior period 2027-Q1                2440.00 USD  draw/company/ae_draw: prior-period adjustment: corrects 2027-Q1 (closed); settlement policy company (version 1) draw ae_draw: recoverable draw of 5000 USD a period; earned 2560, topped up by 2440",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("Q2 statement after the closed Q1's correction does not show %q:\n%s", want, s)
		}
	}
	run("2027-Q2")
	s = mustIcomp(t, "--db", db, "statement", "--person", "ae-2", "--period", "2027-Q2").out
	// Q1: commission 1,760 + 800 = 2,560, top-up 2,440; Q2 recovers 2,000
	// of it, leaving 440.
	if !strings.Contains(s, "draw/company/ae_draw                 440.00 USD opening 2440; drawn 0; recovered 2000; written off 0") {
		t.Fatalf("Q2 after the Q1 re-run:\n%s", s)
	}
	if r := mustIcomp(t, "--db", db, "ledger", "verify"); !strings.HasPrefix(r.out, "ok:") {
		t.Fatalf("ledger verify: %s", r)
	}
	return mustIcomp(t, "--db", db, "ledger", "digest").out
}

// TestSettlementDrawNeedsPreviousPeriod: a draw's second period cannot be
// settled before its first was calculated.
func TestSettlementDrawNeedsPreviousPeriod(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(aeDrawPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "plan", "publish", policy)
	r := icomp(t, "--db", db, "run", "--period", "2027-Q2")
	if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "2027-Q1 was never calculated; run the periods in order (icomp run --period 2027-Q1)") {
		t.Fatalf("running Q2 first: %s", r)
	}
}

// TestPublishRefusesFailingSettlementTests: a settlement policy whose
// settlement tests beside it fail is not published; passing, it is.
func TestPublishRefusesFailingSettlementTests(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "icomp.db")
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(aeDrawPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	test := func(topUp string) string {
		return `kind: settlement_test
policies: [policy.yaml]
cases:
  - name: the draw tops commission up to 5,000
    people:
      - {id: ae-1, role: AE}
    periods:
      - period: 2027-Q1
        earned:
          - {person: ae-1, plan: golden-ae, component: commission, amount: 1760}
        expect:
          payable: {ae-1: {golden-ae/commission: 1760, draw/company/ae_draw: ` + topUp + `}}
          balances: {ae-1: {draw/company/ae_draw: 3240}}
`
	}
	testPath := filepath.Join(dir, "settlement_test.yaml")
	if err := os.WriteFile(testPath, []byte(test("3000")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := icomp(t, "--db", db, "plan", "publish", policy)
	if r.code != ExitFailed || !strings.Contains(r.out, "2027-Q1 payable ae-1 / draw/company/ae_draw: got 3240, want 3000") || !strings.Contains(r.out, "nothing was published") {
		t.Fatalf("publish with a failing settlement test: %s", r)
	}
	if err := os.WriteFile(testPath, []byte(test("3240")), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mustIcomp(t, "--db", db, "plan", "publish", policy); !strings.Contains(r.out, "plan tests: 1 passed, 0 failed\npublished settlement policy company version 1") {
		t.Fatalf("publish with a passing settlement test: %s", r)
	}
}
