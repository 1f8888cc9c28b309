package plantest

import (
	"fmt"
	"strings"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/plans"
)

// measureFailures compares expect.measures with the measure values the
// engine computed: exactly, since a measure is a sum or count of credits
// and nothing rounds it.
func measureFailures(tc plans.TestCase, res *engine.Result) []string {
	got := map[[2]string]engine.MeasureValue{}
	for _, m := range res.Measures {
		got[[2]string{m.Person, m.Measure}] = m
	}
	var out []string
	for _, person := range sortedKeys(tc.ExpectMeasures) {
		for _, measure := range sortedKeys(tc.ExpectMeasures[person]) {
			want := tc.ExpectMeasures[person][measure]
			m, ok := got[[2]string{person, measure}]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s: measure %s / %s: got no value (is the person eligible?), want %s", want.Pos, person, measure, want.Value))
			case !m.Value.Equal(want.Value):
				out = append(out, fmt.Sprintf("%s: measure %s / %s over %s (%s): got %s from %d credit(s), want %s", want.Pos, person, measure, m.Range, m.Window, m.Value, m.Credits, want.Value))
			}
		}
	}
	return out
}

// checkErrors compares the plan check of a deliberately bad plan with the
// problems the test expects: each expected problem must be reported at its
// line and column with a message that starts as written, and every
// reported problem must be expected.
func checkErrors(tf *plans.TestFile) CaseResult {
	cr := CaseResult{File: tf.File, Name: "plan check of " + tf.PlanPath, Pos: plans.Pos{File: tf.File, Line: 1, Column: 1}}
	if len(tf.CheckErrors) > 0 {
		cr.Pos = tf.CheckErrors[0].Pos
	}
	matched := make([]bool, len(tf.CheckDiagnostics))
	for _, want := range tf.CheckErrors {
		found := false
		for i, d := range tf.CheckDiagnostics {
			if !matched[i] && d.Line == want.Line && d.Column == want.Column && strings.HasPrefix(d.Message, want.Message) {
				matched[i], found = true, true
				break
			}
		}
		if found {
			continue
		}
		msg := fmt.Sprintf("%s: plan check: no problem at %d:%d starting %q", want.Pos, want.Line, want.Column, want.Message)
		for _, d := range tf.CheckDiagnostics {
			if d.Line == want.Line && d.Column == want.Column {
				msg += fmt.Sprintf("; at %d:%d it reports %q", d.Line, d.Column, d.Message)
			}
		}
		if len(tf.CheckDiagnostics) == 0 {
			msg += "; the plan passes plan check"
		}
		cr.Failures = append(cr.Failures, msg)
	}
	for i, d := range tf.CheckDiagnostics {
		if !matched[i] {
			cr.Failures = append(cr.Failures, fmt.Sprintf("%s: plan check reports a problem the test does not expect: %d:%d: %s; add it under expect_check_errors", cr.Pos, d.Line, d.Column, d.Message))
		}
	}
	return cr
}
