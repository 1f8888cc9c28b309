package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportAdjustmentsTwice: importing the same adjustments file again
// records nothing, and says which recorded adjustment each row repeats; a
// row the file holds twice on purpose is recorded twice, once. Regression
// test: every import recorded every row again, and the next payroll paid
// each adjustment once per import.
func TestImportAdjustmentsTwice(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	dir := t.TempDir()
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
	const header = "person,period,amount,currency,earning_code,reason\n"
	const row = "ae-1,2027-Q1,100.00,USD,ADJ,missed split on T004\n"
	first := write("adj.csv", header+row+row+"ae-2,2027-Q1,-25.50,USD,ADJ,duplicate SPIFF\n")
	for _, tc := range []struct {
		name, path   string
		out, errOut  string
		adjustmentsA int // ae-1's adjustments on the statement after it
	}{
		{"first import", first, "adjustments: 3 recorded, 0 already recorded", "", 2},
		{"the same file again", first, "adjustments: 0 recorded, 3 already recorded", "adj.csv:3: not recorded: the same person, period, amount, currency, earning code and reason as adjustment 2 (from ", 2},
		{"the same content under another name, amount written 100", write("again.csv", header+strings.Replace(row, "100.00", "100", 1)), "adjustments: 0 recorded, 1 already recorded", "again.csv:2: not recorded", 2},
		{"a third one of the same", write("third.csv", header+row+row+row), "adjustments: 1 recorded, 2 already recorded", "third.csv:3: not recorded", 3},
		{"its own reason", write("own.csv", header+strings.Replace(row, "T004", "T005", 1)), "adjustments: 1 recorded, 0 already recorded", "", 4},
	} {
		r := mustIcomp(t, "--db", db, "import", "adjustments", tc.path)
		if !strings.Contains(r.out, tc.out) || (tc.errOut == "" && r.errOut != "") || !strings.Contains(r.errOut, tc.errOut) {
			t.Fatalf("%s: got\n%s\nwant %q and %q", tc.name, r, tc.out, tc.errOut)
		}
		mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
		st := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out
		if n := strings.Count(st, "missed split on T00"); n != tc.adjustmentsA {
			t.Fatalf("%s: ae-1's statement shows %d adjustments, want %d:\n%s", tc.name, n, tc.adjustmentsA, st)
		}
	}
}

// TestAdjustClosedPeriod: an adjustment of a closed period says where it
// will post and holds back the approval of that period until the closed
// one is run again. Regression test: the adjustment was recorded without
// a word, and the next period was exported and closed without it.
func TestAdjustClosedPeriod(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
	r := mustIcomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "125.50", "--earning-code", "ADJ", "--reason", "missed split")
	if !strings.Contains(r.errOut, "warning: 2027-Q1 is closed: adjustment 1 posts into 2027-Q2 as a prior-period adjustment when 2027-Q1 is run again") {
		t.Fatalf("adjust into closed 2027-Q1 did not warn:\n%s", r)
	}
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); exp.code == ExitOK {
		t.Fatalf("2027-Q2 exported before the closed period's adjustment posted into it:\n%s", exp)
	}
	// A full run of 2027-Q2 clears its mark, but the adjustment is still
	// not payable: approval waits for 2027-Q1's run.
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q2"); r.code == ExitOK || !strings.Contains(r.errOut, "adjustment 1 of 2027-Q1 (closed) is not payable yet: run 2027-Q1") {
		t.Fatalf("approved 2027-Q2 before the closed period's adjustment posted into it:\n%s", r)
	}
	postedIntoQ2(t, db, "125.50")
}

// TestAdjustClosedPeriodBeforeNextRun: an adjustment of a closed period
// made while the next period is still open holds back that period's
// approval until the closed one is run. Regression test: nothing marked
// the open period, and it was run, approved and exported without the
// adjustment.
func TestAdjustClosedPeriodBeforeNextRun(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	mustIcomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "777.00", "--earning-code", "ADJ", "--reason", "late split")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q2"); r.code == ExitOK || !strings.Contains(r.errOut, "run 2027-Q1 (icomp run --period 2027-Q1) to post it into 2027-Q2 before approving 2027-Q2") {
		t.Fatalf("approved 2027-Q2 with a closed period's adjustment pending:\n%s", r)
	}
	postedIntoQ2(t, db, "777.00")
}

// postedIntoQ2 runs closed 2027-Q1 (posting its adjustment into 2027-Q2)
// and 2027-Q2, approves Q2 and checks its payroll batch pays amount.
func postedIntoQ2(t *testing.T, db, amount string) {
	t.Helper()
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
	if batch := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2").out; !strings.Contains(batch, amount) {
		t.Fatalf("2027-Q2's batch lacks the adjustment of %s:\n%s", amount, batch)
	}
}

// TestAdjustRefusesWhatCannotBePaid: an adjustment of a period no
// published plan computes (it could never become payable) or with a blank
// reason is refused, by icomp adjust and by the import alike.
func TestAdjustRefusesWhatCannotBePaid(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	for _, tc := range []struct{ period, reason, want string }{
		{"2027-M05", "x", "--period: no published comp plan computes 2027-M05"},
		{"2027", "x", "--period: no published comp plan computes 2027,"},
		{"2027-Q1", "  ", "--reason: required"},
	} {
		r := icomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", tc.period, "--amount", "10", "--earning-code", "ADJ", "--reason", tc.reason)
		if r.code == ExitOK || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("adjust %s %q: got\n%s\nwant %q", tc.period, tc.reason, r, tc.want)
		}
	}
	path := filepath.Join(t.TempDir(), "adj.csv")
	if err := os.WriteFile(path, []byte("person,period,amount,currency,earning_code,reason\nae-1,2027-Q1,10,USD,ADJ,ok\nae-1,2027-M05,10,USD,ADJ,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := icomp(t, "--db", db, "import", "adjustments", path); r.code == ExitOK || !strings.Contains(r.out+r.errOut, "3: period: no published comp plan computes 2027-M05") {
		t.Errorf("import of an adjustment of 2027-M05: got\n%s", r)
	}
	// The failed import recorded nothing: its good row is new.
	if err := os.WriteFile(path, []byte("person,period,amount,currency,earning_code,reason\nae-1,2027-Q1,10,USD,ADJ,ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mustIcomp(t, "--db", db, "import", "adjustments", path); !strings.Contains(r.out, "1 recorded, 0 already recorded") {
		t.Errorf("the failed import recorded its good row:\n%s", r)
	}
}

// TestExportNeverOverwrites: export payroll --out refuses a file that
// exists, before recording a batch, and leaves the file as it was.
// Regression test: it replaced the file (which may be a batch already
// sent to payroll) without a word.
func TestExportNeverOverwrites(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	out := filepath.Join(t.TempDir(), "payroll.csv")
	if err := os.WriteFile(out, []byte("batch 1, sent\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1", "--out", out)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "exists; payroll files are never overwritten") {
		t.Fatalf("export over an existing file: %s", r)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "batch 1, sent\n" {
		t.Fatalf("the existing file changed: %q, %v", b, err)
	}
	if list := mustIcomp(t, "--db", db, "export", "list").out; strings.Count(list, "\n") != 1 {
		t.Fatalf("a batch was recorded:\n%s", list)
	}
	if r := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1", "--out", out+".new"); r.code != ExitOK {
		t.Fatalf("export to a new file: %s", r)
	}
}

// TestDisputeAdjustments: an adjustment that resolves a dispute is held
// to the rules of icomp adjust: one of a closed period marks the period it
// posts into (approved, it goes back to calculated), and one of a period
// no published plan computes is refused. Regression tests: the first left
// the next period approved and exportable without the adjustment, the
// second was accepted and never paid.
func TestDisputeAdjustments(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
	mustIcomp(t, "--db", db, "dispute", "open", "--person", "ae-1", "--period", "2027-Q1", "--line", "golden-ae/commission", "--text", "split missed")
	mustIcomp(t, "--db", db, "dispute", "resolve", "1", "--adjust", "150.00", "--earning-code", "ADJ", "--note", "split added")
	if exp := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q2"); exp.code == ExitOK {
		t.Fatalf("2027-Q2 exported without the closed period's dispute adjustment:\n%s", exp)
	}
	mustIcomp(t, "--db", db, "dispute", "open", "--person", "ae-1", "--period", "2027", "--deal", "T001", "--text", "mine")
	r := icomp(t, "--db", db, "dispute", "resolve", "2", "--adjust", "10.00", "--earning-code", "ADJ", "--note", "by hand")
	if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "no published comp plan computes 2027") {
		t.Fatalf("resolving a dispute of 2027 with an adjustment: %s", r)
	}
}

// TestAdjustmentCurrencyNeedsRate: an adjustment in another currency than
// its person's is paid converted, so it needs a rate for its period's last
// month; without one it is refused (by icomp adjust and the import), since
// the run of the period would fail for everyone. Regression test: a JPY
// adjustment of a USD-paid person was accepted and every later run of
// 2027-Q1 failed on the missing rate.
func TestAdjustmentCurrencyNeedsRate(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	adjust := func() result {
		return icomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "5000", "--currency", "JPY", "--earning-code", "ADJ", "--reason", "bonus in yen")
	}
	if r := adjust(); r.code == ExitOK || !strings.Contains(r.errOut, "ae-1 is paid in USD, and no JPY→USD rate for 2027-03 converts the adjustment") {
		t.Fatalf("a JPY adjustment without a rate: %s", r)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "adj.csv")
	if err := os.WriteFile(file, []byte("person,period,amount,currency,earning_code,reason\nae-1,2027-Q1,5000,JPY,ADJ,bonus in yen\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := icomp(t, "--db", db, "import", "adjustments", file); r.code == ExitOK || !strings.Contains(r.out+r.errOut, "adj.csv:2: currency: ae-1 is paid in USD") {
		t.Fatalf("importing a JPY adjustment without a rate: %s", r)
	}
	fx := filepath.Join(dir, "fx.csv")
	if err := os.WriteFile(fx, []byte("from,to,month,rate\nJPY,USD,2027-03,0.0067\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "import", "fx", fx)
	if r := adjust(); r.code != ExitOK {
		t.Fatalf("a JPY adjustment with a rate: %s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if st := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out; !strings.Contains(st, "33.50") {
		t.Fatalf("the statement does not pay 5000 JPY as 33.50 USD:\n%s", st)
	}
}

// TestLateDealInClosedPeriodHoldsApproval: a deal imported into closed
// 2027-Q1 while 2027-Q2 is still open holds back Q2's approval until Q1
// is run again (its changes post into Q2). Regression test: Q2 was run,
// approved and exported without the late deal.
func TestLateDealInClosedPeriodHoldsApproval(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1")
	late := writeTemp(t, t.TempDir(), "late.csv", "id,date,type,owner,territory,product,amount,currency\nT091,2027-03-28,new,ae-1,west,core,5000.00,USD\n")
	mustIcomp(t, "--db", db, "import", "transactions", late)
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q2"); r.code == ExitOK || !strings.Contains(r.errOut, "2027-Q1 is closed and transaction T091, dated in it, was imported since its last run") {
		t.Fatalf("approved 2027-Q2 with a late deal of closed 2027-Q1 not posted: %s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q2")
}
