package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
// against the hand-written SQL on SQLite, before and after --rerun-one.
func TestBenchPlanMatchesSQL(t *testing.T) {
	t.Parallel()
	r := mustIcomp(t, "bench", "--plan", "bench", "--transactions", "2000", "--people", "20", "--rerun-one")
	checkBenchPlanOutput(t, r.out)
}

// TestBenchPlanMatchesSQLPostgres is TestBenchPlanMatchesSQL on Postgres.
func TestBenchPlanMatchesSQLPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	r := mustIcomp(t, "--db", url, "bench", "--plan", "bench", "--transactions", "2000", "--people", "20", "--rerun-one")
	checkBenchPlanOutput(t, r.out)
	if strings.Contains(r.out, "plain SQL") {
		t.Fatalf("bench --plan bench also timed the plain SQL baseline:\n%s", r.out)
	}
}

func checkBenchPlanOutput(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{"hand-written SQL  ", "icomp run / SQL = ", "payouts match: 11 people\n",
		"rerun-one    transaction T00000001 changed: re-import of 2000 rows in ", "payouts match after the change: 11 people\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench --plan bench output lacks %q:\n%s", want, out)
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
	got, err := runBenchSQL(t.Context(), st, per)
	if err != nil {
		t.Fatal(err)
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
