package plans_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

// A plan test's fx rates are checked where they are written.
func TestFXRatesInPlanTest(t *testing.T) {
	dir := t.TempDir()
	plan := `kind: comp_plan
name: fx
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: monthly
credit: [{name: sale}]
components: [{name: c, type: per_credit, amount: credit.amount * 0.1}]
`
	test := `kind: plan_test
plan: plan.yaml
cases:
  - name: rates
    period: 2027-M01
    fx:
      - {from: GBP, to: USD, month: 2027-01, rate: 1.22}
      - {from: GBP, to: USD, month: 2027-01, rate: 1.23}
      - {from: GBX, to: USD, month: 2027-01, rate: 1}
      - {from: EUR, to: USD, month: 2027-1, rate: 0}
      - {from: USD, to: USD, month: 2027-01, rate: 1}
    people: [{id: p1}]
    expect: {payouts: {}}
`
	for name, src := range map[string]string{"plan.yaml": plan, "plan_test.yaml": test} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, diags, err := plans.Check([]string{filepath.Join(dir, "plan_test.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`plan_test.yaml:8:9: case "rates" fx 2: rate GBP→USD for 2027-01 is already given by fx 1`,
		`plan_test.yaml:9:16: from: "GBX" is not a supported ISO 4217 code; did you mean "GBP"?`,
		`plan_test.yaml:10:37: case "rates" fx 4.month: "2027-1" is not a month; want YYYY-MM`,
		`plan_test.yaml:10:51: case "rates" fx 4.rate: 0; a rate must be above 0`,
		`plan_test.yaml:11:9: case "rates" fx 5: from and to are both USD; a rate converts between two currencies`,
	}
	var got []string
	for _, d := range diags {
		s := d.String()
		s = s[strings.Index(s, "plan_test.yaml"):]
		got = append(got, strings.SplitN(s, "\n", 2)[0])
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}
