package plans_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// diagnosticsDir holds plan, target plan and plan test files with known
// problems; each x.yaml has its diagnostics, word for word with the
// offending line and caret, in x.golden.
const diagnosticsDir = "testdata/diagnostics"

// TestDiagnostics loads every file in diagnosticsDir and compares its
// diagnostics with the golden file. want lists each diagnostic's
// "line:col: start of message", in order, so that a position is checked
// even when the golden files are refreshed with -update.
func TestDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
	}{
		// Valid files, used by the plan test fixtures.
		{"plan.yaml", nil},
		{"targets.yaml", nil},

		// YAML syntax errors name the offending line, not the line yaml.v3
		// names (the line above the enclosing collection).
		{"yaml-syntax-line7.yaml", []string{"7:12: YAML syntax error: did not find expected ',' or ']'; is a [ or { left unclosed"}},
		{"yaml-bad-indent.yaml", []string{"11:4: YAML syntax error: did not find expected '-' indicator; check the indentation"}},
		{"yaml-bad-indent-less.yaml", []string{"8:3: YAML syntax error: did not find expected '-' indicator"}},
		{"yaml-unclosed-quote.yaml", []string{"4:10: YAML syntax error: found unexpected end of stream; is a quote left unclosed?"}},
		{"yaml-tab.yaml", []string{"6:1: YAML syntax error: found character that cannot start any token; indent with spaces"}},
		{"yaml-tab-after-spaces.yaml", []string{"7:1: YAML syntax error: found a tab character that violates indentation; indent with spaces"}},
		{"yaml-key-no-space.yaml", []string{"4:1: YAML syntax error: could not find expected ':'; put a space after the colon"}},
		{"yaml-mapping-in-value.yaml", []string{`5:18: YAML syntax error: mapping values are not allowed in this context; quote a value that contains ": "`}},
		{"yaml-missing-colon.yaml", []string{"8:5: YAML syntax error: mapping values are not allowed in this context; is the colon after the key missing on this line?"}},
		{"yaml-text-after-quote.yaml", []string{"4:35: YAML syntax error: did not find expected key; there is text after the closing quote"}},
		{"yaml-bad-escape.yaml", []string{`9:36: YAML syntax error: found unknown escape character; in double quotes a backslash starts an escape`}},
		{"yaml-unknown-anchor.yaml", []string{"5:11: YAML syntax error: unknown anchor 'cur' referenced"}},
		// yaml.Unmarshal silently dropped a second document.
		{"yaml-second-document.yaml", []string{"7:1: a second YAML document starts here"}},
		// An alias was "got an alias", a merge key an unknown key.
		{"yaml-alias.yaml", []string{
			`10:1: plan: unknown key "tiers"`,
			`12:1: plan: unknown key "base"`,
			`14:5: component "c": missing required key "type"`,
			`15:5: component "c": plans do not expand YAML merge keys (<<); write the keys out`,
			`16:12: component "c".tiers: want a list, got an alias (*std); plans do not expand YAML aliases, so write the value out`,
		}},
		// Duplicate keys were reported twice, as "file:" and "plan:".
		{"yaml-duplicate-key.yaml", []string{
			`8:1: plan: key "currency" appears twice; it is first at line 6`,
			`12:22: measure: key "name" appears twice; it is first at column 6`,
		}},

		// A step reusing a component's name would post two lines of one name.
		{"step-name-clash.yaml", []string{`15:5: step "commission": a component or an earlier step already has that name`}},
		// A cumulative rate table over a period-window measure.
		{"cumulative-period-window.yaml", []string{`17:14: component "commission".measure: a cumulative component nets year-to-date earnings, but measure "bookings" has window period; give it window: ytd`}},
		{"cumulative-formula-window.yaml", []string{`16:13: component "commission": a cumulative component nets year-to-date earnings, but this rule reads measure "bookings", which has window period; give it window: ytd`}},
		// A case outside the plan's effective dates.
		{"test-period-outside-effective.yaml", []string{`8:13: case "before the plan".period: 2026-Q4 (2026-10-01..2026-12-31) is outside plan "diag-plan"'s effective dates from 2027-01-01`}},

		// Rule errors point into the rule, whatever its YAML style.
		{"rule-plain.yaml", []string{`12:37: component "bonus".amount: invalid operation: + (mismatched types number and string)`}},
		{"rule-double-quoted.yaml", []string{`12:38: component "bonus".amount: invalid operation: + (mismatched types number and bool)`}},
		{"rule-literal.yaml", []string{`12:31: component "bonus".amount: invalid operation: +`}},
		{"rule-literal-line2.yaml", []string{`13:19: component "bonus".amount: unknown measure "bookigns"; did you mean "bookings"?`}},
		// Positions that were wrong: escapes, doubled quotes, folded lines,
		// multi-line plain and quoted scalars, indentation indicators, tags.
		{"rule-escapes.yaml", []string{`12:37: component "bonus".amount: invalid operation: + (mismatched types string and number)`}},
		{"rule-unicode-escape.yaml", []string{`12:46: component "bonus".amount: invalid operation: +`}},
		{"rule-single-quoted.yaml", []string{`12:37: component "bonus".amount: invalid operation: +`}},
		{"rule-literal-indent-indicator.yaml", []string{`14:19: component "bonus".amount: unknown measure "bookigns"`}},
		{"rule-literal-leading-blank.yaml", []string{`15:15: component "bonus".amount: unknown measure "bookigns"`}},
		{"rule-folded.yaml", []string{`14:15: component "bonus".amount: unknown measure "bookigns"`}},
		{"rule-plain-multiline.yaml", []string{`13:15: component "bonus".amount: unknown measure "bookigns"`}},
		{"rule-double-quoted-multiline.yaml", []string{`14:15: component "bonus".amount: unknown measure "bookigns"`}},
		{"rule-flow-mapping.yaml", []string{
			`11:66: component "bonus".amount: invalid operation: +`,
			`13:22: component "spiff".amount: unknown measure "bookigns"`,
			`19:30: component "table" tier 2.rate: want a decimal number such as 1250.50, got "0.08x"`,
		}},
		{"rule-tagged.yaml", []string{
			`13:27: component "bonus".amount: unknown measure "bookigns"`,
			`16:45: component "spiff".amount: invalid operation: +`,
		}},
		{"rule-kind.yaml", []string{
			`13:13: component "bonus".amount: rule gives a string, want a number`,
			`14:11: component "bonus".gate: rule gives a number, want a boolean (true/false), such as a comparison`,
			`18:14: component "spiff".amount: rule gives a string, want a number`,
		}},
		{"rule-syntax.yaml", []string{
			`13:36: component "bonus".amount: unexpected token EOF`,
			`18:14: component "spiff".amount: unexpected token Bracket("]")`,
		}},

		// Rules that hung or filled memory are refused (see docs/plans.md, Limits).
		{"rule-limits.yaml", []string{
			`10:17: credit rule "owner".when: ranges (1..10) are not allowed in rules`,
			`10:28: credit rule "owner".when: all inside all: all, any, none and one cannot be nested in a rule`,
			`10:33: credit rule "owner".when: ranges (1..10) are not allowed in rules`,
			`12:35: credit rule "partner".when: all inside any: all, any, none and one cannot be nested in a rule`,
			`17:12: component "bonus".gate: count is not available in rules`,
			`18:32: component "bonus".amount: number too large: a rule's numbers have at most 40 digits before the decimal point`,
			`23:18: component "spiff".where: text can be joined with + only where both sides are written in the rule`,
			`24:19: component "spiff".where: text can be joined with + only where both sides are written in the rule`,
		}},

		// Rule errors speak plan words, every unknown field of a rule at once.
		{"rule-plan-words.yaml", []string{
			`10:15: credit rule "owner".when: no field new_logo on a transaction; did you mean txn.attrs.new_logo?`,
			`10:41: credit rule "owner".when: no field tpye on a transaction; did you mean txn.type?`,
			`10:58: credit rule "owner".when: unknown name credit; this rule can read txn`,
			`14:34: measure "logos".where: attributes are text: compare txn.attrs.new_logo with "true", in quotes`,
			`15:19: measure "logos".value: no field seats on a credit; did you mean credit.share?`,
			`19:11: component "bonus".gate: attainment needs a measure name, e.g. attainment.bookings`,
			`20:13: component "bonus".amount: person is a person, not a value; name one of its fields, e.g. person.id`,
			`23:57: component "spiff".where: attributes are text: compare person.attrs.level with "3", in quotes`,
		}},

		// Text compared with a date that is not YYYY-MM-DD compared in
		// the wrong order, silently.
		{"rule-date-text.yaml", []string{
			`14:23: credit rule "owner".when: txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-01" would not follow the calendar: write "2027-03-01"`,
			`14:49: credit rule "owner".when: txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027/06/01" would not follow the calendar: write "2027-06-01"`,
			`16:34: credit rule "late".when: txn.attrs.signed_on is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-1" would not follow the calendar: write "2027-03-01"`,
			`16:48: credit rule "late".when: txn.attrs.signed_on is a date and compares as YYYY-MM-DD text, so comparing it with "2027-13-01" would not follow the calendar: 2027-13-01 is not a day of the calendar`,
			`18:38: credit rule "listed".when: txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "03/02/2027" would not follow the calendar: write a date as YYYY-MM-DD, such as "2027-03-01"`,
			`20:28: credit rule "unlisted".when: txn.date is a date and compares as YYYY-MM-DD text, so comparing it with "2027-3-02" would not follow the calendar: write "2027-03-02"`,
			`28:50: component "bonus".gate: person.attrs.start is a date and compares as YYYY-MM-DD text, so comparing it with "2027-1-1" would not follow the calendar: write "2027-01-01"`,
			`28:63: component "bonus".gate: period.start is a date and compares as YYYY-MM-DD text, so comparing it with "2027-02-30" would not follow the calendar: 2027-02-30 is not a day of the calendar`,
		}},

		// A negative cap turned what a person earned into a deduction.
		{"cap-negative.yaml", []string{
			`17:10: component "commission".cap: -100 is below 0; a cap is the most the component pays, so it would turn every amount above it, even 0, into a deduction of 100: give 0 or more`,
			`21:10: component "bonus".cap: -50 is below 0`,
			`28:13: step "total_cap".amount: -1000 is below 0; a cap_total step is the most the person's lines add up to`,
		}},

		// A negative tier rate paid a negative commission on bookings.
		{"rate-negative.yaml", []string{
			`19:40: component "commission" tier 2: rate -0.05 is below 0, so the tier would take money back on every amount in it; give 0 or more`,
		}},

		// Plan errors.
		{"misspelled-key.yaml", []string{
			`9:1: plan: unknown key "mesures"; did you mean "measures"?`,
			`15:5: component "commission": unknown key "earning_cod"; did you mean "earning_code"?`,
			`16:5: component "commission": unknown key "zzz"; known keys: name, description,`,
		}},
		{"three-errors.yaml", []string{
			`7:9: plan.period: "quartrly" is not one of monthly, quarterly, annual, semimonthly, biweekly; did you mean "quarterly"?`,
			`8:28: credit rule "owner".to: "owners" is not one of owner, splits, territory, managers; did you mean "owner"?`,
			`13:27: component "commission".amount: invalid operation: * (mismatched types number and string)`,
		}},
		{"dangling-measure.yaml", []string{
			`13:14: component "commission".measure: no measure named "booking" in this plan; did you mean "bookings"?`,
			`17:14: component "kicker".measure: no measure named "logos" in this plan`,
		}},
		{"dangling-rule-name.yaml", []string{
			`14:47: component "commission".amount: unknown measure "x"; known: bookings, renewals`,
			`17:25: component "kicker".amount: unknown attainment "renewal"; did you mean "renewals"?`,
			// Every unknown name of a rule, not just the first.
			`17:46: component "kicker".amount: unknown payout "comission"; did you mean "commission"?`,
			`20:20: component "later".amount: unknown payout "bonus"; known: commission, kicker`,
			`24:42: component "bonus".gate: unknown measure "logos"; known: bookings, renewals`,
			`27:20: step "cap".amount: unknown payout "commision"; did you mean "commission"?`,
		}},
		{"tiers-out-of-order.yaml", []string{
			`16:9: component "commission" tier 2: from 100000 overlaps tier 1, which runs to 200000`,
			`23:9: component "reversed" tier 2: to 200000 must be above from 300000`,
			`23:9: component "reversed" tier 2: from 300000 leaves a gap after tier 1, which ends at 100000`,
			`23:9: component "reversed" tier 2: the last tier must have no to`,
		}},
		// A bounded top tier would pay nothing above it.
		{"tiers-bounded-top.yaml", []string{
			`20:9: component "commission" tier 2: the last tier must have no to, so that every amount above it is paid; use cap to limit the payout`,
		}},
		{"tiers-overlap.yaml", []string{
			`15:9: component "commission" tier 1: from must be 0, got 10`,
			`18:9: component "commission" tier 2: from 99999.99 overlaps tier 1, which runs to 100000`,
		}},
		{"tiers-gap.yaml", []string{`16:9: component "commission" tier 2: from 100001 leaves a gap after tier 1, which ends at 100000; want from 100000`}},
		{"tiers-open-not-last.yaml", []string{`16:9: component "commission" tier 2: tier 1 above has no upper bound, so this tier can never apply`}},
		{"missing-required.yaml", []string{
			`3:1: plan: missing required key "version"`,
			`5:12: effective: missing required key "from"`,
			`9:5: credit rule: missing required key "name"`,
			`11:5: component "commission": missing required key "type"`,
			`13:5: component "table": missing required key "measure"`,
			`13:5: component "table": missing required key "tiers"`,
			`15:5: component "step": missing required key "amount"`,
			`18:5: step "cap": missing required key "amount"`,
		}},
		// A bad tier bound used to be reported again as an open tier.
		{"wrong-types.yaml", []string{
			`4:7: plan.name: want a single value, got a list`,
			`6:12: effective: want a mapping of keys to values, got a list`,
			`9:20: plan.fiscal_year_start: want a whole number from 1 to 12, got "thirteen"`,
			`11:3: plan.credit: want a list, got a mapping`,
			`14:13: measure "bookings".window: want a single value, got a mapping`,
			`19:17: component "commission".cumulative: want true or false, got "yes"`,
			`21:23: component "commission" tier 1.to: want a number, got a list`,
			`21:39: component "commission" tier 1.rate: want a decimal number such as 1250.50, got "5%"`,
			`22:30: component "commission" tier 2.rate: want a decimal number such as 1250.50, got "1e-1"`,
			`23:5: component: want a mapping of keys to values, got "just a string"`,
		}},
		{"unknown-currency.yaml", []string{`6:11: currency: "USDD" is not a supported ISO 4217 code; did you mean "USD"?`}},
		{"unknown-kind.yaml", []string{`2:7: kind: "comp-plan" is not one of comp_plan, target_plan, settlement_policy, plan_test, settlement_test; did you mean "comp_plan"?`}},

		// Settlement policy errors.
		{"settlement-policy.yaml", []string{
			"7:13: cap 1.amount: a cap must be more than 0",
			`8:5: cap 2: a cap named "ceiling" is already defined at line 6`,
			"9:25: cap 2.eligibility: no field rolle on a person; did you mean person.role?",
			"10:13: cap 2.amount: 1000.005 has more decimals than USD's 2",
			"11:27: cap 2.earning_codes: want earning codes such as COMM",
		}},
		{"settlement-draws.yaml", []string{
			`6:5: draw 1: missing required key "on_termination"`,
			"8:13: draw 1.amount: must be more than 0",
			"10:11: draw 1.from: 2027-Q1 is not a monthly period",
			`11:14: draw 1.periods: want a whole number from 1 to 120, got "0"`,
			`12:5: draw 2: a draw named "ramp" is already defined at line 6`,
			`13:13: draw 2.period: "weekly" is not one of monthly, quarterly, annual`,
			"14:13: draw 2.amount: 1000.005 has more decimals than USD's 2",
			`15:11: draw 2.from: period "hired": want`,
			"17:5: draw 2.max_recovery: only a recoverable draw is recovered",
			"18:5: draw 2.on_termination: a non-recoverable draw leaves no balance",
			`19:5: draw 3: missing required key "period"`,
			`19:5: draw 3: missing required key "from"`,
			"20:25: draw 3.eligibility: no field rolle on a person; did you mean person.role?",
			`22:18: draw 3.recoverable: want true or false, got "yes"`,
			`24:19: draw 3.earning_code: "bad code" is not a valid name`,
			`26:11: deficits.action: "refund" is not one of carry, pay`,
		}},
		{"settlement-empty.yaml", []string{"1:1: settlement policy: nothing to apply; want caps, draws or deficits"}},
		{"settlement-test.yaml", []string{
			"2:12: policy settlement-policy.yaml has 5 problem(s)",
			"2:36: policy: plan.yaml is a comp_plan file, want a settlement_policy",
			`6:28: case "out of order" person 1.hire_date: "2027-02-30" is not a date`,
			`10:9: case "out of order" period 2: 2027-M01 does not come after 2027-M02`,
			`12:22: case "out of order" period 2 (2027-M01) earned 1.person: no person "b" in this case`,
			`14:21: case "out of order" period 2 (2027-M01).expect.payable: no person "b" in this case`,
			`15:9: case "out of order" period 3: 2027-Q2 does not come after 2027-M01`,
		}},

		// Target plan errors.
		{"target-person-and-role.yaml", []string{
			`7:5: target 1: give exactly one of person or role`,
			`11:5: target 2: give exactly one of person or role`,
		}},
		{"target-period-frequency.yaml", []string{
			`12:7: target 1.periods: 2027-M04 is a monthly period; this target plan is quarterly`,
			`13:7: target 1.periods: 2027 is an annual period; this target plan is quarterly`,
			`14:7: target 1.periods: period "2027-Q5": want YYYY, YYYY-Qn`,
			`15:16: target 1.periods.2027-Q2: a target cannot be negative`,
			`17:7: target 1.periods: 2027-Q3 appears twice`,
		}},
		{"target-seasonality.yaml", []string{
			`12:18: target 1.seasonality: fractions sum to 0.95; want exactly 1`,
			`17:18: target 2.seasonality: 2 fractions; a quarterly plan needs 4, one per period, summing to 1`,
			`20:13: target 3: an annual target on a quarterly plan needs seasonality: 4 fractions`,
			`22:5: target 4: missing required key "fiscal_year"`,
			`22:5: target 4: give periods or annual, not both`,
		}},

		// Plan test errors.
		{"test-unknown-person.yaml", []string{
			`13:9: case "unknown people".expect.payouts: no person "ae-3" in this case; the case lists ae-1, ae-2`,
			`14:9: case "unknown people".expect.payouts: no person "se-9" in this case; the case lists ae-1, ae-2`,
			`16:9: case "unknown people".expect.attainment: no person "ae-l" in this case`,
			`18:9: case "unknown people".expect.totals: no person "ae-22" in this case`,
		}},
		{"test-employment-scores.yaml", []string{
			`10:71: case "bad dates and scores" person 1.termination_date: 2027-01-15 is before hire_date 2027-02-01`,
			`11:73: case "bad dates and scores" person 2.assigned_until: 2027-02-01 is before assigned_from 2027-03-01`,
			`13:18: case "bad dates and scores" score 1: no person "ae-9" in this case`,
			`13:35: case "bad dates and scores" score 1: plan "diag-plan" has no mbo objective "csat"`,
			`14:35: case "bad dates and scores" score 2: plan "diag-plan" has no mbo objective "csat"`,
			`14:48: case "bad dates and scores" score 2.score: a score cannot be negative`,
		}},
		{"test-unknown-component.yaml", []string{
			`8:13: case "unknown names".period: 2027-M01 is a monthly period; plan "diag-plan" pays quarterly`,
			`13:16: case "unknown names".expect.payouts.ae-1: plan "diag-plan" has no component or step "comission"; did you mean "commission"?`,
			`13:30: case "unknown names".expect.payouts.ae-1: plan "diag-plan" has no component or step "spiff"; known: bonus, commission`,
			`15:16: case "unknown names".expect.attainment.ae-1: plan "diag-plan" has no measure "booking"; did you mean "bookings"?`,
		}},
		{"test-bad-plan.yaml", []string{
			`4:7: plan three-errors.yaml has 3 problem(s); run icomp plan check on it`,
			`5:10: targets: plan.yaml is a comp_plan file, want a target_plan`,
			`11:5: case "a" appears twice`,
			`13:26: case "a": person "ae-1" appears twice`,
			`15:24: case "a" transaction 1.date: "2027-02-30" is not a date (want YYYY-MM-DD)`,
			`15:59: case "a" transaction 1: unknown key "000"`,
		}},
		// A missing plan was "1 problem(s)", without saying which.
		{"test-missing-plan.yaml", []string{
			`3:7: plan: no-such-plan.yaml: cannot read: no such file or directory`,
			`4:10: targets: .: cannot read: not a regular file`,
		}},
		{"test-no-targets.yaml", []string{
			`2:1: plan test: plan "diag-plan" uses targets "diag-targets"; add targets: with the path of that target plan file`,
		}},
	}

	listed := map[string]bool{}
	for _, tc := range tests {
		listed[tc.file] = true
	}
	files, err := filepath.Glob(filepath.Join(diagnosticsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no test case; add it to TestDiagnostics", f)
		}
	}

	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(diagnosticsDir, tc.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := plans.Load(path, src)
			if f == nil {
				t.Fatalf("Load(%s) returned a nil file", path)
			}

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
			for _, d := range diags {
				if d.File != path {
					t.Errorf("diagnostic names file %q, want %q", d.File, path)
				}
			}

			checkGolden(t, filepath.Join(diagnosticsDir, strings.TrimSuffix(tc.file, ".yaml")+".golden"), render(diags))
		})
	}
}

// render is what icomp plan check prints for diags: one diagnostic per
// line, each followed by the offending line and a caret.
func render(diags plans.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.String())
		b.WriteString("\n")
	}
	return b.String()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s (run go test -update to accept)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestSyntaxErrorLine checks the line of YAML syntax errors far from the
// start of their enclosing collection, where yaml.v3 names a line
// thousands of lines too early, and in small files.
func TestSyntaxErrorLine(t *testing.T) {
	t.Parallel()
	targets := func(n, bad int, badLine string) string {
		var b strings.Builder
		b.WriteString("kind: target_plan\nname: t\nversion: \"1\"\nperiod: quarterly\ntargets:\n")
		for i := range n {
			if i == bad {
				b.WriteString(badLine + "\n")
				continue
			}
			fmt.Fprintf(&b, "  - person: p%d\n    measure: bookings\n    periods: {2027-Q1: 100}\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		want string
	}{
		// Entry i starts on line 6+3i; entry 2000 is replaced by the bad line.
		{"bad indent deep in a long list", targets(1500, 1000, "   - person: x"), "3006:4:"},
		{"unclosed flow mapping deep in a long list", targets(1500, 1234, "  - {person: x, measure: bookings"), "3708:5:"},
		{"tab deep in a long list", targets(1500, 1499, "\t- person: x"), "4503:1:"},
		// The first entry sets the list's indentation; the second entry is
		// the one out of line.
		{"bad indent in the first entry", targets(3, 0, "   - person: x"), "7:3:"},
		{"bad indent in the last entry", targets(3, 2, "   - person: x"), "12:4:"},
		{"error on the first line", "kind: comp_plan: x\n", "1:16:"},
		{"error on the last line without a newline", "kind: comp_plan\nname: [x", "2:7:"},
		{"unclosed quote at the end", "kind: comp_plan\nname: 'x", "2:7:"},
		{"syntax error in a second document", "kind: comp_plan\n---\nname: [x\n", "3:7:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := plans.Load("big.yaml", []byte(tc.src))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), diags.Error())
			}
			got := fmt.Sprintf("%d:%d: %s", diags[0].Line, diags[0].Column, diags[0].Message)
			if !strings.HasPrefix(got, tc.want) || !strings.Contains(got, "YAML syntax error") {
				t.Errorf("got %s, want %s YAML syntax error...", got, tc.want)
			}
		})
	}
}

// TestPlanTestAbsolutePaths is a regression test: a plan test's plan and
// targets given as absolute paths were joined to the test's directory.
func TestPlanTestAbsolutePaths(t *testing.T) {
	t.Parallel()
	plan, err := filepath.Abs(filepath.Join(diagnosticsDir, "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := filepath.Abs(filepath.Join(diagnosticsDir, "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("kind: plan_test\nplan: %q\ntargets: %q\ncases: []\n", plan, targets)
	path := filepath.Join(t.TempDir(), "plan_test.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := plans.NewLoader().LoadFile(path)
	if len(diags) > 0 {
		t.Fatalf("LoadFile(%s): %v", path, diags)
	}
	if f.Test == nil {
		t.Fatalf("LoadFile(%s) is kind %q, want %s", path, f.Kind, plans.KindPlanTest)
	}
	if f.Test.PlanPath != plan || f.Test.Plan == nil || f.Test.TargetsPath != targets || f.Test.Targets == nil {
		t.Errorf("got plan %q (loaded %t), targets %q (loaded %t); want %q and %q", f.Test.PlanPath, f.Test.Plan != nil, f.Test.TargetsPath, f.Test.Targets != nil, plan, targets)
	}
}

// TestLineBreaks is a regression test: lines were split at LF only, but
// yaml.v3 also breaks lines at CR, NEL, LS and PS, so diagnostics in files
// with those named lines the file did not have and showed no source.
func TestLineBreaks(t *testing.T) {
	t.Parallel()
	plan := "kind: comp_plan{}name: breaks{}version: \"1\"{}effective: {from: 2027-01-01}{}currency: USD{}period: quarterly{}" +
		"credit: [{name: owner}]{}components:{}  - name: c{}    type: formula{}    amount: 1 +{}      measure.x{}"
	tests := []struct {
		name string
		br   string
	}{
		{"LF", "\n"},
		{"CR LF", "\r\n"},
		{"CR", "\r"},
		{"NEL", "\u0085"},
		{"LS", "\u2028"},
		{"PS", "\u2029"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := plans.Load("breaks.yaml", []byte(strings.ReplaceAll(plan, "{}", tc.br)))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), diags.Error())
			}
			d := diags[0]
			got := fmt.Sprintf("%d:%d: %s | %s", d.Line, d.Column, d.Message, d.SourceLine)
			want := `12:15: component "c".amount: unknown measure "x" | ` + "      measure.x"
			if got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

// TestRulePositionStyles writes one misspelled measure, bookigns, in a
// rule of every YAML scalar style and checks that the caret is under it.
func TestRulePositionStyles(t *testing.T) {
	t.Parallel()
	const head = "kind: comp_plan\nname: styles\nversion: \"1\"\neffective: {from: 2027-01-01}\ncurrency: USD\n" +
		"period: quarterly\ncredit: [{name: owner}]\nmeasures: [{name: bookings}]\ncomponents:\n"
	tests := []struct {
		name      string
		component string
	}{
		{"plain", "  - name: c\n    type: formula\n    amount: measure.bookings + measure.bookigns\n"},
		{"plain with a comment", "  - name: c\n    type: formula\n    amount: measure.bookigns # typo\n"},
		{"plain with a tab", "  - name: c\n    type: formula\n    amount: measure.bookings +\tmeasure.bookigns\n"},
		{"plain over three lines", "  - name: c\n    type: formula\n    amount: measure.bookings\n      +\n\n      measure.bookigns\n"},
		{"plain in a flow mapping over two lines", "  - {name: c, type: formula, amount: measure.bookings +\n      measure.bookigns}\n"},
		{"single-quoted with doubled quotes", "  - name: c\n    type: formula\n    amount: 'person.attrs[''a''] == ''b'' ? measure.bookigns : 0'\n"},
		{"single-quoted over lines with a blank line", "  - name: c\n    type: formula\n    amount: 'measure.bookings\n\n      + measure.bookigns'\n"},
		{"double-quoted with escapes", "  - name: c\n    type: formula\n    amount: \"person.attrs[\\\"\\u00e9\\\"] == \\\"\\x41\\\" ? measure.bookigns : 0\"\n"},
		{"double-quoted with an escaped line break", "  - name: c\n    type: formula\n    amount: \"measure.bookings + \\\n       measure.bookigns\"\n"},
		{"double-quoted with a tab escape", "  - name: c\n    type: formula\n    amount: \"measure.bookings +\\tmeasure.bookigns\"\n"},
		{"literal", "  - name: c\n    type: formula\n    amount: |\n      measure.bookings +\n      measure.bookigns\n"},
		{"literal keep with trailing blank lines", "  - name: c\n    type: formula\n    amount: |+\n      measure.bookings +\n      measure.bookigns\n\n\n"},
		{"literal with an indentation indicator", "  - name: c\n    type: formula\n    amount: |4-\n          measure.bookings +\n        measure.bookigns\n"},
		{"literal with a comment on the header", "  - name: c\n    type: formula\n    amount: | # the rule\n      measure.bookings +\n      measure.bookigns\n"},
		{"folded", "  - name: c\n    type: formula\n    amount: >\n      measure.bookings\n      + measure.bookigns\n"},
		{"folded with a more indented line", "  - name: c\n    type: formula\n    amount: >\n      measure.bookings\n        + 0\n      + measure.bookigns\n"},
		{"tagged and anchored", "  - name: c\n    type: formula\n    amount: !!str &r measure.bookigns\n"},
		{"after multi-byte characters", "  - name: c\n    type: formula\n    amount: 'person.attrs[\"é😀\"] == \"ü\" ? measure.bookigns : 0'\n"},
		{"CR LF line ends", strings.ReplaceAll("  - name: c\n    type: formula\n    amount: >\n      measure.bookings +\n      measure.bookigns\n", "\n", "\r\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := head + tc.component
			// Where bookigns is written, counted as yaml.v3 counts.
			wantLine, wantCol := 0, 0
			for i, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
				if j := strings.Index(line, "bookigns"); j >= 0 {
					wantLine, wantCol = i+1, len([]rune(line[:j]))+1
				}
			}
			_, diags := plans.Load("styles.yaml", []byte(src))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), diags.Error())
			}
			if d := diags[0]; d.Line != wantLine || d.Column != wantCol || !strings.Contains(d.Message, `unknown measure "bookigns"`) {
				t.Errorf("got %d:%d: %s, want %d:%d: ...unknown measure \"bookigns\"\n%s", d.Line, d.Column, d.Message, wantLine, wantCol, d)
			}
		})
	}
}

// TestEmptyValues is a regression test: a file of just "---" was reported
// on line 2, past its end, and a required key with no value as missing.
func TestEmptyValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want []string
	}{
		{"", []string{"1:1: file is empty; want a YAML mapping with a kind key"}},
		{"---", []string{"1:1: file is empty; want a YAML mapping with a kind key"}},
		{"--- # nothing\n...\n", []string{"1:1: file is empty; want a YAML mapping with a kind key"}},
		{"# only a comment\n", []string{"1:1: file is empty; want a YAML mapping with a kind key"}},
		{"~", []string{"1:1: want a mapping with a kind key (comp_plan, target_plan, settlement_policy, plan_test or settlement_test), got nothing"}},
		{"kind:", []string{"1:6: kind: want comp_plan, target_plan, settlement_policy, plan_test or settlement_test, got nothing"}},
		{"kind: target_plan\nname: t\nversion:\nperiod: quarterly\ntargets: []\n", []string{`3:1: target plan: required key "version" has no value`}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.src), func(t *testing.T) {
			t.Parallel()
			_, diags := plans.Load("empty.yaml", []byte(tc.src))
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%d:%d: %s", d.Line, d.Column, d.Message))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
