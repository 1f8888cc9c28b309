package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestImportMBOAndRun: MBO scores imported with icomp import mbo reach the
// engine through a run, the statement shows the mbo payout, and a changed
// score marks the calculated period as needing a re-run.
func TestImportMBOAndRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
	mustIcomp(t, "--db", db, "import", "people", write("people.csv", "id,name,role\ndm,Dana,Division manager\n"))
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join("..", "..", "..", "examples", "published", "joans-fabrics-mbo"))
	if r := icomp(t, "--db", db, "import", "mbo", write("bad.csv", "person,period,objective,score\ndm,2021-Q1,roa,119\n")); r.code == ExitOK || !strings.Contains(r.out, "bad.csv:2: score: 119 is above 10") {
		t.Fatalf("a percentage as a score: %s", r)
	}
	scores := "person,period,objective,score\ndm,2021-Q1,roa,1.1892\ndm,2021-Q1,customer_satisfaction,1.0588\ndm,2021-Q1,discount,1.1111\ndm,2021-Q1,new_sku_sales,1.30\n"
	if r := mustIcomp(t, "--db", db, "import", "mbo", write("mbo.csv", scores)); !strings.Contains(r.out, "mbo: 4 inserted, 0 changed, 0 unchanged") {
		t.Fatalf("import mbo: %s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2021-Q1")
	s := mustIcomp(t, "--db", db, "statement", "--person", "dm", "--period", "2021-Q1", "--format", "text")
	if !strings.Contains(s.out, "34.20") {
		t.Fatalf("statement lacks the 34.20 scorecard bonus:\n%s", s.out)
	}
	mustIcomp(t, "--db", db, "import", "mbo", write("mbo2.csv", "person,period,objective,score\ndm,2021-Q1,roa,1\n"))
	if r := mustIcomp(t, "--db", db, "period", "list"); !strings.Contains(r.out, "MBO scores were imported") {
		t.Fatalf("period list does not say 2021-Q1 needs a re-run:\n%s", r.out)
	}
}
