package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunReport: after a successful run, icomp run notes the transactions
// dated in the period that no plan credited (count and ids), and warns of
// people eligible for two plans that pay the same earning code.
func TestRunReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	txns, err := os.ReadFile("testdata/statement/transactions.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Two deals of the manager, whom no plan pays: no plan credits them.
	txns = append(txns, []byte("TX-ORPHAN-2,2027-02-02,new,mgr-1,west,core,100.00,USD,,,\nTX-ORPHAN-1,2027-02-01,new,mgr-1,west,core,100.00,USD,,,\n")...)
	if err := os.WriteFile(filepath.Join(dir, "transactions.csv"), txns, 0o644); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", filepath.Join(dir, "transactions.csv"))
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/statement/plans")
	r := mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if want := "note: 2 transaction(s) dated in 2027-Q1 credited by no plan: TX-ORPHAN-1, TX-ORPHAN-2\n"; !strings.Contains(r.errOut, want) {
		t.Fatalf("run with two uncredited deals: %s\nwant %q", r, want)
	}
	if strings.Contains(r.errOut, "warning:") {
		t.Fatalf("one plan, yet a warning: %s", r)
	}

	// A second plan paying the same earning codes to the same people.
	src, err := os.ReadFile("testdata/statement/plans/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	copyPlan := filepath.Join(dir, "copy.yaml")
	if err := os.WriteFile(copyPlan, []byte(strings.Replace(string(src), "name: golden-ae\n", "name: golden-ae-copy\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustIcomp(t, "--db", db, "plan", "publish", copyPlan)
	r = mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	if want := "warning: ae-1 is eligible for plans golden-ae and golden-ae-copy, which all pay earning code COMM in 2027-Q1"; !strings.Contains(r.errOut, want) {
		t.Fatalf("run of two plans paying COMM: %s\nwant %q", r, want)
	}
}
