package plans_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// TestPerDealDiagnostics loads plans/testdata/perdeal/*.yaml, whose
// per-deal tables, SPIFF windows, once components and curves hold
// deliberate mistakes, and compares plan check's output with the golden
// files word for word, caret included (-update rewrites them).
func TestPerDealDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string // "line:col: start of message", in order
	}{
		{"mistakes.yaml", []string{
			"20:5: component \"retro_per_deal\": per: deal pays each part of each deal at the rate of the",
			"27:5: component \"cumulative_per_deal\": per: deal already pays each deal once, in the perio",
			"32:5: component \"per_on_formula\": key \"per\" applies only to rate_table components, not for",
			"36:5: component \"window_on_formula\": window selects deals by date, so it applies only to p",
			"41:5: component \"window_on_total_table\": window selects deals by date, so it applies only ",
			"46:13: component \"window_backwards\".window: to 2027-03-01 is before from 2027-03-31",
			"50:13: component \"window_too_early\".window: from 2026-12-15 is before the plan takes effec",
			"54:13: component \"window_too_late\".window: to 2028-01-15 is after the plan ends (2027-01-0",
			"58:13: component \"window_no_to\".window: missing required key \"to\"",
			"63:5: component \"once_cumulative\": once and cumulative cannot be combined: once pays in th",
			"71:9: component \"unsorted\" point 3: x 1 is below point 2's x 1.5; list the points in incre",
			"77:9: component \"same_x\" point 2: x 0.5 is the same as point 1's; each x must be above the",
			"82:7: component \"one_point\".points: 1 point(s); a curve has from 2 to 50 points",
			"83:5: component \"no_of\": missing required key \"of\"",
			"85:5: component \"no_of\": key \"tiers\" applies only to rate_table components, not curve",
			"87:5: component \"no_of\": key \"amount\" does not apply to curve components: of gives the cur",
			"91:12: component \"no_of\".below: \"flatt\" is not one of flat, zero; did you mean \"flat\"?",
			"92:12: component \"no_of\".above: \"zero\" is not one of flat, extend",
			"96:5: component \"points_on_formula\": key \"points\" applies only to curve components, not fo",
			"101:9: component \"cumulative_curve\": a cumulative component nets year-to-date earnings, bu",
		}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "perdeal", tc.file)
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
				t.Errorf("got %d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range min(len(got), len(tc.want)) {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("diagnostic %d:\ngot  %s\nwant %s...", i+1, got[i], tc.want[i])
				}
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden", render(diags))
		})
	}
}

// TestExpectDealsDiagnostics checks that expect.deals names people of the
// case and per-deal rate tables of the plan.
func TestExpectDealsDiagnostics(t *testing.T) {
	t.Parallel()
	_, diags, err := plans.Check([]string{filepath.Join("testdata", "perdeal", "expect-deals")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`15:11: case "deals of a component that does not pay by deal".expect.deals.ae-1: plan "expect-deals" has no per-deal rate table "total"`,
		`16:11: case "deals of a component that does not pay by deal".expect.deals.ae-1: plan "expect-deals" has no per-deal rate table "comission" (only rate tables with per: deal pay by deal); did you mean "commission"?`,
		`17:9: case "deals of a component that does not pay by deal".expect.deals: no person "ae-9" in this case; the case lists ae-1`,
	}
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Message))
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\ngot  %s\nwant %s...", i+1, got[i], want[i])
		}
	}
}
