package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage/pgtest"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestBenchRefusesToOverwrite: bench --dir D names the files it would
// write that D holds already and touches nothing; into a fresh D it runs,
// and a second run into the same D is refused (its database exists).
func TestBenchRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := map[string]string{"people.csv": "my people\n", filepath.Join("plans", "sdr", "plan.yaml"): "my plan\n", "notes.txt": "unrelated\n"}
	for name, content := range mine {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"bench", "--dir", dir, "--transactions", "200", "--people", "12"}
	r := icomp(t, args...)
	want := "icomp: --dir " + dir + " already holds people.csv, " + filepath.Join("plans", "sdr", "plan.yaml") + "; bench does not overwrite files: pick another directory or remove them\n"
	if r.code != ExitUsage || r.errOut != want || r.out != "" {
		t.Fatalf("bench into a used directory: %s\nwant exit 2 and stderr %q", r, want)
	}
	for name, content := range mine {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
			t.Fatalf("%s after the refusal: %q, %v; want %q", name, b, err, content)
		}
	}
	for _, name := range []string{"transactions.csv", "icomp.db", "icomp.db.lock", filepath.Join("plans", "account-executive")} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Fatalf("the refused bench made %s (%v)", name, err)
		}
	}

	fresh := filepath.Join(t.TempDir(), "bench")
	args[2] = fresh
	if r := mustIcomp(t, args...); !strings.Contains(r.out, "digest ") {
		t.Fatalf("bench into a fresh directory: %s", r)
	}
	r = icomp(t, args...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "already holds people.csv, transactions.csv, icomp.db, icomp.db.lock, plans") {
		t.Fatalf("second bench into the same directory: %s", r)
	}
}

// TestBenchPlanChecks: the bench plan passes `icomp plan check`.
func TestBenchPlanChecks(t *testing.T) {
	t.Parallel()
	if _, diags := plans.Load("bench/plan.yaml", []byte(benchPlanYAML)); len(diags) > 0 {
		t.Fatalf("the bench plan: %v", diags)
	}
}

// TestBenchPlanMatchesSQL: bench --plan bench checks icomp's payouts
// against the hand-written SQL on SQLite, loaded into its own plain
// tables, before and after --rerun-one; with --repeat 2 it prints both
// repeats and the medians of their times and ratios.
func TestBenchPlanMatchesSQL(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bench")
	r := mustIcomp(t, "bench", "--dir", dir, "--plan", "bench", "--transactions", "2000", "--people", "20", "--rerun-one", "--repeat", "2")
	checkBenchPlanOutput(t, r.out, 2)
	for _, db := range []string{"icomp.db", "icomp-r2.db"} {
		st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, db))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = st.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'bench_sql_%'`).Scan(&n)
		st.Close()
		if err != nil || n != 0 {
			t.Fatalf("%s holds %d bench_sql_ tables after the bench (%v); want them dropped", db, n, err)
		}
	}
}

// TestBenchPlanMatchesSQLPostgres is TestBenchPlanMatchesSQL on Postgres:
// the first repeat runs in the database given, the second in a schema of
// its own that is dropped afterwards.
func TestBenchPlanMatchesSQLPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	r := mustIcomp(t, "--db", url, "bench", "--plan", "bench", "--transactions", "2000", "--people", "20", "--rerun-one", "--repeat", "2")
	checkBenchPlanOutput(t, r.out, 2)
	if strings.Contains(r.out, "plain SQL") {
		t.Fatalf("bench --plan bench also timed the plain SQL baseline:\n%s", r.out)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var left []string
	rows, err := conn.Query(t.Context(), `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'icomp_bench_%'
		UNION ALL SELECT relname::text FROM pg_class WHERE relname LIKE 'bench_sql_%'`)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(left) != 0 {
		t.Fatalf("after the bench the database holds %v (%v); want the repeat's schema and the plain tables dropped", left, err)
	}
	// The first repeat's data stays, as without --repeat.
	r = icomp(t, "--db", url, "bench", "--plan", "bench", "--transactions", "20", "--people", "5")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "the database already holds 2000 transactions") {
		t.Fatalf("a second bench into the used database: %s", r)
	}
}

// TestBenchRepeatExamplesPostgres: with the example plans, --repeat 2 on
// Postgres medians the plain SQL baseline too.
func TestBenchRepeatExamplesPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	r := mustIcomp(t, "--db", url, "bench", "--transactions", "300", "--people", "12", "--repeat", "2")
	medians := benchMedians(t, r.out, 2)
	want := []string{"import", "run", "end to end", "digest read", "plain SQL", "icomp run / plain SQL"}
	if got := medianNames(medians); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("medians of %v, want %v:\n%s", got, want, r.out)
	}
}

// benchFloat matches a number as bench prints it.
const benchFloat = `([0-9]+(?:\.[0-9]+)?)`

// benchValues finds, in each repeat's part of out, the value of every
// pattern's first group (a duration for the ones named in durations,
// else seconds or a ratio) and returns them per repeat and name.
func benchValues(t *testing.T, out string, repeats int) []map[string]float64 {
	t.Helper()
	parts := []string{out}
	if repeats > 1 {
		parts = regexp.MustCompile(`(?m)^repeat [0-9]+ of [0-9]+\n`).Split(out, -1)[1:]
		if len(parts) != repeats {
			t.Fatalf("%d repeats printed, want %d:\n%s", len(parts), repeats, out)
		}
	}
	durations := map[string]*regexp.Regexp{
		"import":     regexp.MustCompile(`(?m)^import       [0-9]+ rows in ([0-9a-zµ.]+): [0-9]+ rows/s$`),
		"run":        regexp.MustCompile(`(?m)^run 2027-Q1  2000 transactions in ([0-9a-zµ.]+): `),
		"end to end": regexp.MustCompile(`(?m)^end to end   ([0-9a-zµ.]+) \(import \+ run\)$`),
	}
	numbers := map[string]*regexp.Regexp{
		"digest read":                       regexp.MustCompile(`(?m)^digest read  ` + benchFloat + ` s `),
		"SQL load":                          regexp.MustCompile(`(?m)^SQL load     2011 rows \(people and transactions\) into plain tables by [^,]+, in ` + benchFloat + ` s: [0-9]+ rows/s; `),
		"icomp import / SQL load":           regexp.MustCompile(`(?m)^SQL load .*; icomp import / SQL load = ` + benchFloat + `×$`),
		"SQL compute":                       regexp.MustCompile(`(?m)^SQL compute  the bench plan's payout per person for the same period from the loaded transactions, in ` + benchFloat + ` s; `),
		"icomp run / SQL compute":           regexp.MustCompile(`(?m)^SQL compute .*; icomp run / SQL compute = ` + benchFloat + `×$`),
		"SQL end to end":                    regexp.MustCompile(`(?m)^SQL end to end  ` + benchFloat + ` s \(load \+ compute\); `),
		"icomp end to end / SQL end to end": regexp.MustCompile(`(?m)^SQL end to end .*; icomp end to end / SQL end to end = ` + benchFloat + `×$`),
		"re-import":                         regexp.MustCompile(`(?m)^rerun-one    transaction T00000001 changed: re-import of 2000 rows in ` + benchFloat + ` s; `),
		"re-run":                            regexp.MustCompile(`(?m)^rerun-one .*; re-run in ` + benchFloat + ` s, [0-9]+ ledger lines$`),
	}
	var all []map[string]float64
	for i, part := range parts {
		vals := map[string]float64{}
		for name, re := range durations {
			m := re.FindStringSubmatch(part)
			if m == nil {
				t.Fatalf("repeat %d prints no %s time (%s):\n%s", i+1, name, re, out)
			}
			d, err := time.ParseDuration(m[1])
			if err != nil {
				t.Fatalf("repeat %d: %s: %v", i+1, name, err)
			}
			vals[name] = d.Seconds()
		}
		for name, re := range numbers {
			m := re.FindStringSubmatch(part)
			if m == nil {
				t.Fatalf("repeat %d prints no %s (%s):\n%s", i+1, name, re, out)
			}
			v, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Fatalf("repeat %d: %s: %v", i+1, name, err)
			}
			vals[name] = v
		}
		for _, want := range []string{"payouts match: 11 people\n", "payouts match after the change: 11 people\n"} {
			if !strings.Contains(part, want) {
				t.Fatalf("repeat %d lacks %q:\n%s", i+1, want, out)
			}
		}
		all = append(all, vals)
	}
	return all
}

type benchMedian struct {
	name  string
	value float64
}

// benchMedians parses the medians block that ends out.
func benchMedians(t *testing.T, out string, repeats int) []benchMedian {
	t.Helper()
	head := fmt.Sprintf("medians of %d repeats\n", repeats)
	i := strings.Index(out, head)
	if i < 0 {
		t.Fatalf("no %q in:\n%s", head, out)
	}
	re := regexp.MustCompile(`^  (.+?) +` + benchFloat + `( s|×)$`)
	var ms []benchMedian
	for _, line := range strings.Split(strings.TrimSuffix(out[i+len(head):], "\n"), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("median line %q does not parse:\n%s", line, out)
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, benchMedian{m[1], v})
	}
	return ms
}

func medianNames(ms []benchMedian) []string {
	var names []string
	for _, m := range ms {
		names = append(names, m.name)
	}
	return names
}

// checkBenchPlanOutput checks every repeat's lines of a 2,000-transaction,
// 20-people bench --plan bench --rerun-one: each time and ratio is
// printed and parses, the payouts match, and with more than one repeat
// the medians block names every measure, in print order, with the median
// of the repeats' printed values (to their rounding).
func checkBenchPlanOutput(t *testing.T, out string, repeats int) {
	t.Helper()
	all := benchValues(t, out, repeats)
	if repeats == 1 {
		if strings.Contains(out, "medians of") {
			t.Fatalf("one repeat printed medians:\n%s", out)
		}
		return
	}
	medians := benchMedians(t, out, repeats)
	want := []string{"import", "run", "end to end", "digest read", "SQL load", "SQL compute", "SQL end to end",
		"icomp import / SQL load", "icomp run / SQL compute", "icomp end to end / SQL end to end", "re-import", "re-run"}
	if got := medianNames(medians); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("medians of %v, want %v:\n%s", got, want, out)
	}
	for _, m := range medians {
		var vs []float64
		for _, vals := range all {
			vs = append(vs, vals[m.name])
		}
		sort.Float64s(vs)
		lo, hi := vs[(len(vs)-1)/2], vs[len(vs)/2]
		// Printed to 0.001 s or 0.1×: the median of the printed values
		// is within that of the median printed.
		tol := 0.0011
		if strings.Contains(m.name, "/") {
			tol = 0.11
		}
		if m.value < lo-tol || m.value > hi+tol {
			t.Fatalf("median %s = %v, the repeats printed %v:\n%s", m.name, m.value, vs, out)
		}
	}
}

// TestBenchRepeatFlag: --repeat takes 1 or more.
func TestBenchRepeatFlag(t *testing.T) {
	t.Parallel()
	r := icomp(t, "bench", "--repeat", "0", "--transactions", "10", "--people", "5")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--repeat 0: want 1 or more") {
		t.Fatalf("bench --repeat 0: %s", r)
	}
}

// TestBenchRepeatRefusesToOverwrite: with --repeat 3, a --dir holding the
// third repeat's database is refused, naming it.
func TestBenchRepeatRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "icomp-r3.db"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := icomp(t, "bench", "--dir", dir, "--repeat", "3", "--transactions", "10", "--people", "5")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "already holds icomp-r3.db;") {
		t.Fatalf("bench --repeat 3 into a directory holding icomp-r3.db: %s", r)
	}
	if r := icomp(t, "bench", "--dir", dir, "--repeat", "2", "--transactions", "10", "--people", "5"); r.code != ExitOK {
		t.Fatalf("bench --repeat 2 into that directory: %s", r)
	}
}

// TestMedian: odd counts take the middle value, even counts the mean of
// the middle two, whatever the order.
func TestMedian(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{7}, 7},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{9, 9, 1}, 9},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestBenchPlanFlag: --plan takes examples or bench only.
func TestBenchPlanFlag(t *testing.T) {
	t.Parallel()
	r := icomp(t, "bench", "--plan", "mine", "--transactions", "10", "--people", "5")
	if r.code != ExitUsage || !strings.Contains(r.errOut, `--plan "mine": want examples or bench`) {
		t.Fatalf("bench --plan mine: %s", r)
	}
}

// TestBenchSQLEdgeCases: on amounts chosen to hit half a cent (both
// signs), a tier boundary, the third tier, the cap, the deal-bonus
// threshold and a person without deals, the hand-written SQL computes the
// payouts below, and they equal the payout lines icomp posts.
func TestBenchSQLEdgeCases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	people := "id,name,role,currency,hire_date\n"
	for _, id := range []string{"p-half", "p-neg", "p-bound", "p-bonus", "p-tier3", "p-cap", "p-none"} {
		people += id + ",Rep " + id + ",Rep,USD,2024-01-01\n"
	}
	txns := "id,date,type,owner,amount,currency\n" +
		"T1,2027-01-05,new,p-half,100.10,USD\n" + // 5.005 → 5.01
		"T2,2027-01-05,refund,p-neg,-100.10,USD\n" + // -5.005 → -5.01
		"T3,2027-02-05,new,p-bound,50000.00,USD\n" + // 2,500; bonus 500
		"T4,2027-02-05,new,p-bonus,10000.00,USD\n" + // on the threshold: no bonus
		"T5,2027-03-05,new,p-bonus,10000.50,USD\n" + // commission 1,000.025 → 1,000.03; bonus 100.005 → 100.01
		"T6,2027-03-05,new,p-tier3,150000.30,USD\n" + // 2,500 + 8,000 + 0.03; bonus 1,500.003 → 1,500.00
		"T7,2027-03-31,new,p-cap,500000.00,USD\n" + // capped at 40,000; bonus 5,000
		"T8,2027-04-01,new,p-none,1000.00,USD\n" // after the period
	for name, content := range map[string]string{"people.csv": people, "transactions.csv": txns, "plans/bench/plan.yaml": benchPlanYAML} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustIcomp(t, "--db", db, "import", "people", filepath.Join(dir, "people.csv"))
	mustIcomp(t, "--db", db, "import", "transactions", filepath.Join(dir, "transactions.csv"))
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "plans"))
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")

	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	per, err := defaultCalendar.Parse("2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := runBenchSQL(t.Context(), st, "txn", per)
	if err != nil {
		t.Fatal(err)
	}
	// The plain table the bench loads from the same file gives the same.
	if n, err := loadBenchSQLTable(t.Context(), st, benchSQLTxnTable, filepath.Join(dir, "transactions.csv"), false); err != nil || n != 8 {
		t.Fatalf("loading the plain table: %d rows, %v; want 8", n, err)
	}
	fromPlain, err := runBenchSQL(t.Context(), st, benchSQLTxnTable, per)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fromPlain) != fmt.Sprint(got) {
		t.Fatalf("hand-written SQL from the plain table: %v; from icomp's: %v", fromPlain, got)
	}
	want := map[string]int64{"p-half": 501, "p-neg": -501, "p-bound": 250000 + 50000, "p-bonus": 100003 + 10001,
		"p-tier3": 1050003 + 150000, "p-cap": 4000000 + 500000}
	if len(got) != len(want) {
		t.Fatalf("hand-written SQL: %v, want %v", got, want)
	}
	for p, v := range want {
		if got[p] != v {
			t.Fatalf("hand-written SQL: %s %d, want %d (all: %v)", p, got[p], v, got)
		}
	}
	if n, err := comparePayouts(t.Context(), st, "2027-Q1", got); err != nil || n != 7 {
		t.Fatalf("comparePayouts: %d people, %v; want 7 and no difference", n, err)
	}
	got["p-half"]++
	if _, err := comparePayouts(t.Context(), st, "2027-Q1", got); err == nil || err.Error() != "payouts differ: p-half: icomp 5.01, hand-written SQL 5.02" {
		t.Fatalf("comparePayouts with one cent more for p-half: %v", err)
	}
}
