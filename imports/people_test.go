package imports_test

import (
	"os"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// importDay is the import date the people tests pass in.
var importDay = period.MustDate("2027-03-01")

func (b *testBundle) peopleOn(t *testing.T, day period.Date, file, content string) (storage.ImportCounts, error) {
	t.Helper()
	return imports.People(t.Context(), b.st, strings.NewReader(content), imports.Options{File: file, Format: imports.FormatOf(file), Today: day})
}

// person returns id's version in effect on day.
func (b *testBundle) person(t *testing.T, id, day string) storage.PersonRecord {
	t.Helper()
	ps, err := b.st.PersonListAsOf(t.Context(), storage.PersonListAsOfParams{Date: period.MustDate(day), IDs: []string{id}})
	if err != nil || len(ps) != 1 {
		t.Fatalf("%s as of %s: %v, %v", id, day, ps, err)
	}
	return ps[0]
}

// publishExample publishes the comp plan of examples/DIR/plan.yaml, with
// its currency replaced by currency when that is not empty.
func (b *testBundle) publishExample(t *testing.T, dir, currency string) string {
	t.Helper()
	src, err := os.ReadFile("../examples/" + dir + "/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if currency != "" {
		src = []byte(strings.Replace(string(src), "\ncurrency: USD\n", "\ncurrency: "+currency+"\n", 1))
	}
	f, diags := plans.Load(dir+".yaml", src)
	if len(diags) > 0 || f.Comp == nil {
		t.Fatalf("example %s: %v", dir, diags)
	}
	err = b.st.InTx(t.Context(), func(tx storage.Tx) error {
		_, err := tx.PlanVersionInsert(t.Context(), storage.PlanVersion{Hash: f.Comp.Hash, Kind: plans.KindCompPlan, Name: f.Comp.Name,
			Version: f.Comp.Version, File: f.Path, Source: string(src)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f.Comp.Name
}

// A file with fewer columns changes only those of a stored person; a row
// without effective_from starts the new version on the import date, and
// changes nothing when it changes no column.
func TestPeopleFewerColumns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.peopleOn(t, importDay, "attrs.csv", "id,name,attr.level,attr.region\nae-1,Ana,senior,emea\n"); err != nil {
		t.Fatal(err)
	}
	c, err := b.peopleOn(t, importDay.AddDays(14), "moves.csv", "id,territory,attr.level\nae-1,east,\nae-2,west,\n")
	if err != nil || c != (storage.ImportCounts{Changed: 1, Unchanged: 1}) {
		t.Fatalf("moves: %+v, %v; want ae-1 changed and ae-2 unchanged", c, err)
	}
	got := b.person(t, "ae-1", "2027-03-15")
	if got.EffectiveFrom.String() != "2027-03-15" || got.Territory != "east" || got.Name != "Ana" || got.Role != "AE" || got.Manager != "mgr-1" ||
		got.Currency != "USD" || got.HireDate.String() != "2024-01-15" || len(got.Attrs) != 1 || got.Attrs["region"] != "emea" {
		t.Fatalf("ae-1 after the move = %+v; want territory east from 2027-03-15, attribute level removed, the rest kept", got)
	}
	if before := b.person(t, "ae-1", "2027-03-14"); before.Territory != "west" || before.Attrs["level"] != "senior" {
		t.Fatalf("ae-1 the day before the move = %+v; want the version of 2027-03-01", before)
	}
	if first := b.person(t, "ae-1", "2026-12-31"); first.EffectiveFrom.String() != "1900-01-01" || first.Attrs != nil {
		t.Fatalf("ae-1 before the import date = %+v; want the first version, from 1900-01-01", first)
	}
	// A new person without effective_from starts before any plan year.
	if _, err := b.peopleOn(t, importDay, "new.csv", "id,name,manager\nae-3,Di,mgr-1\n"); err != nil {
		t.Fatal(err)
	}
	if got := b.person(t, "ae-3", "2000-01-01"); got.EffectiveFrom.String() != "1900-01-01" {
		t.Fatalf("new person ae-3 = %+v, want effective from 1900-01-01", got)
	}
	// JSON Lines: the keys a row has are its columns.
	c, err = b.peopleOn(t, importDay.AddDays(30), "p.jsonl", `{"id":"ae-1","role":"Senior AE"}`+"\n")
	if err != nil || c != (storage.ImportCounts{Changed: 1}) {
		t.Fatalf("JSON Lines: %+v, %v", c, err)
	}
	if got := b.person(t, "ae-1", "2027-04-01"); got.Role != "Senior AE" || got.Territory != "east" || got.Name != "Ana" {
		t.Fatalf("ae-1 after the JSON Lines row = %+v", got)
	}
}

// A person's plans must be published comp plans, in any currency.
func TestPeoplePlans(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.peopleOn(t, importDay, "p.csv", "id,plans\nae-1,ae-quarterly\n")
	wantProblems(t, problems(t, err), []string{
		`p.csv:2: plans: comp plan "ae-quarterly" is not published; no comp plan is published yet (icomp plan publish)`,
	})
	ae := b.publishExample(t, "account-executive", "")
	sdr := b.publishExample(t, "sdr", "EUR")
	_, err = b.peopleOn(t, importDay, "p.csv", "id,plans,currency\nae-1,ae-quartely,USD\nae-2,ae-quarterly;nope,USD\nae-3,,USD\n")
	wantProblems(t, problems(t, err), []string{
		`p.csv:2: plans: comp plan "ae-quartely" is not published; did you mean "ae-quarterly"?; published comp plans: ae-quarterly, sdr-monthly`,
		`p.csv:3: plans: comp plan "nope" is not published; published comp plans: ae-quarterly, sdr-monthly`,
	})
	c, err := b.peopleOn(t, importDay, "p.csv", "id,plans\nae-1,"+ae+"\n")
	if err != nil || c != (storage.ImportCounts{Changed: 1}) {
		t.Fatalf("assigning a published plan: %+v, %v", c, err)
	}
	// sdr-monthly pays in EUR: a USD person may be on it, and is paid in
	// USD converted at settlement (docs/plans.md §18).
	if c, err := b.peopleOn(t, importDay, "p.csv", "id,plans\nsdr-1,"+sdr+"\n"); err != nil || c != (storage.ImportCounts{Changed: 1}) {
		t.Fatalf("a USD person on a EUR plan: %+v, %v", c, err)
	}
	_, err = b.peopleOn(t, importDay, "p.csv", "id,currency\nae-1,EUX\n")
	if err == nil {
		t.Fatal("an unknown currency was accepted")
	}
	if got := b.person(t, "ae-1", "2027-06-01"); got.Currency != "USD" || len(got.Plans) != 1 {
		t.Fatalf("ae-1 after a refused file = %+v", got)
	}
}

// A manager must be in the file or stored, and managers must not form a
// cycle, stored people included.
func TestPeopleManagers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.counts(t)
	for _, tt := range []struct {
		name, content string
		want          []string
	}{
		{"unknown", "id,name,manager\np9,Pia,mgr-9\np10,Ten,nobody\n", []string{
			`p.csv:2: manager: unknown person "mgr-9": neither in this file nor imported before; did you mean "mgr-1"?`,
			`p.csv:3: manager: unknown person "nobody": neither in this file nor imported before`,
		}},
		{"two in the file", "id,name,manager\np1,A,p2\np2,B,p1\n", []string{
			`p.csv:2: manager: manager cycle p1 → p2 → p1 (as of 1900-01-01)`,
		}},
		{"through stored people", "id,manager\nmgr-1,ae-1\n", []string{
			`p.csv:2: manager: manager cycle mgr-1 → ae-1 → mgr-1 (as of 2027-03-01)`,
		}},
		{"longer, from a date", "id,name,manager,effective_from\np1,A,p2,2027-01-01\np2,B,p3,2027-01-01\np3,C,mgr-1,2027-01-01\nmgr-1,Mia,p1,2027-02-01\n", []string{
			`p.csv:2: manager: manager cycle p1 → p2 → p3 → mgr-1 → p1 (as of 2027-02-01)`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.peopleOn(t, importDay, "p.csv", tt.content)
			wantProblems(t, problems(t, err), tt.want)
			if after := b.counts(t); after != before {
				t.Fatalf("people and transactions %v after the refused file, want %v", after, before)
			}
		})
	}
	// A manager on a later line of the same file is known.
	if c, err := b.peopleOn(t, importDay, "p.csv", "id,name,manager\np9,Pia,p10\np10,Ten,mgr-1\n"); err != nil || c != (storage.ImportCounts{Inserted: 2}) {
		t.Fatalf("manager later in the file: %+v, %v", c, err)
	}
}

// A termination date given for a stored person is checked against their
// stored hire date.
func TestPeopleTerminationBeforeStoredHire(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.peopleOn(t, importDay, "p.csv", "id,termination_date\nae-1,2023-12-31\nae-2,2027-02-28\n")
	wantProblems(t, problems(t, err), []string{
		`p.csv:2: termination_date: termination_date 2023-12-31 and hire_date 2024-01-15 (stored): termination_date is before hire_date`,
	})
}
