package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgtest"
	"github.com/icomp/icomp/storage/sqlitestore"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// execMainEnv makes the test binary run icomp's Main instead of the tests:
// the kill -9 test starts icomp as a child process this way.
const execMainEnv = "ICOMP_TEST_EXEC_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(execMainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// pgtest.Main stops the Postgres cluster of the tests that ask for
	// pgtest.Shared.
	os.Exit(pgtest.Main(m))
}

type result struct {
	code        int
	out, errOut string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
}

// icomp runs the command line in this process.
func icomp(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// mustIcomp runs the command line and fails the test unless it exits 0.
func mustIcomp(t *testing.T, args ...string) result {
	t.Helper()
	r := icomp(t, args...)
	if r.code != ExitOK {
		t.Fatalf("icomp %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// fixture is a workspace with the small fixed dataset of testdata/statement
// imported, its plans published and 2027-Q1 run.
func fixture(t *testing.T) (db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	return db
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "x")
	r := icomp(t, "demo", "--dir", dir)
	if r.code != ExitOK {
		t.Fatalf("demo: %s", r)
	}
	for _, want := range []string{"icomp demo: workspace " + dir, "Statement for ", "Total earned in 2027-Q1", "payroll-2027-Q1.csv"} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, r.out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "payroll-2027-Q1.csv")); err != nil {
		t.Fatal(err)
	}
	// A second demo into the same directory is refused.
	if r := icomp(t, "demo", "--dir", dir); r.code != ExitUsage || !strings.Contains(r.errOut, "is not empty") {
		t.Fatalf("demo into a used directory: %s", r)
	}
}

func TestImportBadTransactions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	var f strings.Builder
	f.WriteString("id,date,type,owner,amount,currency\n")
	for line := 2; line <= 20; line++ {
		amount := "100.00"
		if line == 17 {
			amount = "12.3.4"
		}
		fmt.Fprintf(&f, "T%d,2027-01-10,new,ae-1,%s,USD\n", line, amount)
	}
	path := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := icomp(t, "--db", db, "import", "transactions", path)
	want := path + `:17: amount: "12.3.4" is not a decimal amount such as 1250.50` + "\n1 problem(s); nothing was imported\n"
	if r.code != ExitFailed || r.out != want {
		t.Fatalf("import of a bad file: %s\nwant exit 1 and stdout:\n%s", r, want)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.TransactionCount(t.Context()); err != nil || n != 0 {
		t.Fatalf("%d transactions after the failed import, %v; want 0", n, err)
	}

	// Usage errors exit 2.
	if r := icomp(t, "--db", db, "import", "widgets", path); r.code != ExitUsage {
		t.Fatalf("import widgets: %s, want exit 2", r)
	}
}

// TestPayrollBatches walks the period lifecycle as payroll and a comp
// admin would: approve, export a batch, ask again, adjust, re-run,
// approve, export only the adjustment, close.
func TestPayrollBatches(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	dir := filepath.Dir(db)
	export := func(name string, extra ...string) (string, result) {
		t.Helper()
		out := filepath.Join(dir, name)
		r := icomp(t, append([]string{"--db", db, "export", "payroll", "--period", "2027-Q1", "--out", out}, extra...)...)
		b, _ := os.ReadFile(out)
		return string(b), r
	}
	if _, r := export("p0.csv"); r.code != ExitUsage || !strings.Contains(r.errOut, "2027-Q1 is calculated; payroll exports approved or closed periods only") {
		t.Fatalf("export before approval: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "period", "approve", "2027-Q1", "--by", "cfo"); !strings.Contains(r.out, "2027-Q1 is approved (by cfo at ") {
		t.Fatalf("approve: %s", r)
	}
	first, r := export("p1.csv", "--pay-date", "2027-04-15")
	if r.code != ExitOK || !strings.Contains(r.errOut, "payroll batch 1 (new batch)") {
		t.Fatalf("first export: %s", r)
	}
	if !strings.HasPrefix(first, strings.Join(reports.PayrollHeader, ",")+"\n") || strings.Count(first, "\n") < 3 || !strings.Contains(first, ",2027-Q1,2027-04-15,") {
		t.Fatalf("first export:\n%s", first)
	}
	// Asking again repeats batch 1: said on stderr, exit 1 without --again.
	if _, r := export("p2.csv"); r.code != ExitFailed || !strings.Contains(r.errOut, "this repeats payroll batch 1 (pay date 2027-04-15") {
		t.Fatalf("second export: %s", r)
	}
	again, r := export("p2.csv", "--again")
	if r.code != ExitOK || again != first {
		t.Fatalf("export --again: %s\n%s\nwant the first batch again", r, again)
	}
	if _, r := export("p3.csv", "--pay-date", "2027-04-30"); r.code != ExitUsage || !strings.Contains(r.errOut, "already exported in batch 1 with pay date 2027-04-15") {
		t.Fatalf("export under another pay date: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "export", "show", "1"); r.out != first {
		t.Fatalf("export show 1:\n%s\nwant:\n%s", r.out, first)
	}
	if r := mustIcomp(t, "--db", db, "export", "list"); !strings.Contains(r.out, "1      2027-Q1  2027-04-15") {
		t.Fatalf("export list: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "ledger", "verify"); !strings.HasPrefix(r.out, "ok: ") {
		t.Fatalf("ledger verify: %s", r)
	}

	// An adjustment needs a re-run before the period can be approved again;
	// the next batch then holds only the adjustment.
	mustIcomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "125.50", "--earning-code", "ADJ", "--reason", "missed split on T9", "--by", "admin")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q1"); r.code != ExitFailed || !strings.Contains(r.errOut, "is already approved") && !strings.Contains(r.errOut, "needs a re-run") {
		t.Fatalf("approve after an adjustment: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "run", "--period", "2027-Q1"); !strings.Contains(r.out, " 1 ledger line(s) posted") {
		t.Fatalf("run after the adjustment: %s", r)
	}
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	adj, r := export("p4.csv")
	if r.code != ExitOK || !strings.Contains(r.errOut, "payroll batch 2 (new batch)") {
		t.Fatalf("export after the adjustment: %s", r)
	}
	if rows := strings.Split(strings.TrimSpace(adj), "\n")[1:]; len(rows) != 1 || !strings.Contains(rows[0], "ae-1,ae-1,") || !strings.Contains(rows[0], ",adjustment/1,ADJ,2027-Q1,125.50,USD,2027-Q1,2027-03-31,") {
		t.Fatalf("batch 2:\n%s\nwant the adjustment alone, paid on the period's last day", adj)
	}
	s := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1")
	if !strings.Contains(s.out, "adjustment 1") || !strings.Contains(s.out, "missed split on T9") || !strings.Contains(s.out, "previously paid") {
		t.Fatalf("statement after the adjustment:\n%s", s.out)
	}

	// Closing is final: a re-run of the closed period posts into the next
	// open one, labelled.
	mustIcomp(t, "--db", db, "period", "close", "2027-Q1", "--by", "cfo")
	if r := icomp(t, "--db", db, "period", "approve", "2027-Q1"); r.code != ExitFailed {
		t.Fatalf("approve a closed period: %s", r)
	}
	mustIcomp(t, "--db", db, "adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "-20", "--earning-code", "ADJ", "--reason", "over-credited", "--by", "admin")
	r = mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if !strings.Contains(r.errOut, "2027-Q1 is closed: its changes post into 2027-Q2 as prior-period adjustments") {
		t.Fatalf("run of a closed period: %s", r)
	}
	q2 := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q2")
	if !strings.Contains(q2.out, "prior period 2027-Q1") || !strings.Contains(q2.out, "corrects 2027-Q1") {
		t.Fatalf("Q2 statement after a late Q1 adjustment:\n%s", q2.out)
	}
	if r := mustIcomp(t, "--db", db, "period", "list"); !strings.Contains(r.out, "2027-Q1") || !strings.Contains(r.out, "closed") {
		t.Fatalf("period list: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "runs", "list"); !strings.Contains(r.out, "2027-Q2") {
		t.Fatalf("runs list: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "ledger", "verify"); !strings.HasPrefix(r.out, "ok: ") {
		t.Fatalf("ledger verify: %s", r)
	}
}

var digestRE = regexp.MustCompile(`^([0-9a-f]{64})  (\d+) lines\n$`)

func TestLedgerDigest(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	r := mustIcomp(t, "--db", db, "ledger", "digest", "--period", "2027-Q1")
	m := digestRE.FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("ledger digest printed %q, want 64 hex digits and a line count", r.out)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.RunList(t.Context())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Digest != m[1] || fmt.Sprint(runs[0].Lines) != m[2] {
		t.Fatalf("ledger digest %s over %s lines; the run recorded %+v", m[1], m[2], runs)
	}
	// Another period has no lines: the digest of nothing.
	empty := mustIcomp(t, "--db", db, "ledger", "digest", "--period", "2027-Q2")
	if want := ledger.Digest(nil) + "  0 lines\n"; empty.out != want {
		t.Fatalf("digest of an empty period %q, want %q", empty.out, want)
	}
}

func TestStatementGolden(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	for _, person := range []string{"ae-1", "ae-2"} {
		t.Run(person, func(t *testing.T) {
			r := mustIcomp(t, "--db", db, "statement", "--person", person, "--period", "2027-Q1", "--format", "text")
			golden := filepath.Join("testdata", "statement", person+".golden")
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
				t.Errorf("statement for %s differs from %s (go test -update rewrites it):\n%s", person, golden, lineDiff(string(want), r.out))
			}
		})
	}
	// An unknown person is an error, not an empty statement.
	if r := icomp(t, "--db", db, "statement", "--person", "nobody", "--period", "2027-Q1"); r.code == ExitOK || !strings.Contains(r.errOut, "no ledger lines for person nobody") {
		t.Fatalf("statement of an unknown person: %s", r)
	}
}

// lineDiff shows the first differing line of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  got  %q\n  want %q", i+1, gl, wl)
		}
	}
	return "(no difference)"
}

// TestStatementAfterRerun: a statement shows what is in force, whatever
// the ledger's history: after a change and a re-run it reads exactly as a
// fresh run of the changed data does.
func TestStatementAfterRerun(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/statement/transactions.csv")
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "transactions.csv")
	// T002 is ae-1's upsell: the commission line changes, the others do not.
	if err := os.WriteFile(changed, bytes.Replace(src, []byte("25000.50"), []byte("26000.50"), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	rerun := fixture(t)
	mustIcomp(t, "--db", rerun, "import", "transactions", changed)
	mustIcomp(t, "--db", rerun, "run", "--period", "2027-Q1")

	fresh := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", fresh, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", fresh, "import", "transactions", changed)
	mustIcomp(t, "--db", fresh, "plan", "publish", "testdata/statement/plans")
	mustIcomp(t, "--db", fresh, "run", "--period", "2027-Q1")

	for _, format := range []string{"text", "json"} {
		got := mustIcomp(t, "--db", rerun, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", format).out
		want := mustIcomp(t, "--db", fresh, "statement", "--person", "ae-1", "--period", "2027-Q1", "--format", format).out
		if got != want {
			t.Fatalf("%s statement after the re-run differs from a fresh run's:\n%s", format, lineDiff(want, got))
		}
	}
	digest := func(db string) string {
		return mustIcomp(t, "--db", db, "ledger", "digest", "--period", "2027-Q1").out
	}
	if d := digest(rerun); d == digest(fresh) {
		t.Fatalf("re-run and fresh ledgers have the same digest %s, but only one holds reversals", d)
	}
}

// TestRunFailedExits1: a run that fails on a rule error exits 1 and names
// the rule's file:line:col.
func TestRunFailedExits1(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/divzero/plan.yaml")
	r := icomp(t, "--db", db, "run", "--period", "2027-Q1")
	if r.code != ExitFailed || !strings.Contains(r.errOut, ": divzero/plan.yaml:23:13: ") || !strings.Contains(r.errOut, "division by zero") {
		t.Fatalf("run of a plan that divides by zero: %s\nwant exit 1 naming divzero/plan.yaml:23:13 (the file as published)", r)
	}
	// The failed run is over: the period can be run again (and fails again).
	if r := icomp(t, "--db", db, "run", "--period", "2027-Q1"); r.code != ExitFailed || strings.Contains(r.errOut, "resuming") {
		t.Fatalf("second run: %s", r)
	}
}

// TestPeriodLabelsCanonical: every command that takes a period refuses a
// label that is not canonical, and no run is recorded under one.
func TestPeriodLabelsCanonical(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	for _, label := range []string{"2027-M+1", "2027-Q5", "2027-Q9", "2027-q1", "2027-M3"} {
		for _, args := range [][]string{
			{"run", "--period", label},
			{"statement", "--person", "ae-1", "--period", label},
			{"export", "payroll", "--period", label},
			{"ledger", "digest", "--period", label},
			{"period", "approve", label},
		} {
			r := icomp(t, append([]string{"--db", db}, args...)...)
			if r.code != ExitUsage || !strings.Contains(r.errOut, "period") {
				t.Errorf("icomp %s: %s; want exit 2 naming the period", strings.Join(args, " "), r)
			}
		}
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.RunList(t.Context())
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs after the refused labels: %+v, %v; want only the fixture's", runs, err)
	}
}

// TestLedgerVerifyExit1: a payout amount changed behind the triggers'
// back makes ledger verify exit 1 naming the run's seal, and payroll
// refuses to export from that ledger.
func TestLedgerVerifyExit1(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	if r := mustIcomp(t, "--db", db, "ledger", "verify"); !strings.HasPrefix(r.out, "ok: 1 seals verified") {
		t.Fatalf("verify: %s", r)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER ledger_line_no_update`, `UPDATE ledger_line SET amount = '99999' WHERE ledger = 'payable' AND person = 'ae-1'`} {
		if _, err := st.DB.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if r := icomp(t, "--db", db, "ledger", "verify"); r.code != ExitFailed || !strings.Contains(r.out, "BROKEN at seal 1 (run 1)") {
		t.Fatalf("verify after tampering: %s; want exit 1 naming seal 1", r)
	}
	if r := icomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1"); r.code == ExitOK || !strings.Contains(r.errOut, "the ledger does not verify") {
		t.Fatalf("export from a tampered ledger: %s", r)
	}
}

// TestInspection: plan list and show, and runs diff between a run and the
// re-run after a republished plan changed a rate.
func TestInspection(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	if r := mustIcomp(t, "--db", db, "plan", "list"); !strings.Contains(r.out, "golden-ae") || !strings.Contains(r.out, "target plan") {
		t.Fatalf("plan list: %s", r)
	}
	src, err := os.ReadFile("testdata/statement/plans/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := mustIcomp(t, "--db", db, "plan", "show", "golden-ae"); !strings.HasSuffix(r.out, string(src)) || !strings.HasPrefix(r.out, "# plan golden-ae version 1, hash ") {
		t.Fatalf("plan show: %s", r)
	}
	// Version 2 pays 9% instead of 8% in the first tier.
	v2 := strings.Replace(strings.Replace(string(src), `version: "1"`, `version: "2"`, 1), "rate: 0.08", "rate: 0.09", 1)
	if v2 == string(src) || !strings.Contains(v2, "rate: 0.09") || !strings.Contains(v2, `version: "2"`) {
		t.Fatalf("the fixture plan changed shape: no version \"1\" or rate 0.08 to change")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "plan.yaml"))
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if r := mustIcomp(t, "--db", db, "plan", "show", "golden-ae", "--version", "1"); !strings.HasSuffix(r.out, string(src)) {
		t.Fatalf("plan show --version 1: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "plan", "show", "golden-ae", "--history"); strings.Count(r.out, "\n") != 3 {
		t.Fatalf("plan show --history: %s", r)
	}
	// Tier 1 is 0 to 100,000 for both reps: 1% more is 1,000.00 each.
	r := mustIcomp(t, "--db", db, "runs", "diff", "1", "2", "--format", "csv")
	want := "person,plan,component,currency,before,after,delta\n" +
		"ae-1,golden-ae,commission,USD,9780.03,10780.03,1000\n"
	if !strings.HasPrefix(r.out, want) {
		t.Fatalf("runs diff 1 2:\n%s\nwant it to start with:\n%s", r.out, want)
	}
	if r := mustIcomp(t, "--db", db, "runs", "diff", "1", "2"); !strings.Contains(r.out, "line(s) differ") {
		t.Fatalf("runs diff table: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "runs", "diff", "2", "2", "--format", "json"); strings.TrimSpace(r.out) != "[]" {
		t.Fatalf("runs diff of a run with itself: %s", r)
	}
}

// TestLifecycleDoc runs the worked example of docs/lifecycle.md and checks
// that each file and statement excerpt the page shows is what the
// commands print, so the page's numbers cannot drift from icomp's.
func TestLifecycleDoc(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../docs/lifecycle.md")
	if err != nil {
		t.Fatal(err)
	}
	db := fixture(t)
	dir := filepath.Dir(db)
	do := func(args ...string) result {
		t.Helper()
		return mustIcomp(t, append([]string{"--db", db}, args...)...)
	}
	file := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	money := func(period string) string {
		t.Helper()
		out := do("statement", "--person", "ae-1", "--period", period).out
		i := strings.Index(out, "Money for ")
		if i < 0 {
			t.Fatalf("statement of %s has no money section:\n%s", period, out)
		}
		return out[i:]
	}
	var shown []string
	do("period", "approve", "2027-Q1", "--by", "payroll-lead")
	do("export", "payroll", "--period", "2027-Q1", "--pay-date", "2027-04-15", "--out", filepath.Join(dir, "batch1.csv"))
	shown = append(shown, file("batch1.csv"))
	do("adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "125.50", "--earning-code", "ADJ", "--reason", "missed split on T003", "--by", "comp-admin")
	if r := do("run", "--period", "2027-Q1"); !strings.Contains(r.out, " 1 ledger line(s) posted") {
		t.Fatalf("run after the adjustment: %s", r)
	}
	do("period", "approve", "2027-Q1", "--by", "payroll-lead")
	do("export", "payroll", "--period", "2027-Q1", "--pay-date", "2027-04-15", "--out", filepath.Join(dir, "batch2.csv"))
	shown = append(shown, file("batch2.csv"))
	do("period", "close", "2027-Q1", "--by", "cfo")
	late := filepath.Join(dir, "late.csv")
	if err := os.WriteFile(late, []byte("id,date,type,owner,territory,product,amount,currency\nT010,2027-03-28,new,ae-1,west,core,10000.00,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do("import", "transactions", late)
	if r := do("run", "--period", "2027-Q1"); !strings.Contains(r.errOut, "2027-Q1 is closed: its changes post into 2027-Q2 as prior-period adjustments") {
		t.Fatalf("late run of Q1: %s", r)
	}
	do("run", "--period", "2027-Q2")
	do("period", "approve", "2027-Q2", "--by", "payroll-lead")
	do("export", "payroll", "--period", "2027-Q2", "--out", filepath.Join(dir, "batch3.csv"))
	shown = append(shown, file("batch3.csv"), money("2027-Q2"), money("2027-Q1"))
	for i, want := range shown {
		if !strings.Contains(string(doc), strings.TrimSuffix(want, "\n")) {
			t.Errorf("docs/lifecycle.md does not show output %d as icomp prints it:\n%s", i+1, want)
		}
	}
}

// TestSettlementPolicyCap: a published settlement policy caps what a
// person is paid across plans; the statement says why, and payroll pays
// the capped amounts.
func TestSettlementPolicyCap(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`kind: settlement_policy
name: company
version: "1"
description: No account executive is paid more than 15,000 a quarter.
currency: USD
caps:
  - name: quarterly_ceiling
    eligibility: person.role == "AE"
    amount: 15000
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mustIcomp(t, "--db", db, "plan", "publish", policy); !strings.Contains(r.out, "published settlement policy company version 1") {
		t.Fatalf("publish: %s", r)
	}
	// Ana earned 16,620.03: 9,780.03 commission, 1,600 SPIFF, 5,000 bonus
	// and 240 renewal commission. The cap takes 1,620.03 from the last
	// lines by name: all of renewal_commission, then 1,380.03 of the bonus.
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	s := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out
	for _, want := range []string{
		"earned                             16620.03 USD",
		"payable quota_bonus                 3619.97 USD golden-ae: capped by settlement policy company (version 1) cap quarterly_ceiling: at most 15000 USD a period across plans; earned 5000, less 1380.03",
		"payable renewal_commission             0.00 USD",
		"payable                            15000.00 USD",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("statement does not show %q:\n%s", want, s)
		}
	}
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	csvText := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1").out
	total := decimal.Zero
	for _, row := range strings.Split(strings.TrimSpace(csvText), "\n")[1:] {
		f := strings.Split(row, ",")
		if f[1] == "ae-1" {
			total = total.Add(decimal.RequireFromString(f[7]))
		}
	}
	if !total.Equal(decimal.NewFromInt(15000)) {
		t.Fatalf("payroll pays ae-1 %s, want the cap, 15000:\n%s", total, csvText)
	}
}

// TestImportRefusedDuringRun: while a run is in progress or interrupted,
// imports and adjustments are refused and change nothing: the run must
// read the inputs it started with.
func TestImportRefusedDuringRun(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.RunInsert(t.Context(), storage.Run{Period: "2027-Q2", PostedPeriod: "2027-Q2"})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	late := filepath.Join(t.TempDir(), "late.csv")
	if err := os.WriteFile(late, []byte("id,date,type,owner,amount,currency\nT100,2027-04-05,new,ae-1,500,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"import", "transactions", late},
		{"adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "5", "--earning-code", "ADJ", "--reason", "r"},
	} {
		r := icomp(t, append([]string{"--db", db}, args...)...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "run 2 of 2027-Q2 is in progress or was interrupted") {
			t.Fatalf("icomp %s during a run: %s", strings.Join(args, " "), r)
		}
	}
	st, err = sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.TransactionGet(t.Context(), "T100"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("T100 after the refused import: %v, want not found", err)
	}
	if as, err := st.AdjustmentList(t.Context(), "", nil); err != nil || len(as) != 0 {
		t.Fatalf("adjustments after the refused adjust: %+v, %v", as, err)
	}
}

// writeTemp writes content to dir/name and returns the path.
func writeTemp(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readFile returns the content of the file at path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
