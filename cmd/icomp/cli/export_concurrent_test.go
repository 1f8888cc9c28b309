package cli

import (
	"strings"
	"sync"
	"testing"

	"github.com/icomp/icomp/storage/pgtest"
)

// TestPayrollExportConcurrentPostgres: several payroll exports of the
// same period started at once on Postgres make one batch; the others
// find its lines paid and say they repeat it. Regression test: the
// second export inserted the same line keys and failed with Postgres's
// raw unique-key error.
func TestPayrollExportConcurrentPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	mustIcomp(t, "--db", url, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", url, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", url, "plan", "publish", "testdata/statement/plans")
	mustIcomp(t, "--db", url, "run", "--period", "2027-Q1", "--local")
	mustIcomp(t, "--db", url, "period", "approve", "2027-Q1", "--by", "payroll-lead")
	const n = 4
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = icomp(t, "--db", url, "export", "payroll", "--period", "2027-Q1") })
	}
	wg.Wait()
	fresh, repeats := 0, 0
	for _, r := range results {
		switch {
		case r.code == ExitOK && strings.Contains(r.out, "ae-1"):
			fresh++
		case strings.Contains(r.errOut, "nothing new to pay for 2027-Q1: this repeats payroll batch 1"):
			repeats++
		default:
			t.Errorf("concurrent export: %s", r)
		}
	}
	if fresh != 1 || repeats != n-1 {
		t.Fatalf("%d exports made a batch and %d repeated it; want 1 and %d", fresh, repeats, n-1)
	}
}
