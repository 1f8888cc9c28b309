package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// copyDir copies the files of the directory src into a new temporary
// directory, applying each replacement (old, new) to the file named by its
// key, and returns the new directory.
func copyDir(t *testing.T, src string, replace map[string][2]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := replace[e.Name()]; ok {
			if !strings.Contains(string(b), r[0]) {
				t.Fatalf("%s/%s does not contain %q", src, e.Name(), r[0])
			}
			b = []byte(strings.Replace(string(b), r[0], r[1], 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publishedPlans lists the latest published comp plan versions of db as
// name@version.
func publishedPlans(t *testing.T, db string) []string {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vs, err := st.PlanVersionListLatest(t.Context(), plans.KindCompPlan)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Name+"@"+v.Version)
	}
	return out
}

// TestPublishRefusesFailingPlanTests: a comp plan whose plan tests fail is
// not published, whether the test file is named or only sits beside the
// plan; the failures are printed and the exit code is 1.
func TestPublishRefusesFailingPlanTests(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	wantFail := `FAIL testdata/failing/plan_test.yaml:13:5: expects 6 percent but the plan pays 5
    testdata/failing/plan_test.yaml:19:36: payout ae-1 / commission: got 50, want 60 (off by -10)
plan tests: 1 passed, 1 failed; nothing was published
`
	for _, path := range []string{"testdata/failing", "testdata/failing/plan.yaml"} {
		r := icomp(t, "--db", db, "plan", "publish", path)
		if r.code != ExitFailed || r.out != wantFail {
			t.Fatalf("publish %s: %s\nwant exit 1 and stdout:\n%s", path, r, wantFail)
		}
	}
	if got := publishedPlans(t, db); len(got) != 0 {
		t.Fatalf("published after the refusals: %v, want nothing", got)
	}

	// A plan test beside the plan that has problems tests nothing: refused.
	broken := copyDir(t, "testdata/failing", map[string][2]string{"plan_test.yaml": {"expect:\n      payouts: {ae-1: {commission: 60}}", "expect:\n      payoutz: {ae-1: {commission: 60}}"}})
	r := icomp(t, "--db", db, "plan", "publish", filepath.Join(broken, "plan.yaml"))
	if r.code != ExitFailed || !strings.Contains(r.out, filepath.Join(broken, "plan_test.yaml")+":") || !strings.HasSuffix(r.out, " problem(s) in the plan tests; nothing was published\n") {
		t.Fatalf("publish beside a broken plan test: %s", r)
	}
	if got := publishedPlans(t, db); len(got) != 0 {
		t.Fatalf("published after the refusals: %v, want nothing", got)
	}

	// Fixed, the plan's tests pass and it is published.
	fixed := copyDir(t, "testdata/failing", map[string][2]string{"plan_test.yaml": {"commission: 60", "commission: 50"}})
	r = mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(fixed, "plan.yaml"))
	if !strings.HasPrefix(r.out, "plan tests: 2 passed, 0 failed\npublished plan flat version 1 (") {
		t.Fatalf("publish of a plan whose tests pass: %s", r)
	}
	if got := publishedPlans(t, db); strings.Join(got, ",") != "flat@1" {
		t.Fatalf("published %v, want flat@1", got)
	}
}
