package engine

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// Typed attributes (docs/plans.md §17): a plan declares some transaction
// and person attributes as numbers, dates or booleans. Before a rule sees
// a transaction or person, its declared attributes are parsed into the
// typed maps of rules.Txn and rules.Person, with the declared defaults
// for missing ones. A value that does not parse is an input error naming
// the transaction or person, the attribute, the value and the declaration.

// typedMaps are the typed maps of one rule environment.
type typedMaps struct {
	numbers map[string]decimal.Decimal
	dates   map[string]string
	flags   map[string]bool
}

// fill parses attrs per decls into t's maps (made when nil, cleared
// otherwise). subject names the fact ("transaction T-17").
func (t *typedMaps) fill(plan *plans.CompPlan, decls []plans.AttributeDecl, attrs map[string]string, subject string) error {
	if t.numbers == nil {
		t.numbers, t.dates, t.flags = map[string]decimal.Decimal{}, map[string]string{}, map[string]bool{}
	} else {
		clear(t.numbers)
		clear(t.dates)
		clear(t.flags)
	}
	for i := range decls {
		d := &decls[i]
		raw, ok := attrs[d.Name]
		if !ok {
			if d.Default == nil {
				continue // a rule that reads it fails, naming it
			}
			raw = *d.Default
		}
		v, err := plans.ParseAttr(d.Type, raw)
		if err != nil {
			return fmt.Errorf("%w: plan %s: %s: attribute %s: %v (declared %s at %s)", ErrInput, plan.Name, subject, d.Name, err, d.Type, d.Pos)
		}
		switch d.Type {
		case rules.AttrNumber:
			t.numbers[d.Name] = v.Number
		case rules.AttrDate:
			t.dates[d.Name] = v.Text
		case rules.AttrBoolean:
			t.flags[d.Name] = v.Flag
		}
	}
	return nil
}

// typeTxn sets the typed attributes of env, the rule view of t, using the
// calculation's scratch maps.
func (c *calc) typeTxn(env *rules.Txn, t *facts.Transaction) error {
	a := c.plan.Attributes
	if a == nil || len(a.Transaction) == 0 {
		return nil
	}
	if err := c.typed.fill(c.plan, a.Transaction, t.Attrs, "transaction "+t.ID); err != nil {
		return err
	}
	env.Numbers, env.Dates, env.Flags = c.typed.numbers, c.typed.dates, c.typed.flags
	return nil
}

// typedPersonEnv is the rule view of p under plan, typed attributes
// included.
func typedPersonEnv(plan *plans.CompPlan, p *facts.Person) (rules.Person, error) {
	env := personEnv(p)
	a := plan.Attributes
	if a == nil || len(a.Person) == 0 {
		return env, nil
	}
	var t typedMaps
	if err := t.fill(plan, a.Person, p.Attrs, "person "+p.ID); err != nil {
		return env, err
	}
	env.Numbers, env.Dates, env.Flags = t.numbers, t.dates, t.flags
	return env, nil
}
