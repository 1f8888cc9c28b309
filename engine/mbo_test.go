package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
)

// TestMBO: an mbo component pays target_amount × Σ weight × score, a
// score below its threshold counting 0 (or voiding the payout with
// threshold_scope: all) and above its cap counting the cap; the trace
// shows each objective; a missing, repeated or negative score is an
// input error.
func TestMBO(t *testing.T) {
	t.Parallel()
	const mbo = `components:
  - name: mbo
    type: mbo
    target_amount: 10000 * proration
    objectives:
      - {name: pipeline, weight: 0.5, threshold: 0.5, cap: 1.5}
      - {name: csat, weight: 0.3}
      - {name: training, weight: 0.2, cap: 1}
`
	plan := compPlan(t, planHeader+ownerBookings+mbo)
	all := compPlan(t, planHeader+ownerBookings+strings.Replace(mbo, "    objectives:", "    threshold_scope: all\n    objectives:", 1))
	score := func(obj, s string) facts.Score { return facts.Score{Person: "ae-1", Objective: obj, Score: d(s)} }
	tests := []struct {
		name   string
		all    bool
		scores []facts.Score
		want   string
		err    string
	}{
		// 0.5 × 1 + 0.3 × 1 + 0.2 × 1 = 1
		{"all met", false, []facts.Score{score("pipeline", "1"), score("csat", "1"), score("training", "1")}, "10000", ""},
		// 0.5 × 1.5 (capped from 2) + 0.3 × 0.8 + 0.2 × 1 (capped) = 1.19
		{"caps", false, []facts.Score{score("pipeline", "2"), score("csat", "0.8"), score("training", "1.4")}, "11900", ""},
		// pipeline below its threshold counts 0: 0.3 × 0.9 + 0.2 × 0.5 = 0.37
		{"below threshold", false, []facts.Score{score("pipeline", "0.49"), score("csat", "0.9"), score("training", "0.5")}, "3700", ""},
		{"below threshold voids all", true, []facts.Score{score("pipeline", "0.49"), score("csat", "0.9"), score("training", "0.5")}, "0", ""},
		{"missing score", false, []facts.Score{score("pipeline", "1"), score("training", "1")}, "", "person ae-1 has no score for objective csat of component mbo in 2027-Q1"},
		{"two scores", false, []facts.Score{score("pipeline", "1"), score("csat", "1"), score("csat", "0.5"), score("training", "1")}, "", "person ae-1 has two scores for objective csat"},
		{"negative", false, []facts.Score{score("pipeline", "1"), score("csat", "-1"), score("training", "1")}, "", "score -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := plan
			if tt.all {
				p = all
			}
			in := engine.Input{Plan: p, Period: quarter(t, "2027-Q1"), People: ae1, Scores: tt.scores}
			if tt.err != "" {
				_, err := engine.Compute(in)
				if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Compute: %v, want an input error saying %q", err, tt.err)
				}
				return
			}
			line := payout(t, mustCompute(t, in), "ae-1", "mbo")
			if !line.Amount.Equal(d(tt.want)) {
				t.Errorf("mbo = %s, want %s", line.Amount, tt.want)
			}
			mt := line.Trace.MBO
			if mt == nil || len(mt.Objectives) != 3 || !mt.TargetAmount.Equal(d("10000")) {
				t.Fatalf("trace = %+v, want the target amount and three objectives", mt)
			}
			if tt.all != (mt.Voided != "") {
				t.Errorf("trace voided = %q", mt.Voided)
			}
		})
	}
}
