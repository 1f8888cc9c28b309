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
	// keys, when cached, says which declarations (bit j: declaration j
	// of the typedCache) the maps hold, as typedCache.fill left them.
	keys   uint64
	cached bool
	// slab, when set, makes the numbers parsed (parseNumber);
	// validDates holds the date texts parsed without error.
	slab       *decSlab
	validDates map[string]bool
}

// reset makes t's maps (when nil) or clears them.
func (t *typedMaps) reset() {
	t.cached = false
	if t.numbers == nil {
		t.numbers, t.dates, t.flags = map[string]decimal.Decimal{}, map[string]string{}, map[string]bool{}
	} else {
		clear(t.numbers)
		clear(t.dates)
		clear(t.flags)
	}
}

// fill parses attrs per decls into t's maps (made when nil, cleared
// otherwise). subject names the fact ("transaction T-17").
func (t *typedMaps) fill(plan *plans.CompPlan, decls []plans.AttributeDecl, attrs map[string]string, subject func() string) error {
	t.reset()
	for i := range decls {
		d := &decls[i]
		raw, ok := attrs[d.Name]
		if !ok {
			if d.Default == nil {
				continue // a rule that reads it fails, naming it
			}
			raw = *d.Default
		}
		v, err := parseDeclared(d.Type, raw, t.slab, &t.validDates)
		if err != nil {
			return fmt.Errorf("%w: plan %s: %s: attribute %s: %v (declared %s at %s)", ErrInput, plan.Name, subject(), d.Name, err, d.Type, d.Pos)
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
// calculation's scratch maps. src is t's index in Input.Transactions, or
// -1: the values of a transaction with an index are parsed once per
// calculation (and the recomputations it makes), then read from
// c.typedTxns.
func (c *calc) typeTxn(env *rules.Txn, t *facts.Transaction, src int32) error {
	a := c.plan.Attributes
	if a == nil || len(a.Transaction) == 0 {
		return nil
	}
	if tc := c.typedTxns; tc != nil && src >= 0 {
		if !tc.parsed[src] {
			if err := tc.parse(c.plan, int(src), t, c.slab); err != nil {
				return err
			}
		}
		tc.fill(&c.typed, int(src))
	} else if err := c.typed.fill(c.plan, a.Transaction, t.Attrs, func() string { return "transaction " + t.ID }); err != nil {
		return err
	}
	env.Numbers, env.Dates, env.Flags = c.typed.numbers, c.typed.dates, c.typed.flags
	return nil
}

// typedCache holds the parsed typed attributes of the transactions of an
// Input (by index in Input.Transactions), shared by a calculation and the
// recomputations of earlier periods it makes, which are given the same
// transactions: each transaction's values are parsed once.
type typedCache struct {
	// txns is the Input.Transactions the cache is for.
	txns   []facts.Transaction
	decls  []plans.AttributeDecl
	parsed []bool
	// present[i*len(decls)+j] says whether transaction i has a value (its
	// own or the default) for declaration j, held, as the declaration's
	// type says, in nums[i*nNums+at[j]], texts[i*nTexts+at[j]] or
	// flags[i*nFlags+at[j]]: each holds only its type's declarations.
	present               []bool
	at                    []int
	nNums, nTexts, nFlags int
	nums                  []decimal.Decimal
	texts                 []string
	flags                 []bool
	// dates holds the date texts parsed without error: dates repeat.
	dates map[string]bool
}

// typedCacheFor returns the cache of in's transactions under plan: the
// one of the calculation that made this recomputation (nested), or a new
// one. Nil when the plan declares no transaction attributes, or has no
// clawback or hold (which read transactions again).
func typedCacheFor(plan *plans.CompPlan, in *Input) *typedCache {
	a := plan.Attributes
	if a == nil || len(a.Transaction) == 0 || len(in.Transactions) == 0 {
		return nil
	}
	if plan.Clawback == nil && plan.Hold == nil {
		// No recomputation and no second look at a transaction: each is
		// typed once anyway, into the scratch maps.
		return nil
	}
	if n := in.nested; n != nil && n.typed != nil && n.typed.covers(plan, in.Transactions) {
		return n.typed
	}
	tc := &typedCache{txns: in.Transactions, decls: a.Transaction, parsed: make([]bool, len(in.Transactions)), at: make([]int, len(a.Transaction))}
	for j := range a.Transaction {
		switch a.Transaction[j].Type {
		case rules.AttrNumber:
			tc.at[j] = tc.nNums
			tc.nNums++
		case rules.AttrDate:
			tc.at[j] = tc.nTexts
			tc.nTexts++
		case rules.AttrBoolean:
			tc.at[j] = tc.nFlags
			tc.nFlags++
		}
	}
	n := len(in.Transactions)
	tc.present = make([]bool, n*len(a.Transaction))
	tc.nums, tc.texts, tc.flags = make([]decimal.Decimal, n*tc.nNums), make([]string, n*tc.nTexts), make([]bool, n*tc.nFlags)
	return tc
}

// covers reports whether tc holds the attributes declared by plan of txns.
func (tc *typedCache) covers(plan *plans.CompPlan, txns []facts.Transaction) bool {
	return len(tc.txns) == len(txns) && &tc.txns[0] == &txns[0] && len(tc.decls) == len(plan.Attributes.Transaction) &&
		&tc.decls[0] == &plan.Attributes.Transaction[0]
}

// parse parses transaction i's (t's) declared attributes into the cache;
// an error (the first, in declaration order, as typedMaps.fill reports
// it) leaves it unparsed.
//
// Plain numbers of at most 18 digits are made in slab (parseNumber), and
// a date text read before is not parsed again; anything else is read by
// plans.ParseAttr.
func (tc *typedCache) parse(plan *plans.CompPlan, i int, t *facts.Transaction, slab *decSlab) error {
	n := len(tc.decls)
	for j := range tc.decls {
		d := &tc.decls[j]
		raw, ok := t.Attrs[d.Name]
		if !ok {
			if d.Default == nil {
				tc.present[i*n+j] = false
				continue // a rule that reads it fails, naming it
			}
			raw = *d.Default
		}
		v, err := parseDeclared(d.Type, raw, slab, &tc.dates)
		if err != nil {
			return fmt.Errorf("%w: plan %s: %s: attribute %s: %v (declared %s at %s)", ErrInput, plan.Name, "transaction "+t.ID, d.Name, err, d.Type, d.Pos)
		}
		tc.present[i*n+j] = true
		switch d.Type {
		case rules.AttrNumber:
			tc.nums[i*tc.nNums+tc.at[j]] = v.Number
		case rules.AttrDate:
			tc.texts[i*tc.nTexts+tc.at[j]] = v.Text
		case rules.AttrBoolean:
			tc.flags[i*tc.nFlags+tc.at[j]] = v.Flag
		}
	}
	tc.parsed[i] = true
	return nil
}

// fill sets t's maps to transaction i's parsed attributes.
func (tc *typedCache) fill(t *typedMaps, i int) {
	n := len(tc.decls)
	keys := uint64(0)
	if n <= 64 {
		for j := range n {
			if tc.present[i*n+j] {
				keys |= 1 << j
			}
		}
	}
	// The maps hold the same keys as the last transaction's: each is
	// set again below, so nothing needs clearing.
	if !t.cached || t.keys != keys || n > 64 {
		t.reset()
	}
	t.keys, t.cached = keys, n <= 64
	for j := range tc.decls {
		if !tc.present[i*n+j] {
			continue
		}
		d := &tc.decls[j]
		switch d.Type {
		case rules.AttrNumber:
			t.numbers[d.Name] = tc.nums[i*tc.nNums+tc.at[j]]
		case rules.AttrDate:
			t.dates[d.Name] = tc.texts[i*tc.nTexts+tc.at[j]]
		case rules.AttrBoolean:
			t.flags[d.Name] = tc.flags[i*tc.nFlags+tc.at[j]]
		}
	}
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
	if err := t.fill(plan, a.Person, p.Attrs, func() string { return "person " + p.ID }); err != nil {
		return env, err
	}
	env.Numbers, env.Dates, env.Flags = t.numbers, t.dates, t.flags
	return env, nil
}

// parseDeclared is plans.ParseAttr(typ, raw), with numbers made in slab
// and each date text checked once (*validDates remembers the valid ones).
func parseDeclared(typ rules.AttrType, raw string, slab *decSlab, validDates *map[string]bool) (plans.AttrValue, error) {
	switch {
	case typ == rules.AttrNumber:
		if n, ok := parseNumber(raw, slab); ok {
			return plans.AttrValue{Number: n}, nil
		}
	case typ == rules.AttrDate && (*validDates)[raw]:
		return plans.AttrValue{Text: raw}, nil // as ParseAttr gives it
	}
	v, err := plans.ParseAttr(typ, raw)
	if err == nil && typ == rules.AttrDate {
		if *validDates == nil {
			*validDates = map[string]bool{}
		}
		(*validDates)[raw] = true
	}
	return v, err
}

// parseNumber is plans.ParseAttr's number of s, a plain decimal (-12.50)
// of at most 18 digits, made in slab; false for anything else, which
// ParseAttr then reads or rejects.
func parseNumber(s string, slab *decSlab) (decimal.Decimal, bool) {
	coef, exp, fits, _ := plans.ScanPlainDecimal(s)
	if !fits {
		return decimal.Decimal{}, false
	}
	return slab.dec(coef, exp), true
}
