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
// directory, applying each replacement (every old by new) to the file named by its
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
			b = []byte(strings.ReplaceAll(string(b), r[0], r[1]))
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

// TestPublishRefusesChangedContentUnderPublishedLabel: a changed plan
// under a version label already published for its name is refused and
// nothing of the command is published; identical content is a no-op, and
// an older version's exact content may be published again.
func TestPublishRefusesChangedContentUnderPublishedLabel(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "icomp.db")
	v1 := copyDir(t, "testdata/failing", map[string][2]string{"plan_test.yaml": {"commission: 60", "commission: 50"}})
	r := mustIcomp(t, "--db", db, "plan", "publish", v1)
	if !strings.Contains(r.out, "published plan flat version 1 (") {
		t.Fatalf("publish v1: %s", r)
	}
	hash1 := r.out[strings.Index(r.out, "version 1 (")+len("version 1 (") : strings.Index(r.out, ") from")]

	// The same content again changes nothing.
	if r := mustIcomp(t, "--db", db, "plan", "publish", v1); !strings.Contains(r.out, "unchanged plan flat version 1 ("+hash1+")") {
		t.Fatalf("publish v1 again: %s", r)
	}

	// Changed content under label 1: refused, with the published hash.
	// A target plan published earlier in the same command (its file sorts
	// first) is rolled back.
	changed := copyDir(t, v1, map[string][2]string{"plan.yaml": {"credit.amount * 0.05", "credit.amount * 0.06"}, "plan_test.yaml": {"commission: 50", "commission: 60"}})
	if err := os.WriteFile(filepath.Join(changed, "a-targets.yaml"), []byte("kind: target_plan\nname: flat-quotas\nversion: \"1\"\nperiod: quarterly\ntargets:\n  - {role: AE, measure: bookings, periods: {2027-Q1: 1000}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = icomp(t, "--db", db, "plan", "publish", changed)
	want := "plan flat version 1 is already published with different content (hash " + hash1 + "); give this version a new label"
	if r.code != ExitFailed || !strings.Contains(r.errOut, want) {
		t.Fatalf("publish changed content as version 1: %s\nwant exit 1 and %q", r, want)
	}
	if got := publishedPlans(t, db); strings.Join(got, ",") != "flat@1" {
		t.Fatalf("published %v after the refusal, want flat@1", got)
	}
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := st.PlanVersionListByLabel(t.Context(), plans.KindTargetPlan, "flat-quotas", "1")
	st.Close()
	if err != nil || len(vs) != 0 {
		t.Fatalf("target plan publications after the refused command: %+v, %v; want none", vs, err)
	}
	// There is no --force.
	if r := icomp(t, "--db", db, "plan", "publish", "--force", changed); r.code != ExitUsage {
		t.Fatalf("publish --force: %s, want a usage error", r)
	}

	// Under a new label the change publishes; then v1's exact content may
	// be published again (a roll-back) and is the latest.
	relabelled := copyDir(t, changed, map[string][2]string{"plan.yaml": {`version: "1"`, `version: "2"`}})
	if r := mustIcomp(t, "--db", db, "plan", "publish", relabelled); !strings.Contains(r.out, "published target plan flat-quotas version 1 (") || !strings.Contains(r.out, "published plan flat version 2 (") {
		t.Fatalf("publish as version 2: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "plan", "publish", v1); !strings.Contains(r.out, "published plan flat version 1 ("+hash1+")") {
		t.Fatalf("publish v1 again after v2: %s", r)
	}
	if got := publishedPlans(t, db); strings.Join(got, ",") != "flat@1" {
		t.Fatalf("latest %v after going back to v1, want flat@1", got)
	}
}
