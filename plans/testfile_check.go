package plans

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/icomp/icomp/engine/facts"
)

// ExpectedCheckError is one problem a plan test expects the plan check of
// a deliberately bad plan to report: at Line:Column of the plan, with a
// message that starts with Message.
type ExpectedCheckError struct {
	Line, Column int
	Message      string
	// Pos is where the expectation is written in the test file.
	Pos Pos
}

// expectCheckErrorsMax bounds the expected problems of one test file.
const expectCheckErrorsMax = 100

// expectCheckErrors reads a plan test of a deliberately bad plan:
//
//	kind: plan_test
//	plan: testdata/no-anchor.yaml
//	expect_check_errors:
//	  - at: "7:1"
//	    message: "period: a biweekly plan needs pay_cycle_anchor"
//
// The plan's problems are kept for plantest to compare; they are not
// problems of the test file.
func (r *reader) expectCheckErrors(tf *TestFile, root, planNode, targetsNode, checkNode *yaml.Node, cases []*yaml.Node, load func(path string) (*File, Diagnostics)) {
	if len(cases) > 0 {
		r.errorf(root, "plan test: a test with expect_check_errors checks a bad plan and has no cases; put cases in another test file")
	}
	if targetsNode != nil {
		r.errorf(targetsNode, "targets: a test with expect_check_errors checks only its plan; remove targets")
	}
	if checkNode.Kind != yaml.SequenceNode {
		r.errorf(checkNode, "expect_check_errors: want a list of {at, message}, got %s", kindName(checkNode))
		return
	}
	if len(checkNode.Content) == 0 {
		r.errorf(checkNode, "expect_check_errors: the list is empty; name at least one problem the plan check must report")
	}
	if len(checkNode.Content) > expectCheckErrorsMax {
		r.errorf(checkNode, "expect_check_errors: %d problems; the limit is %d", len(checkNode.Content), expectCheckErrorsMax)
		return
	}
	for i, n := range checkNode.Content {
		em := r.mapping(n, fmt.Sprintf("expect_check_errors %d", i+1))
		e := ExpectedCheckError{Pos: r.pos(n), Message: em.str("message", true)}
		if at := em.scalar("at", true); at != nil {
			l, c, ok := strings.Cut(at.Value, ":")
			line, err1 := strconv.Atoi(l)
			col, err2 := strconv.Atoi(c)
			if !ok || err1 != nil || err2 != nil || line < 1 || col < 1 {
				r.errorf(at, "%s.at: %q is not a position in the plan; want LINE:COLUMN, such as \"7:1\"", em.what, at.Value)
			}
			e.Line, e.Column = line, col
		}
		if e.Message == "" && em.has("message") {
			r.errorf(n, "%s.message: empty; write the start of the message the plan check must report", em.what)
		}
		em.done()
		tf.CheckErrors = append(tf.CheckErrors, e)
	}
	if planNode == nil {
		return
	}
	tf.PlanPath = resolve(filepath.Dir(r.file), planNode.Value)
	_, tf.CheckDiagnostics = load(tf.PlanPath)
	if len(tf.CheckDiagnostics) == 1 && tf.CheckDiagnostics[0].Line <= 0 {
		// The plan cannot be read at all: that is the test file's problem.
		r.errorf(planNode, "plan: %s: %s", planNode.Value, tf.CheckDiagnostics[0].Message)
	}
}

// checkPrior refuses a prior payout of a person the case does not list,
// or of a component the plan does not have or that reads no prior payout
// (only cumulative and once components do): the engine would ignore it,
// and the case would test less than it says.
func (r *reader) checkPrior(pm *mapping, p facts.PriorPayout, people map[string]bool, tf *TestFile) {
	if n := pm.values["person"]; n != nil && p.Person != "" && !people[p.Person] {
		r.errorf(n, "%s.person: no person %q in this case%s", pm.what, p.Person, peopleHint(people))
	}
	n := pm.values["component"]
	if n == nil || p.Component == "" || tf.Plan == nil {
		return
	}
	var names, cumulative []string
	for _, c := range tf.Plan.Components {
		names = append(names, c.Name)
		if c.Cumulative || c.Once {
			cumulative = append(cumulative, c.Name)
		}
	}
	switch {
	case !contains(names, p.Component):
		r.errorf(n, "%s.component: plan %q has no component %q%s", pm.what, tf.Plan.Name, p.Component, didYouMean(p.Component, names))
	case !contains(cumulative, p.Component):
		hint := "; the plan has no cumulative or once component"
		if len(cumulative) > 0 {
			hint = "; cumulative or once: " + strings.Join(cumulative, ", ")
		}
		r.errorf(n, "%s.component: %q is neither cumulative nor once, so no prior payout of it is read%s", pm.what, p.Component, hint)
	}
}
