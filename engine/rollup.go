package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
)

// hierarchy is the effective-dated manager hierarchy: each person's
// versions, oldest first.
type hierarchy struct {
	versions map[string][]facts.Reporting
}

// newHierarchy indexes in.Hierarchy or, when it is empty, the managers
// and roles of in.People (one version each, since always).
func newHierarchy(in *Input) (*hierarchy, error) {
	h := &hierarchy{versions: map[string][]facts.Reporting{}}
	if len(in.Hierarchy) == 0 {
		for _, p := range in.People {
			h.versions[p.ID] = append(h.versions[p.ID], facts.Reporting{Person: p.ID, Manager: p.Manager, Role: p.Role})
		}
	} else {
		for _, r := range in.Hierarchy {
			h.versions[r.Person] = append(h.versions[r.Person], r)
		}
	}
	for id, vs := range h.versions {
		slices.SortFunc(vs, func(a, b facts.Reporting) int { return a.From.Time().Compare(b.From.Time()) })
		for i := 1; i < len(vs); i++ {
			if vs[i].From == vs[i-1].From {
				return nil, fmt.Errorf("%w: person %s has two versions in the manager hierarchy from %s", ErrInput, id, vs[i].From)
			}
		}
	}
	return h, nil
}

// asOf is person's version in force on day d.
func (h *hierarchy) asOf(person string, d period.Date) (facts.Reporting, bool) {
	vs := h.versions[person]
	i, _ := slices.BinarySearchFunc(vs, d, func(v facts.Reporting, d period.Date) int {
		if v.From.After(d) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return facts.Reporting{}, false
	}
	return vs[i-1], true
}

// shortChain is the length up to which climb scans the chain for a
// cycle rather than indexing it.
const shortChain = 16

// climb calls visit with each manager above person as of day d, with
// their level (1 for person's own manager) and role that day, until visit
// returns false or the chain ends. A chain that comes back to someone on
// it is a manager cycle: an error naming the people on it.
func (h *hierarchy) climb(person string, d period.Date, visit func(manager, role string, level int) bool) error {
	var buf [shortChain + 1]string // a short chain stays on the stack
	chain := append(buf[:0], person)
	// on finds a person on a long chain in constant time (a short one is
	// scanned): the climb stays linear in the chain's length.
	var on map[string]int
	cur := person
	for level := 1; ; level++ {
		v, ok := h.asOf(cur, d)
		if !ok || v.Manager == "" {
			return nil
		}
		m := v.Manager
		i := -1
		if on != nil {
			if j, ok := on[m]; ok {
				i = j
			}
		} else {
			i = slices.Index(chain, m)
		}
		if i >= 0 {
			return fmt.Errorf("%w: manager cycle %s → %s as of %s; fix the people's managers (icomp import people)", ErrInput, strings.Join(chain[i:], " → "), m, d)
		}
		chain = append(chain, m)
		switch {
		case on != nil:
			on[m] = len(chain) - 1
		case len(chain) > shortChain:
			on = make(map[string]int, 2*len(chain))
			for j, p := range chain {
				on[p] = j
			}
		}
		mv, _ := h.asOf(m, d)
		if !visit(m, mv.Role, level) {
			return nil
		}
		cur = m
	}
}

// rollup credits transaction i's owner's managers with rule ri (a
// CreditToManagers rule), as the hierarchy stood on the transaction's
// date: each of the first Levels managers, or each manager up the chain
// whose role is one of Roles. Only the plan's payees are credited.
func (c *calc) rollup(i, ri int, amount decimal.Decimal, foreign bool, errForeign func() error) error {
	t := c.txns[i].t
	if t.Owner == "" {
		return nil
	}
	ru := c.plan.Credits[ri].Rollup
	var ferr error
	err := c.hier.climb(t.Owner, t.Date, func(m, role string, level int) bool {
		if len(ru.Roles) > 0 {
			if !slices.Contains(ru.Roles, role) {
				return true
			}
		} else if level > ru.Levels {
			return false
		}
		if p, ok := c.index[m]; ok {
			if foreign {
				ferr = errForeign()
				return false
			}
			c.add(p, credit{payee: int32(p), txn: int32(i), rule: int32(ri), share: one, amount: amount, level: int32(level)})
		}
		return len(ru.Roles) > 0 || level < ru.Levels
	})
	if err != nil {
		return err
	}
	return ferr
}

// teamLine is one report's payout line an override reads, with the
// report's level below the payee.
type teamLine struct {
	tp    *facts.TeamPayout
	level int
}

// teams returns, for override component ci, each manager's team lines:
// the lines of Input.TeamPayouts from the component's plan and
// components, given to every manager within the component's levels above
// the line's person as of the period's last day. Worked out once per
// component and kept.
func (c *calc) teams(ci int) (map[string][]teamLine, error) {
	if t, ok := c.teamsBy[ci]; ok {
		return t, nil
	}
	o := c.plan.Components[ci].Override
	out := map[string][]teamLine{}
	for k := range c.teamPayouts {
		tp := &c.teamPayouts[k]
		if tp.Plan != o.Plan || !slices.Contains(o.Components, tp.Component) {
			continue
		}
		err := c.hier.climb(tp.Person, c.in.Period.End, func(m, _ string, level int) bool {
			if level > o.Levels {
				return false
			}
			if _, ok := c.index[m]; ok {
				out[m] = append(out[m], teamLine{tp: tp, level: level})
			}
			return level < o.Levels
		})
		if err != nil {
			return nil, err
		}
	}
	c.teamsBy[ci] = out
	return out, nil
}

// sortTeamPayouts orders team payouts by person, plan and component, and
// refuses a line given twice: the order the lines are listed and summed in.
func sortTeamPayouts(tps []facts.TeamPayout) ([]facts.TeamPayout, error) {
	out := slices.Clone(tps)
	slices.SortFunc(out, func(a, b facts.TeamPayout) int {
		if c := strings.Compare(a.Person, b.Person); c != 0 {
			return c
		}
		if c := strings.Compare(a.Plan, b.Plan); c != 0 {
			return c
		}
		return strings.Compare(a.Component, b.Component)
	})
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if a.Person == b.Person && a.Plan == b.Plan && a.Component == b.Component {
			return nil, fmt.Errorf("%w: team payout %s / %s / %s appears twice", ErrInput, a.Person, a.Plan, a.Component)
		}
	}
	return out, nil
}

// override computes an override component for payee p: its rate times
// what p's team earned from the named components, each line in the trace.
func (c *calc) override(p *facts.Person, ci int, tr *Trace) error {
	comp := &c.plan.Components[ci]
	o := comp.Override
	teams, err := c.teams(ci)
	if err != nil {
		return err
	}
	basis := decimal.Zero
	for _, tl := range teams[p.ID] {
		basis = basis.Add(tl.tp.Amount)
		tr.Team = append(tr.Team, TeamTrace{Person: tl.tp.Person, Level: tl.level, Plan: tl.tp.Plan, Component: tl.tp.Component, Amount: tl.tp.Amount})
	}
	rate := o.Rate
	tr.Rate = &rate
	tr.Rule = fmt.Sprintf("%s × %s %s of reports down %d level(s) as of %s", o.Rate, o.Plan, strings.Join(o.Components, ", "), o.Levels, c.in.Period.End)
	tr.Inputs = append(tr.Inputs, TraceInput{Name: "team." + o.Plan, Value: basis})
	tr.Computed = basis.Mul(o.Rate)
	return nil
}

// rollupState is what a calculation keeps for roll-ups and overrides.
type rollupState struct {
	hier        *hierarchy
	teamPayouts []facts.TeamPayout
	teamsBy     map[int]map[string][]teamLine
	// levels caches credit.level's decimals by level.
	levels []decimal.Decimal
}

// prepareRollup indexes the hierarchy and the team payouts when the plan
// rolls credit up or pays overrides.
func (c *calc) prepareRollup() error {
	credit, override := c.plan.RollupLevels()
	if credit == 0 && override == 0 {
		return nil
	}
	h, err := newHierarchy(&c.in)
	if err != nil {
		return err
	}
	c.hier = h
	c.teamsBy = map[int]map[string][]teamLine{}
	c.teamPayouts, err = sortTeamPayouts(c.in.TeamPayouts)
	return err
}

// TeamTrace is one report's payout line an override was paid on.
type TeamTrace struct {
	Person string `json:"person"`
	// Level is how far below the payee the person was as of the period's
	// last day (1: a direct report).
	Level     int             `json:"level"`
	Plan      string          `json:"plan"`
	Component string          `json:"component"`
	Amount    decimal.Decimal `json:"amount"`
}

// levelDecimal is level as rules see it (credit.level), made once per
// level.
func (c *calc) levelDecimal(level int32) decimal.Decimal {
	for int(level) >= len(c.levels) {
		c.levels = append(c.levels, decimal.NewFromInt(int64(len(c.levels))))
	}
	return c.levels[level]
}
