package plantest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/plantest"
)

const expectDir = "../testdata/plan_test_expect"

// TestExpect runs plan test files that assert measures and plan check
// errors; want lists each failure's start, in order ("" for none).
func TestExpect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"measures.yaml", nil},
		{"sm-attainment.yaml", nil},
		{"measures-wrong.yaml", []string{
			"measures-wrong.yaml:13:26: measure ae-1 / bookings over 2027-01-16..2027-01-31 (period): got 600 from 1 credit(s), want 1400",
		}},
		{"check.yaml", nil},
		{"check-fails.yaml", []string{
			`check-fails.yaml:5:5: plan check: no problem at 7:9 starting "period: a biweekly plan needs pay_cycle_anchor"`,
			`check-fails.yaml:5:5: plan check reports a problem the test does not expect: 7:1: period: a biweekly plan needs pay_cycle_anchor`,
			`check-fails.yaml:5:5: plan check reports a problem the test does not expect: 12:13: measure "bookings".window: "mtdd" is not one of`,
		}},
		{"check-fails-message.yaml", []string{
			`check-fails-message.yaml:4:5: plan check: no problem at 7:1 starting "period: a biweekly plan needs an anchor"; at 7:1 it reports "period: a biweekly plan needs pay_cycle_anchor`,
			`check-fails-message.yaml:4:5: plan check reports a problem the test does not expect: 7:1: period: a biweekly plan needs pay_cycle_anchor`,
		}},
		{"check-good-plan.yaml", []string{
			`check-good-plan.yaml:5:5: plan check: no problem at 1:1 starting "anything"; the plan passes plan check`,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			f, diags := plans.NewLoader().LoadFile(filepath.Join(expectDir, tc.file))
			if len(diags) > 0 {
				t.Fatalf("load: %v", diags)
			}
			results := plantest.Run(f.Test)
			var got []string
			for _, r := range results {
				for _, fail := range r.Failures {
					got = append(got, strings.TrimPrefix(fail, expectDir+"/"))
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d failures, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("failure %d:\ngot  %s\nwant %s...", i+1, got[i], tc.want[i])
				}
			}
		})
	}
}

// Test files with mistakes in prior entries or in expect_check_errors are
// refused by plan check, each problem at its place.
func TestExpectDiagnostics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"prior-errors.yaml", []string{
			`11:18: case "bad prior" prior 1.person: no person "ae-2" in this case; the case lists ae-1`,
			`12:35: case "bad prior" prior 2.component: plan "expect-sm" has no component "ytd_bonuses"; did you mean "ytd_bonus"?`,
			`13:35: case "bad prior" prior 3.component: "commission" is neither cumulative nor once, so no prior payout of it is read; cumulative or once: ytd_bonus`,
		}},
		{"check-malformed.yaml", []string{
			`2:1: plan test: a test with expect_check_errors checks a bad plan and has no cases`,
			`4:10: targets: a test with expect_check_errors checks only its plan; remove targets`,
			`6:9: expect_check_errors 1.at: "line 7" is not a position in the plan; want LINE:COLUMN, such as "7:1"`,
			`8:5: expect_check_errors 2.message: empty; write the start of the message the plan check must report`,
		}},
		{"check-missing-plan.yaml", []string{
			`2:7: plan: testdata/missing.yaml: cannot read`,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, diags := plans.NewLoader().LoadFile(filepath.Join(expectDir, tc.file))
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
		})
	}
}
