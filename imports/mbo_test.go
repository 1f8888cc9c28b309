package imports_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
)

func (b *testBundle) mbo(t *testing.T, file, content string) (storage.ImportCounts, []string, error) {
	t.Helper()
	return imports.MBOScores(t.Context(), b.st, strings.NewReader(content), imports.Options{File: file, Format: imports.FormatOf(file)})
}

// TestMBOScores: scores import all or nothing, each bad field named with
// its line; a re-import of the same scores changes nothing and a changed
// score is a new version of it.
func TestMBOScores(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, _, err := b.mbo(t, "mbo.csv", "person,period,objective,score\nae-1,2027-Q1,csat,0.9\n"); err == nil || !strings.Contains(err.Error(), "no company calendar") {
		t.Fatalf("import without a calendar: %v, want an error saying there is none", err)
	}
	if err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		if _, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: "h1", Kind: "comp_plan", Name: "mbo-plan", Version: "1", File: "mbo.yaml", Source: mboPlan}); err != nil {
			return err
		}
		return tx.SettingSet(t.Context(), storage.SettingFiscalYearStart, "1")
	}); err != nil {
		t.Fatal(err)
	}
	bad := `person,period,objective,score
ae-1,2027-Q1,csat,0.9
nobody,2027-Q1,csat,1
ae-1,2027-q1,csat,1
ae-2,2027-Q1,bad name,1
ae-2,2027-Q1,csat,90
ae-2,2027-Q1,pipeline,-0.5
ae-2,2027-Q1,pipeline2,1e0
ae-1,2027-Q1,csat,0.8
ae-2,2027-Q1,csatt,1
`
	_, _, err := b.mbo(t, "mbo.csv", bad)
	var ie *imports.Error
	if !errors.As(err, &ie) {
		t.Fatalf("import: %v, want an *imports.Error", err)
	}
	for _, want := range []string{
		"mbo.csv:3: person: no person",
		`mbo.csv:4: period: period "2027-q1": want YYYY, YYYY-Qn (n 1-4), YYYY-Mnn (nn 01-12), YYYY-SMnn (nn 01-24) or YYYY-BWnn (nn 01-27); did you mean "2027-Q1"?`,
		"mbo.csv:5: objective: ",
		"mbo.csv:6: score: 90 is above 10; a score is a fraction, 1 meaning met in full: write 90% as 0.9",
		"mbo.csv:7: score: -0.5 is negative",
		"mbo.csv:8: score: ",
		"mbo.csv:9: objective: ae-1 already has a score for csat in 2027-Q1 at line 2",
		`mbo.csv:10: objective: "csatt" is not an objective of a published comp plan's mbo component; did you mean "csat"?`,
		"8 problem(s); nothing was imported",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error\n%v\ndoes not say %q", err, want)
		}
	}
	if got, _ := b.st.MBOScoreList(t.Context(), storage.MBOScoreListParams{Period: "2027-Q1"}); len(got) != 0 {
		t.Fatalf("a bad file stored %d scores", len(got))
	}
	good := "person,period,objective,score\nae-1,2027-Q1,csat,0.9\nae-2,2027-Q1,csat,1.10\n"
	c, changed, err := b.mbo(t, "mbo.csv", good)
	if err != nil || c != (storage.ImportCounts{Inserted: 2}) || len(changed) != 1 || changed[0] != "2027-Q1" {
		t.Fatalf("import = %+v, %v, %v; want 2 inserted into 2027-Q1", c, changed, err)
	}
	c, changed, err = b.mbo(t, "mbo.csv", good)
	if err != nil || c != (storage.ImportCounts{Unchanged: 2}) || len(changed) != 0 {
		t.Fatalf("re-import = %+v, %v, %v; want 2 unchanged", c, changed, err)
	}
	c, _, err = b.mbo(t, "mbo.jsonl", `{"person":"ae-1","period":"2027-Q1","objective":"csat","score":"0.95"}`+"\n")
	if err != nil || c != (storage.ImportCounts{Changed: 1}) {
		t.Fatalf("changed score = %+v, %v; want 1 changed", c, err)
	}
}

const mboPlan = `kind: comp_plan
name: mbo-plan
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
credit:
  - {name: owner, to: owner}
measures:
  - name: bookings
components:
  - name: mbo
    type: mbo
    target_amount: 1000
    objectives:
      - {name: csat, weight: 0.5}
      - {name: pipeline, weight: 0.5}
`

// TestMBOObjectivesOfEarlierVersions: a score may name an objective only
// an earlier version of a plan has, since an earlier period runs that
// version. Regression test: objectives were read from the newest
// publications only, so a Q1 score was refused once a version from Q3
// renamed the objective.
func TestMBOObjectivesOfEarlierVersions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	later := strings.NewReplacer(`version: "1"`, `version: "2"`, "{name: csat", "{name: nps").Replace(mboPlan)
	if !strings.Contains(later, "nps") {
		t.Fatal("the test's later version renames no objective")
	}
	if err := b.st.InTx(t.Context(), func(tx storage.Tx) error {
		for i, src := range []string{mboPlan, later} {
			if _, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: fmt.Sprint("h", i), Kind: "comp_plan", Name: "mbo-plan", Version: fmt.Sprint(i + 1), File: "mbo.yaml", Source: src}); err != nil {
				return err
			}
		}
		return tx.SettingSet(t.Context(), storage.SettingFiscalYearStart, "1")
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.mbo(t, "mbo.csv", "person,period,objective,score\nae-1,2027-Q1,csat,0.9\nae-1,2027-Q3,nps,0.8\n"); err != nil {
		t.Fatalf("scores of both versions' objectives: %v", err)
	}
}
