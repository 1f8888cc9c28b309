package plans_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// payFrequencyDir holds comp plans with pay frequency mistakes; each
// x.yaml has its diagnostics, word for word, in x.golden.
const payFrequencyDir = "testdata/pay_frequency"

func TestPayFrequencyDiagnostics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"biweekly-no-anchor.yaml", []string{"7:1: period: a biweekly plan needs pay_cycle_anchor"}},
		{"anchor-on-monthly.yaml", []string{"8:19: pay_cycle_anchor: only a biweekly plan has pay cycles; this plan pays monthly"}},
		{"anchor-not-a-date.yaml", []string{`8:19: pay_cycle_anchor: "2027-13-01" is not a date`}},
		{"mtd-on-quarterly.yaml", []string{`12:13: measure "bookings_mtd".window: mtd (month to date) needs a monthly, semimonthly or biweekly plan; this plan pays quarterly`}},
		{"biweekly-targets.yaml", []string{"9:1: targets: a biweekly plan's pay cycles do not line up"}},
		{"semi-monthly-hyphen.yaml", []string{`7:9: plan.period: "semi-monthly" is not one of monthly, quarterly, annual, semimonthly, biweekly; did you mean "semimonthly"?`}},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(payFrequencyDir, tc.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := plans.Load(path, src)
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Message))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("diagnostic %d:\ngot  %s\nwant %s...", i+1, got[i], tc.want[i])
				}
			}
			checkGolden(t, filepath.Join(payFrequencyDir, strings.TrimSuffix(tc.file, ".yaml")+".golden"), render(diags))
		})
	}
}

// A bi-weekly plan's anchor becomes its calendar's, and a semi-monthly
// plan reads month-to-date measures.
func TestPayFrequencyLoads(t *testing.T) {
	t.Parallel()
	src := `kind: comp_plan
name: bw
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: biweekly
pay_cycle_anchor: 2027-01-08
credit:
  - name: owner
measures:
  - name: bookings_mtd
    window: mtd
components:
  - name: commission
    type: formula
    amount: measure.bookings_mtd * 0.05
`
	f, diags := plans.Load("bw.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("Load: %v", diags)
	}
	p := f.Comp
	if p.Frequency != period.BiWeekly || p.Calendar.PayCycleAnchor != period.MustDate("2027-01-08") || p.Measures[0].Window != period.WindowMTD {
		t.Fatalf("got frequency %s, anchor %s, window %s", p.Frequency, p.Calendar.PayCycleAnchor, p.Measures[0].Window)
	}
}
