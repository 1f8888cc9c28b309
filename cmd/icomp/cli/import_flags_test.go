package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestImportTargetsReplace: import targets merges a file into the
// published target plan, and --replace replaces it; --replace is for
// targets only. A people row without effective_from that changes a
// stored person starts on today's date.
func TestImportTargetsReplace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A comp plan reading the target plan, and a person with the role:
	// targets no plan reads, or for a role nobody has, are refused.
	mustIcomp(t, "--db", db, "plan", "publish", "../../../examples/account-executive/plan.yaml")
	mustIcomp(t, "--db", db, "import", "people", write("ae.csv", "id,name,role\nae-1,Ana,AE\n"))
	header := "target_plan,person,role,measure,period,amount\n"
	mustIcomp(t, "--db", db, "import", "targets", write("q1.csv", header+"ae-quotas-fy2027,,AE,bookings,2027-Q1,100\n"))
	q2 := write("q2.csv", header+"ae-quotas-fy2027,,AE,bookings,2027-Q2,200\n")
	mustIcomp(t, "--db", db, "import", "targets", q2)
	periodsOf := func() string {
		t.Helper()
		st, err := sqlitestore.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v, err := st.PlanVersionLatest(t.Context(), plans.KindTargetPlan, "ae-quotas-fy2027")
		if err != nil {
			t.Fatal(err)
		}
		f, diags := plans.Load(v.File, []byte(v.Source))
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		var labels []string
		for _, pt := range f.Target.Entries[0].Periods {
			labels = append(labels, pt.Period.Label+"="+pt.Amount.String())
		}
		return strings.Join(labels, " ")
	}
	if got := periodsOf(); got != "2027-Q1=100 2027-Q2=200" {
		t.Fatalf("after merging q2.csv: %s", got)
	}
	mustIcomp(t, "--db", db, "import", "targets", "--replace", q2)
	if got := periodsOf(); got != "2027-Q2=200" {
		t.Fatalf("after replacing with q2.csv: %s", got)
	}
	people := write("people.csv", "id,name\nae-1,Ana\n")
	if r := icomp(t, "--db", db, "import", "people", "--replace", people); r.code != ExitUsage {
		t.Fatalf("import people --replace: %s, want exit 2", r)
	}

	mustIcomp(t, "--db", db, "import", "people", people)
	before := period.NewDate(time.Now().Date())
	mustIcomp(t, "--db", db, "import", "people", write("move.csv", "id,territory\nae-1,east\n"))
	after := period.NewDate(time.Now().Date())
	st, err := sqlitestore.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.PersonListAsOf(t.Context(), storage.PersonListAsOfParams{Date: after, IDs: []string{"ae-1"}})
	if err != nil || len(ps) != 1 {
		t.Fatalf("ae-1: %v, %v", ps, err)
	}
	if got := ps[0]; got.Territory != "east" || got.Name != "Ana" || (got.EffectiveFrom != before && got.EffectiveFrom != after) {
		t.Fatalf("ae-1 after the move = %+v; want territory east from today (%s)", got, after)
	}
}
