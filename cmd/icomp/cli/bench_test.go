package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage/pgtest"
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
