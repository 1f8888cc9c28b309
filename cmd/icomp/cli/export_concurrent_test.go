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

// TestDisableAdminsConcurrentPostgres: two admins disabled at the same
// moment on Postgres (each by the other, say) leave one enabled: the
// second disabling waits for the first and then finds it would disable
// the last admin. Regression test: each counted the other as still
// enabled, and both were disabled.
func TestDisableAdminsConcurrentPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pgtest.Shared(t))
	mustIcomp(t, "--db", url, "migrate")
	for _, email := range []string{"a@example.com", "b@example.com"} {
		if r := icompIn(t, "a long enough password\n", "--db", url, "users", "add", "--email", email, "--role", "admin"); r.code != ExitOK {
			t.Fatalf("users add: %s", r)
		}
	}
	for round := range 5 {
		results := make([]result, 2)
		var wg sync.WaitGroup
		for i, email := range []string{"a@example.com", "b@example.com"} {
			wg.Go(func() { results[i] = icomp(t, "--db", url, "users", "disable", "--email", email) })
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch {
			case r.code == ExitOK:
				ok++
			case !strings.Contains(r.String(), "is the last enabled admin"):
				t.Fatalf("round %d: %s", round, r)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of the two admins were disabled, want 1:\n%s\n%s", round, ok, results[0], results[1])
		}
		for _, email := range []string{"a@example.com", "b@example.com"} {
			icomp(t, "--db", url, "users", "enable", "--email", email) // the one still enabled is refused: that is fine
		}
	}
}
