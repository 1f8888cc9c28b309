package plans

import (
	"fmt"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// personMoves reads a plan test person's moves: from a date on, they
// report to another manager (and, if given, hold another role). The
// person's own manager and role are those before their first move.
func (r *reader) personMoves(pm *mapping, p facts.Person) []facts.Reporting {
	var out []facts.Reporting
	var last period.Date
	for i, n := range pm.list("moves", false) {
		mm := r.mapping(n, fmt.Sprintf("%s move %d", pm.what, i+1))
		mv := facts.Reporting{Person: p.ID, Role: p.Role}
		mv.From = mm.date("from", true)
		if v := mm.value("manager", true); v != nil {
			mv.Manager = mm.str("manager", true)
		}
		if role := mm.str("role", false); role != "" {
			mv.Role = role
		}
		mm.done()
		switch {
		case mv.Manager == p.ID && p.ID != "":
			r.errorf(n, "%s: a person cannot manage themselves", mm.what)
		case i > 0 && !mv.From.IsZero() && !mv.From.After(last):
			r.errorf(n, "%s: from %s is not after the move before it (%s); list moves in date order", mm.what, mv.From, last)
		}
		if !mv.From.IsZero() {
			last = mv.From
		}
		out = append(out, mv)
	}
	return out
}

// checkMoves reports moves to a manager who is not a person of the case.
func (r *reader) checkMoves(c *TestCase, people map[string]bool, pos map[int]Pos) {
	for i, mv := range c.Moves {
		if mv.Manager != "" && !people[mv.Manager] {
			p := pos[i]
			r.errAt(p.Line, p.Column, "case %q: %s moves to manager %q, who is not a person of this case%s", c.Name, mv.Person, mv.Manager, peopleHint(people))
		}
	}
}

// Hierarchy is the case's manager hierarchy when a person moves (nil
// otherwise): each person's manager and role since always, then their
// moves.
func (c *TestCase) Hierarchy() []facts.Reporting {
	if len(c.Moves) == 0 {
		return nil
	}
	out := make([]facts.Reporting, 0, len(c.People)+len(c.Moves))
	for _, p := range c.People {
		out = append(out, facts.Reporting{Person: p.ID, Manager: p.Manager, Role: p.Role})
	}
	return append(out, c.Moves...)
}
