package plans_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// versionPlan is a minimal comp plan: version v, effective dates eff (a
// YAML flow mapping), paying at frequency freq.
func versionPlan(t *testing.T, v, eff, freq string) *plans.CompPlan {
	t.Helper()
	src := fmt.Sprintf(`kind: comp_plan
name: ae
version: %q
effective: %s
currency: USD
period: %s
credit:
  - name: owner
measures:
  - name: bookings
components:
  - name: commission
    type: formula
    amount: measure.bookings * 0.05
`, v, eff, freq)
	f, diags := plans.Load("ae.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("Load: %v", diags)
	}
	return f.Comp
}

// TestVersionFor: a period runs, of each plan, the newest publication
// that takes effect by the period's end. Regression test: a run computed
// only the newest publication, so publishing a version effective from
// 2027-07-01 (or the next year's) made a re-run of an earlier period
// compute nothing for the plan and reverse everything it had paid.
func TestVersionFor(t *testing.T) {
	t.Parallel()
	y2027 := versionPlan(t, "2027", "{from: 2027-01-01}", "quarterly")
	h2 := versionPlan(t, "2027-h2", "{from: 2027-07-01}", "quarterly")
	ended := versionPlan(t, "2027-end", "{from: 2027-01-01, to: 2027-06-30}", "quarterly")
	y2028 := versionPlan(t, "2028", "{from: 2028-01-01, to: 2028-12-31}", "quarterly")
	monthly := versionPlan(t, "2027-monthly", "{from: 2027-07-01}", "monthly")
	earlier := versionPlan(t, "2026", "{from: 2026-01-01}", "quarterly")
	fix2027 := versionPlan(t, "2027-fix", "{from: 2027-01-01, to: 2027-12-31}", "quarterly")
	backfill := versionPlan(t, "2026-backfill", "{from: 2026-01-01, to: 2026-12-31}", "quarterly")
	for _, tc := range []struct {
		name   string
		newest []*plans.CompPlan // newest publication first
		label  string
		want   string // the version run, "" for none
		strict string // with strict: the error, when there is one
	}{
		{"one version in force", []*plans.CompPlan{y2027}, "2027-Q2", "2027", ""},
		{"one version, before it takes effect", []*plans.CompPlan{y2027}, "2026-Q4", "", ""},
		{"a later version leaves earlier periods alone", []*plans.CompPlan{h2, y2027}, "2027-Q2", "2027", ""},
		{"a later version takes over from its date", []*plans.CompPlan{h2, y2027}, "2027-Q3", "2027-h2", ""},
		{"a version published later for the same dates replaces it", []*plans.CompPlan{y2027, h2}, "2027-Q3", "2027", ""},
		{"the next year's version leaves this year alone", []*plans.CompPlan{y2028, y2027}, "2027-Q4", "2027", ""},
		{"the next year's version runs next year", []*plans.CompPlan{y2028, y2027}, "2028-Q1", "2028", ""},
		{"after the newest version's end, nothing", []*plans.CompPlan{y2028, y2027}, "2029-Q1", "", ""},
		{"a version's to ends the plan", []*plans.CompPlan{ended, y2027}, "2027-Q3", "", ""},
		{"an ended version still runs its own periods", []*plans.CompPlan{ended, y2027}, "2027-Q2", "2027-end", ""},
		{"a version from an earlier date takes over everything after it", []*plans.CompPlan{earlier, h2}, "2027-Q3", "2026", ""},
		{"a monthly version from July: quarters before it stay quarterly", []*plans.CompPlan{monthly, y2027}, "2027-Q2", "2027", ""},
		{"a monthly version from July: its months", []*plans.CompPlan{monthly, y2027}, "2027-M08", "2027-monthly", ""},
		{"a monthly version from July: no quarter after it", []*plans.CompPlan{monthly, y2027}, "2027-Q3", "", "plan ae pays monthly; 2027-Q3 is a quarterly period"},
		{"a monthly version from July: no month before it", []*plans.CompPlan{monthly, y2027}, "2027-M03", "", "plan ae pays quarterly; 2027-M03 is a monthly period"},
		{"a correction of 2027 ending with the year leaves 2028 to its version", []*plans.CompPlan{fix2027, y2028, y2027}, "2028-Q1", "2028", ""},
		{"the correction runs 2027", []*plans.CompPlan{fix2027, y2028, y2027}, "2027-Q4", "2027-fix", ""},
		{"a backfilled 2026 version leaves 2027 to the version from 2027", []*plans.CompPlan{backfill, y2027}, "2027-Q1", "2027", ""},
		{"the backfilled version runs 2026", []*plans.CompPlan{backfill, y2027}, "2026-Q3", "2026-backfill", ""},
		{"no version", nil, "2027-Q1", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			i, per, ok, err := plans.VersionFor(tc.newest, tc.label, false)
			if err != nil {
				t.Fatalf("VersionFor: %v", err)
			}
			got := ""
			if ok {
				got = tc.newest[i].Version
				if per.Label != tc.label {
					t.Errorf("period %q, want %q", per.Label, tc.label)
				}
			}
			if got != tc.want {
				t.Fatalf("runs version %q, want %q", got, tc.want)
			}
			_, _, sok, err := plans.VersionFor(tc.newest, tc.label, true)
			switch {
			case tc.strict == "" && err != nil:
				t.Fatalf("strict: %v", err)
			case tc.strict != "" && (err == nil || !strings.Contains(err.Error(), tc.strict)):
				t.Fatalf("strict: error %v, want %q", err, tc.strict)
			case err == nil && sok != ok:
				t.Fatalf("strict: ok %v, want %v", sok, ok)
			}
		})
	}
	if _, _, _, err := plans.VersionFor([]*plans.CompPlan{y2027}, "2027-Q5", false); err == nil {
		t.Fatal("2027-Q5 read as a period")
	}
}
