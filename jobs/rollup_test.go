package jobs_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// TestRunRollupsAcrossBatches runs the example sales-manager plan (team
// roll-up credit and an override on the AEs' commission) with one person
// per batch, after ae-1 moved from mgr-1 to mgr-2 mid-quarter, and
// checks each manager's team bookings (rolled up by the deal's date) and
// override (5% of the commission the run posted for the reports as of the
// quarter's end) against the posted AE lines and the deals themselves.
func TestRunRollupsAcrossBatches(t *testing.T) {
	t.Parallel()
	b := setupWithData(t)
	people, txns := dataset()
	const moved = "2027-02-15"
	var ae1 []string
	rows, err := csv.NewReader(strings.NewReader(people)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	managerOf := map[string]string{}
	for _, r := range rows[1:] {
		managerOf[r[col["id"]]] = r[col["manager"]]
		if r[col["id"]] == "ae-1" {
			ae1 = r
		}
	}
	if managerOf["ae-1"] != "mgr-1" || managerOf["ae-6"] != "mgr-2" {
		t.Fatalf("dataset: ae-1 reports to %q, ae-6 to %q; want mgr-1 and mgr-2", managerOf["ae-1"], managerOf["ae-6"])
	}
	moveRow := append(append([]string{}, rows[0]...), "effective_from")
	ae1 = append(append([]string{}, ae1...), moved)
	ae1[col["manager"]] = "mgr-2"
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.WriteAll([][]string{moveRow, ae1})
	if c := b.importPeople(t, sb.String()); c.Inserted+c.Changed != 1 {
		t.Fatalf("moving ae-1: %+v, want one new version", c)
	}

	run := b.mustRun(t, jobs.StartParams{Period: testPeriod, BatchSize: 1})

	// Team bookings from the deals: new, upsell and refund deals of Q1
	// rolled up to the owner's manager on the deal's date.
	want := map[string]decimal.Decimal{}
	trows, err := csv.NewReader(strings.NewReader(txns)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tcol := map[string]int{}
	for i, h := range trows[0] {
		tcol[h] = i
	}
	ae1Deals := map[bool]int{} // ae-1's deals by whether after the move
	for _, r := range trows[1:] {
		date, typ, owner := r[tcol["date"]], r[tcol["type"]], r[tcol["owner"]]
		if date < "2027-01-01" || date > "2027-03-31" || (typ != "new" && typ != "upsell" && typ != "refund") {
			continue
		}
		m := managerOf[owner]
		if owner == "ae-1" {
			ae1Deals[date >= moved]++
			if date >= moved {
				m = "mgr-2"
			}
		}
		want[m] = want[m].Add(decimal.RequireFromString(r[tcol["amount"]]))
	}
	if ae1Deals[false] == 0 || ae1Deals[true] == 0 {
		t.Fatalf("dataset: ae-1 has %d deals before %s and %d after; the test needs both", ae1Deals[false], moved, ae1Deals[true])
	}
	// Overrides from the posted AE commission lines, by each AE's manager
	// at the quarter's end (ae-1: mgr-2).
	managerOf["ae-1"] = "mgr-2"
	commission := map[string]decimal.Decimal{}
	got := map[string]decimal.Decimal{}
	override := map[string]decimal.Decimal{}
	for k, c := range ledger.Fold(b.lines(t, testPeriod)) {
		l := c.Current
		if l == nil {
			continue
		}
		switch {
		case k.Plan == "ae-quarterly" && l.Ledger == ledger.PayoutLedger && l.Subject == "commission":
			m := managerOf[l.Person]
			commission[m] = commission[m].Add(l.Amount)
		case k.Plan == "sales-manager" && l.Ledger == ledger.AttainmentLedger && l.Subject == "team_bookings":
			got[l.Person] = l.Amount
		case k.Plan == "sales-manager" && l.Ledger == ledger.PayoutLedger && l.Subject == "team_override":
			override[l.Person] = l.Amount
		}
	}
	for _, m := range []string{"mgr-1", "mgr-2"} {
		if !got[m].Equal(want[m]) || want[m].IsZero() {
			t.Errorf("%s team_bookings = %s, want %s", m, got[m], want[m])
		}
		wantOverride := money.RoundHalfUp(commission[m].Mul(decimal.RequireFromString("0.05")), 2)
		if !override[m].Equal(wantOverride) || wantOverride.IsZero() {
			t.Errorf("%s team_override = %s, want 5%% of %s = %s", m, override[m], commission[m], wantOverride)
		}
	}

	// The same run with batches cut by transaction count (everyone in one
	// batch per plan) posts nothing new.
	again := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if again.Lines != 0 || again.Digest != run.Digest {
		t.Fatalf("re-run in one batch posted %d lines (digest %s, was %s), want none", again.Lines, again.Digest, run.Digest)
	}
}

// An override reading a plan that is not published would pay nothing,
// silently: the run fails, naming both plans.
func TestRunOverrideOfUnpublishedPlanFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importPeople(t, "id,name,role,manager\nm-1,Mia,Manager,\nae-1,Ana,AE,m-1\n")
	dir := t.TempDir()
	plan := `kind: comp_plan
name: mgr-override
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "Manager"
credit: [{name: team, to: managers, levels: 1}]
components:
  - {name: override, type: override, of: team_payouts, plan: ae-plan-typo, components: [commission], rate: 0.05}
`
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, dir)
	run, err := b.run(t, jobs.StartParams{Period: testPeriod})
	if err == nil || run.Status == storage.RunDone || !strings.Contains(err.Error(), "plan mgr-override pays overrides on plan ae-plan-typo, which is not published") {
		t.Fatalf("run %+v, err %v; want it failed naming the unpublished plan", run, err)
	}
}
