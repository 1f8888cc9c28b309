package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanChangeMidPeriod: a person who moves from one comp plan to
// another during a quarter (here by a role change, effective 2027-02-15)
// is paid by both: each plan credits only the deals dated while the
// person was on it and prorates fixed amounts to those days.
func TestPlanChangeMidPeriod(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	plan := func(name, role, rate string) string {
		return `kind: comp_plan
name: ` + name + `
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "` + role + `"
credit:
  - {name: owner, to: owner}
measures:
  - name: bookings
components:
  - {name: commission, type: formula, amount: measure.bookings * ` + rate + `}
  - {name: guarantee, type: formula, amount: 900 * proration}
`
	}
	write("plans/ae.yaml", plan("ae-plan", "AE", "0.1"))
	write("plans/se.yaml", plan("se-plan", "SE", "0.2"))
	mustIcomp(t, "--db", db, "plan", "publish", filepath.Join(dir, "plans"))
	mustIcomp(t, "--db", db, "import", "people", write("people.csv", "id,name,role,currency,effective_from\np1,Ana,AE,USD,2027-01-01\n"))
	mustIcomp(t, "--db", db, "import", "people", write("people2.csv", "id,name,role,currency,effective_from\np1,Ana,SE,USD,2027-02-15\n"))
	mustIcomp(t, "--db", db, "import", "transactions", write("txns.csv", "id,date,type,owner,amount,currency\nT1,2027-01-20,new,p1,100,USD\nT2,2027-03-01,new,p1,1000,USD\n"))
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	s := mustIcomp(t, "--db", db, "statement", "--person", "p1", "--period", "2027-Q1", "--format", "text").out
	for _, want := range []string{
		// ae-plan: T1 only, 45 of 90 days (2027-01-01..2027-02-14)
		"commission [commission]: 10.00 USD",
		// se-plan: T2 only, 45 of 90 days (2027-02-15..2027-03-31)
		"commission [commission]: 200.00 USD",
		"proration = 45/90 days employed = 0.5",
		"Total earned in 2027-Q1: 1110.00 USD",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("statement lacks %q:\n%s", want, s)
		}
	}
}
