package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClosedBalanceChainRunsInOrder: a late deal in closed 2027-Q1 changes
// the draw balance Q1 carries out; closed 2027-Q2 opened with the old one,
// so settling 2027-Q3 is refused until Q2 is run again, and then Q3 opens
// with the corrected balance. Regression test: Q3 settled on Q2's stale
// balance (4103.30 instead of 3303.30) and the draw was recovered twice
// over, with nothing saying that Q2 needed a re-run.
func TestClosedBalanceChainRunsInOrder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	mustIcomp(t, "demo", "--dir", dir)
	db := filepath.Join(dir, "icomp.db")
	do := func(args ...string) result { return mustIcomp(t, append([]string{"--db", db}, args...)...) }
	do("run", "--period", "2027-Q2")
	do("run", "--period", "2027-Q3")
	do("period", "approve", "2027-Q2")
	do("period", "close", "2027-Q1")
	do("period", "close", "2027-Q2")
	late := filepath.Join(t.TempDir(), "late.csv")
	if err := os.WriteFile(late, []byte("id,date,type,owner,amount,currency\nLATE1,2027-03-28,new,ae-11,10000.00,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do("import", "transactions", late)
	do("run", "--period", "2027-Q1") // posts into 2027-Q3
	r := icomp(t, "--db", db, "run", "--period", "2027-Q3")
	if r.code == ExitOK || !strings.Contains(r.errOut, "after 2027-Q2's last run") || !strings.Contains(r.errOut, "run 2027-Q2 again first") {
		t.Fatalf("2027-Q3 settled on closed 2027-Q2's stale balances:\n%s", r)
	}
	do("run", "--period", "2027-Q2")
	do("run", "--period", "2027-Q3")
	st := do("statement", "--person", "ae-11", "--period", "2027-Q3").out
	if !strings.Contains(st, "draw/ae-draw/ae_draw                 303.30 USD opening 3303.3; drawn 0; recovered 3000") {
		t.Fatalf("2027-Q3 does not open with the corrected balance:\n%s", st)
	}
}
