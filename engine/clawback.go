package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// TraceTypeClawback is the Trace.Type of a clawback line.
const TraceTypeClawback = "clawback"

// ClawbackTrace is one cancellation a clawback line takes back: which deal,
// when it was paid, what it earned through the component and at what
// rate, and the share of it returned.
type ClawbackTrace struct {
	// Cancellation is the cancelling transaction; Cancels the deal.
	Cancellation string `json:"cancellation"`
	Cancels      string `json:"cancels"`
	DealDate     string `json:"deal_date"`
	CancelDate   string `json:"cancel_date"`
	// Days is how many days after the deal it was cancelled; WindowDays
	// is the plan's window.
	Days       int `json:"days"`
	WindowDays int `json:"window_days"`
	// Period is the period the deal was paid in.
	Period string `json:"period"`
	// DealAmount is the deal's amount; Returned the amount the
	// cancellation returns (positive); Share = Returned ÷ DealAmount.
	DealAmount decimal.Decimal `json:"deal_amount"`
	Returned   decimal.Decimal `json:"returned"`
	Share      decimal.Decimal `json:"share"`
	// Credited is what the deal counted for the person in the component:
	// the credits a per_credit component priced, or what the deal added
	// to a rate table's measure.
	Credited decimal.Decimal `json:"credited"`
	// Paid is what the deal earned through the component in Period, and
	// Rate = Paid ÷ Credited: the deal's own rate for a per_credit
	// component, the component's effective rate in Period (its payout ÷
	// its measure) for a rate table.
	Paid decimal.Decimal `json:"paid"`
	Rate decimal.Decimal `json:"rate"`
	// Tiers are the rate table rows the component paid in Period.
	Tiers []TierTrace `json:"tiers,omitempty"`
	// Amount is what is taken back: -Paid × Share, before rounding.
	Amount decimal.Decimal `json:"amount"`
	// Note says why nothing (or less) was taken back: outside the window,
	// a gate that was shut, a cap.
	Note string `json:"note,omitempty"`
}

// nestedRun marks a calculation of an earlier period made to find out what
// a cancelled deal paid; c is the calculation, for reading its credits.
type nestedRun struct {
	c *calc
	// cancels is the calculation's calc.cancels.
	cancels []bool
	// typed is the typed attributes the calculation that makes the
	// recomputation parsed (attrs.go), or nil.
	typed *typedCache
	// deals are the deals the recomputation is read for (cancelled or
	// released), when known: per-deal lines trace only their entries,
	// and only add up what the others paid (perdeal.go).
	deals map[*facts.Transaction]bool
}

// dealSet is the set of deals.
func dealSet(deals []*facts.Transaction) map[*facts.Transaction]bool {
	out := make(map[*facts.Transaction]bool, len(deals))
	for _, d := range deals {
		out[d] = true
	}
	return out
}

// isCancellation reports whether t cancels another deal under a plan with
// a clawback: such a transaction is credited to nobody, and only takes
// back what the deal it cancels paid.
func (c *calc) isCancellation(t *facts.Transaction) bool {
	return c.plan.Clawback != nil && t.Attrs[plans.CancelsAttr] != ""
}

// isCancellationAt is isCancellation of the transaction at index src of
// Input.Transactions (t), -1 when unknown.
func (c *calc) isCancellationAt(t *facts.Transaction, src int32) bool {
	if c.cancels != nil && src >= 0 {
		return c.cancels[src]
	}
	return c.isCancellation(t)
}

// cancelsFor returns which of in's transactions cancel another deal
// under plan: the calculation's that made this recomputation (given the
// same transactions), or worked out. Nil when the plan has no clawback.
func cancelsFor(plan *plans.CompPlan, in *Input) []bool {
	if plan.Clawback == nil {
		return nil
	}
	if n := in.nested; n != nil && n.cancels != nil && len(n.cancels) == len(in.Transactions) {
		return n.cancels
	}
	out := make([]bool, len(in.Transactions))
	for i := range in.Transactions {
		out[i] = in.Transactions[i].Attrs[plans.CancelsAttr] != ""
	}
	return out
}

// PeriodOf returns the period of plan's calendar and frequency that holds d.
func PeriodOf(plan *plans.CompPlan, d period.Date) period.Period {
	y := d.Time().Year()
	for fy := y - 1; fy <= y+1; fy++ {
		for _, p := range plan.Calendar.Periods(fy, plan.Frequency) {
			if p.Contains(d) {
				return p
			}
		}
	}
	panic("invariant: no period of the calendar holds " + d.String())
}

// periodOf is PeriodOf(c.plan, d), remembering the periods found: the
// periods of a calendar and frequency do not overlap, so the one found
// before that holds d is the one PeriodOf finds.
func (c *calc) periodOf(d period.Date) period.Period {
	for i := range c.periodsFound {
		if c.periodsFound[i].Contains(d) {
			return c.periodsFound[i]
		}
	}
	p := PeriodOf(c.plan, d)
	c.periodsFound = append(c.periodsFound, p)
	return p
}

// TransactionsFrom is the first day of the transactions a calculation of
// plan in p reads: the start of the fiscal year, or, for a plan with a
// clawback, the start of the fiscal year of the earliest deal a
// cancellation dated in p can still claw back (the deal's period is
// recomputed to find out what the deal paid).
//
// A plan with a hold reads back as far as the earliest deal a payment
// dated in p can release (hold.max_days).
func TransactionsFrom(plan *plans.CompPlan, p period.Period) period.Date {
	first := p.Year.Start
	if plan.Clawback != nil {
		if d := PeriodOf(plan, p.Start.AddDays(-plan.Clawback.WindowDays)).Year.Start; d.Before(first) {
			first = d
		}
	}
	if plan.Hold != nil {
		if d := PeriodOf(plan, p.Start.AddDays(-plan.Hold.MaxDays)).Year.Start; d.Before(first) {
			first = d
		}
	}
	return first
}

// cancellation is a cancellation of deal, checked.
type cancellation struct {
	t, deal  *facts.Transaction
	days     int
	inWindow bool
}

// clawbacks computes the clawback lines of the period, per payee (indexed
// like c.payees): for each cancellation dated in the period, within the
// window, what the deal it cancels paid through each clawed-back
// component, in proportion to the amount returned. Each line's trace
// lists the cancellations it takes back; a cancellation outside the
// window shows there with nothing taken back.
//
// done is this period's result for every payee, or nil when computing it
// failed: the clawbacks of deals paid in this period read it rather than
// compute the period again, when that gives the same lines (reuseDone).
func (c *calc) clawbacks(done *Result) ([][]Payout, error) {
	cb := c.plan.Clawback
	if cb == nil || c.in.nested != nil {
		return nil, nil
	}
	var all []*facts.Transaction // cancellations dated up to the period's end
	inPeriod := false
	for i := range c.in.Transactions {
		t := &c.in.Transactions[i]
		if c.isCancellationAt(t, int32(i)) && !t.Date.After(c.in.Period.End) {
			all = append(all, t)
			inPeriod = inPeriod || c.in.Period.Contains(t.Date)
		}
	}
	if !inPeriod {
		// Earlier cancellations were checked by their own periods' runs.
		return nil, nil
	}
	// byID finds the deals the cancellations name (nil: none given),
	// indexing only those.
	byID := make(map[string]*facts.Transaction, len(all))
	for _, t := range all {
		byID[t.Attrs[plans.CancelsAttr]] = nil
	}
	for i := range c.in.Transactions {
		t := &c.in.Transactions[i]
		if _, ok := byID[t.ID]; ok {
			byID[t.ID] = t
		}
	}
	slices.SortFunc(all, func(a, b *facts.Transaction) int { return strings.Compare(a.ID, b.ID) })
	returned := map[string]decimal.Decimal{}
	var current []cancellation
	for _, t := range all {
		cn, err := c.checkCancellation(t, byID)
		if err != nil {
			return nil, err
		}
		id := cn.deal.ID
		returned[id] = returned[id].Sub(t.Amount)
		if returned[id].GreaterThan(cn.deal.Amount) {
			return nil, fmt.Errorf("%w: cancellations of %s up to %s (the last %s) return %s, more than the deal's %s", ErrInput, id, c.in.Period.Label, t.ID, returned[id], cn.deal.Amount)
		}
		if c.in.Period.Contains(t.Date) {
			current = append(current, cn)
		}
	}
	if len(current) == 0 {
		return nil, nil
	}
	// traces[payee][k] lists what clawback component k takes back.
	traces := make([][][]ClawbackTrace, len(c.payees))
	add := func(p, k int, tr ClawbackTrace) {
		if traces[p] == nil {
			traces[p] = make([][]ClawbackTrace, len(cb.Components))
		}
		traces[p][k] = append(traces[p][k], tr)
	}
	// Recompute each period that paid a deal cancelled within the window
	// once, for the people the deals reach.
	byPeriod := map[string][]cancellation{}
	var periods []period.Period
	for _, cn := range current {
		_, p0, paid := c.paidPeriod(cn.deal.Date)
		var note string
		switch {
		case !cn.inWindow:
			note = fmt.Sprintf("cancelled %d days after the deal, outside the %d-day clawback window: nothing clawed back", cn.days, cb.WindowDays)
		case !paid:
			// A run of p0 would not run this plan version: it did not
			// pay the deal.
			note = fmt.Sprintf("%s is outside plan %s version %s's effective dates (%s): the plan did not pay the deal, so nothing is clawed back", p0.Label, c.plan.Name, c.plan.Version, c.plan.EffectiveText())
		}
		if note != "" {
			reach, err := c.reach(cn.deal)
			if err != nil {
				return nil, err
			}
			for _, p := range reach {
				for k := range cb.Components {
					tr := c.traceOf(cn, p0)
					tr.Note = note
					add(p, k, tr)
				}
			}
			continue
		}
		if _, ok := byPeriod[p0.Label]; !ok {
			periods = append(periods, p0)
		}
		byPeriod[p0.Label] = append(byPeriod[p0.Label], cn)
	}
	for _, p0 := range periods {
		if err := c.clawbackPeriod(p0, byPeriod[p0.Label], done, add); err != nil {
			return nil, err
		}
	}
	out := make([][]Payout, len(c.payees))
	for p := range traces {
		if traces[p] == nil {
			continue
		}
		for k, ci := range cb.Components {
			comp := &c.plan.Components[ci]
			name := plans.ClawbackLine(comp.Name)
			cts := traces[p][k]
			slices.SortFunc(cts, func(a, b ClawbackTrace) int { return strings.Compare(a.Cancellation, b.Cancellation) })
			tr := Trace{Component: name, Type: TraceTypeClawback, Computed: decimal.Zero, Clawbacks: cts}
			for _, ct := range traces[p][k] {
				tr.Computed = tr.Computed.Add(ct.Amount)
			}
			tr.Rounded = money.RoundHalfUp(tr.Computed, c.places)
			tr.Result = tr.Rounded
			out[p] = append(out[p], Payout{Person: c.payees[p].p.ID, Component: name, EarningCode: comp.EarningCode,
				Currency: c.plan.Currency, Amount: tr.Result, Trace: tr})
		}
	}
	return out, nil
}

// checkCancellation checks cancellation t against the deal it cancels.
func (c *calc) checkCancellation(t *facts.Transaction, byID map[string]*facts.Transaction) (cancellation, error) {
	id := t.Attrs[plans.CancelsAttr]
	deal := byID[id]
	ok := deal != nil
	errf := func(format string, args ...any) (cancellation, error) {
		return cancellation{}, fmt.Errorf("%w: cancellation %s of %s: %s", ErrInput, t.ID, id, fmt.Sprintf(format, args...))
	}
	switch {
	case !ok:
		return errf("no transaction %s is known; import the deal, or correct the %s attribute", id, plans.CancelsAttr)
	case deal.Attrs[plans.CancelsAttr] != "":
		return errf("%s is itself a cancellation (of %s); a cancellation names the deal", id, deal.Attrs[plans.CancelsAttr])
	case id == t.ID:
		return errf("a transaction cannot cancel itself")
	case t.Amount.Sign() >= 0:
		return errf("amount %s: give the amount returned as a negative number (-%s for the whole deal)", t.Amount, deal.Amount)
	case deal.Amount.Sign() <= 0:
		return errf("the deal's amount is %s; only a deal with a positive amount can be cancelled", deal.Amount)
	case t.Date.Before(deal.Date):
		return errf("dated %s, before the deal (%s)", t.Date, deal.Date)
	case t.Currency != deal.Currency:
		return errf("in %s, but the deal is in %s", t.Currency, deal.Currency)
	case t.Owner != deal.Owner || t.Territory != deal.Territory || !sameSplitPeople(t.Splits, deal.Splits):
		// The cancellation reaches the same batches as the deal only when
		// it names the same people.
		return errf("owner, territory and split people must be the deal's (owner %q, territory %q, splits %s), so that it reaches everyone the deal paid", deal.Owner, deal.Territory, splitPeople(deal.Splits))
	}
	days := int(t.Date.Time().Sub(deal.Date.Time()) / (24 * time.Hour))
	return cancellation{t: t, deal: deal, days: days, inWindow: days <= c.plan.Clawback.WindowDays}, nil
}

func splitPeople(s []facts.Split) string {
	ids := make([]string, len(s))
	for i := range s {
		ids[i] = s[i].Person
	}
	sort.Strings(ids)
	return "[" + strings.Join(ids, " ") + "]"
}

func sameSplitPeople(a, b []facts.Split) bool { return splitPeople(a) == splitPeople(b) }

// reach lists the payees (indexes into c.payees, sorted, unique) whom
// the plan's credit rules credit with deal t: its owner, split people or
// territory, as the rules that select it say.
func (c *calc) reach(t *facts.Transaction) ([]int, error) {
	var out []int
	txn, err := c.ruleTxnOf(t)
	if err != nil {
		return nil, err
	}
	env := rules.TxnEnv{Txn: txn}
	for _, ri := range c.creditOrder {
		rule := &c.plan.Credits[ri]
		if rule.When != nil {
			ok, err := rule.When.Program.Bool(&c.m, &env)
			if err != nil {
				return nil, &RuleError{Pos: rule.When.Pos, Subject: "transaction " + t.ID, Err: err}
			}
			if !ok {
				continue
			}
		}
		switch rule.To {
		case plans.CreditToOwner:
			if p, ok := c.index[t.Owner]; ok {
				out = append(out, p)
			}
		case plans.CreditToSplits:
			for _, s := range t.Splits {
				if p, ok := c.index[s.Person]; ok {
					out = append(out, p)
				}
			}
		case plans.CreditToTerritory:
			out = append(out, c.byTerr[t.Territory]...)
		case plans.CreditToManagers:
			// The managers the deal rolled up to, as rollup credits them.
			if t.Owner == "" {
				continue
			}
			ru := rule.Rollup
			err := c.hier.climb(t.Owner, t.Date, func(m, role string, level int) bool {
				if len(ru.Roles) > 0 {
					if !slices.Contains(ru.Roles, role) {
						return true
					}
				} else if level > ru.Levels {
					return false
				}
				if p, ok := c.index[m]; ok {
					out = append(out, p)
				}
				return len(ru.Roles) > 0 || level < ru.Levels
			})
			if err != nil {
				return nil, err
			}
		}
	}
	// Only people employed on the deal's date were credited by it (add).
	out = slices.DeleteFunc(out, func(p int) bool { return !plans.Employed(c.payees[p].p, t.Date) })
	slices.Sort(out)
	return slices.Compact(out), nil
}

// traceOf starts the trace of cancellation cn of a deal paid in p0.
func (c *calc) traceOf(cn cancellation, p0 period.Period) ClawbackTrace {
	ret := cn.t.Amount.Neg()
	return ClawbackTrace{
		Cancellation: cn.t.ID, Cancels: cn.deal.ID, DealDate: c.dateString(cn.deal.Date), CancelDate: c.dateString(cn.t.Date),
		Days: cn.days, WindowDays: c.plan.Clawback.WindowDays, Period: p0.Label,
		DealAmount: cn.deal.Amount, Returned: ret, Share: ret.DivRound(cn.deal.Amount, rules.DivisionPlaces),
		Credited: decimal.Zero, Paid: decimal.Zero, Rate: decimal.Zero, Amount: decimal.Zero,
	}
}

// clawbackPeriod recomputes period p0, which paid the deals of cns, for
// the people they reach, and adds to each what the deals paid them
// through each clawed-back component, in proportion to what was returned.
//
// When p0 is the period being computed and done is its result, the lines
// and credits are read from done and c (see reuseDone), only for the
// people the deals reach, as a recomputation would have computed.
func (c *calc) clawbackPeriod(p0 period.Period, cns []cancellation, done *Result, add func(p, k int, tr ClawbackTrace)) error {
	reach := map[int]bool{}
	for _, cn := range cns {
		ps, err := c.reach(cn.deal)
		if err != nil {
			return err
		}
		for _, p := range ps {
			reach[p] = true
		}
	}
	res, nc := done, c
	plan0 := c.planFor(p0)
	if done == nil || plan0 != c.plan || !c.reuseDone(p0) {
		var people []facts.Person
		for p := range c.payees {
			if reach[p] {
				people = append(people, *c.payees[p].p)
			}
		}
		deals := make([]*facts.Transaction, len(cns))
		for i := range cns {
			deals[i] = cns[i].deal
		}
		nested := &nestedRun{typed: c.typedTxns, cancels: c.cancels, deals: dealSet(deals)}
		var err error
		res, err = Compute(Input{Plan: plan0, Targets: c.targetsFor(plan0), Period: p0, People: people, Transactions: c.in.Transactions, FX: c.in.FX, Hierarchy: c.in.Hierarchy, Stop: c.in.Stop, nested: nested})
		if err != nil {
			return fmt.Errorf("clawback of %s (cancelled by %s): recomputing %s, the period that paid it: %w", cns[0].deal.ID, cns[0].t.ID, p0.Label, err)
		}
		nc = nested.c
	}
	lines := map[[2]string]*Payout{}
	for i := range res.Payouts {
		lines[[2]string{res.Payouts[i].Person, res.Payouts[i].Component}] = &res.Payouts[i]
	}
	measures := map[[2]string]decimal.Decimal{}
	for _, m := range res.Measures {
		measures[[2]string{m.Person, m.Measure}] = m.Value
	}
	cb := c.plan.Clawback
	// The recomputed period's credits of each cancelled deal, in the
	// order they were made, found in one pass over the credits.
	byDeal := make(map[*facts.Transaction][]*credit, len(cns))
	for _, cn := range cns {
		byDeal[cn.deal] = nil
	}
	for k := range nc.periodCredits {
		cr := &nc.periodCredits[k]
		if cs, ok := byDeal[nc.txns[cr.txn].t]; ok {
			byDeal[nc.txns[cr.txn].t] = append(cs, cr)
		}
	}
	for _, cn := range cns {
		// Payee by payee (in payee order), each payee's credits in the
		// order they were made.
		dealCredits := slices.Clone(byDeal[cn.deal])
		slices.SortStableFunc(dealCredits, func(a, b *credit) int { return int(a.payee - b.payee) })
		for len(dealCredits) > 0 {
			np := int(dealCredits[0].payee)
			n := 1
			for n < len(dealCredits) && int(dealCredits[n].payee) == np {
				n++
			}
			credits := dealCredits[:n]
			dealCredits = dealCredits[n:]
			pe := &nc.payees[np]
			p, ok := c.index[pe.p.ID]
			if !ok || !reach[p] {
				continue
			}
			for k, ci := range cb.Components {
				comp := &c.plan.Components[ci]
				tr := c.traceOf(cn, p0)
				// The component as the version that paid p0 has it.
				nci := nc.componentNamed(comp.Name)
				if nci < 0 {
					tr.Note = fmt.Sprintf("version %s of plan %s, which paid %s, has no component %s: nothing to take back through it", nc.plan.Version, nc.plan.Name, p0.Label, comp.Name)
					add(p, k, tr)
					continue
				}
				line := lines[[2]string{pe.p.ID, comp.Name}]
				if err := nc.dealPaid(pe, &nc.plan.Components[nci], credits, line, measures, &tr); err != nil {
					return err
				}
				tr.Amount = tr.Paid.Mul(tr.Returned).DivRound(tr.DealAmount, rules.DivisionPlaces).Neg()
				if nc.plan.Hold.Holds(nci) {
					held, why, err := nc.heldAt(cn.deal, -1, p0, cn.t.Date)
					if err != nil {
						return err
					}
					if held {
						// Nothing was paid yet: nothing to take back, and
						// the release pays only the part the customer kept.
						tr.Amount = decimal.Zero
						tr.Note = fmt.Sprintf("the deal's %s is held (%s): nothing was paid, so nothing is taken back; its release pays only the part not returned", comp.Name, why)
					}
				}
				add(p, k, tr)
			}
		}
	}
	return nil
}

// planFor is the plan version a run of period p0 computes: this
// calculation's own for its period, or without Input.Versions; else the
// newest publication that takes effect by p0's end (plans.VersionFor).
func (c *calc) planFor(p0 period.Period) *plans.CompPlan {
	if len(c.in.Versions) == 0 || p0.Label == c.in.Period.Label {
		return c.plan
	}
	if i, _, ok, err := plans.VersionFor(c.in.Versions, p0.Label, false); err == nil && ok {
		return c.in.Versions[i]
	}
	return c.plan
}

// paidPeriod is the period that paid a deal dated d, and the plan
// version that computed it: of the versions (newest first), the first
// that takes effect by the end of its own period holding d, read with
// its own calendar and frequency (a quarterly version before a monthly
// one paid a May deal in Q2). paid is false when that version is not in
// effect then, or no version takes effect by then: the plan did not pay
// the deal.
func (c *calc) paidPeriod(d period.Date) (plan0 *plans.CompPlan, p0 period.Period, paid bool) {
	p0 = c.periodOf(d)
	if len(c.in.Versions) == 0 || p0.Label == c.in.Period.Label {
		return c.plan, p0, c.plan.EffectiveIn(p0)
	}
	// As plans.VersionFor: a version that ended before the deal's period
	// leaves it only to an older version starting after that end.
	var ended period.Date
	for _, v := range c.in.Versions {
		pv := PeriodOf(v, d)
		if v.Effective.Start.After(pv.End) {
			continue
		}
		if !ended.IsZero() && !v.Effective.Start.After(ended) {
			continue
		}
		if end := v.Effective.End; !end.IsZero() && end.Before(pv.Start) {
			if ended.IsZero() || end.After(ended) {
				ended = end
			}
			continue
		}
		return v, pv, v.EffectiveIn(pv)
	}
	return c.plan, p0, false
}

// targetsFor is the target plan version plan0 reads: this calculation's
// when it is the same, else the one Input.VersionTargets gives (nil when
// none: recomputing then says which is missing).
func (c *calc) targetsFor(plan0 *plans.CompPlan) *plans.TargetPlan {
	switch {
	case plan0.Targets == "":
		return nil
	case c.in.Targets != nil && c.in.Targets.Name == plan0.Targets:
		return c.in.Targets
	}
	return c.in.VersionTargets[plan0.Targets]
}

// componentNamed is the index of the plan's component called name, or -1.
func (c *calc) componentNamed(name string) int {
	for i := range c.plan.Components {
		if c.plan.Components[i].Name == name {
			return i
		}
	}
	return -1
}

// recompute computes period p0 again with the plan version a run of it
// computes (planFor), for the people deals reach, as the run of p0
// computes it (without its holds): the calculation, for reading its
// credits, and its payout lines and measures by person and name.
func (c *calc) recompute(p0 period.Period, deals []*facts.Transaction) (*calc, map[[2]string]*Payout, map[[2]string]decimal.Decimal, error) {
	reach := map[int]bool{}
	for _, d := range deals {
		ps, err := c.reach(d)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, p := range ps {
			reach[p] = true
		}
	}
	var people []facts.Person
	for p := range c.payees {
		if reach[p] {
			people = append(people, *c.payees[p].p)
		}
	}
	nested := &nestedRun{typed: c.typedTxns, cancels: c.cancels, deals: dealSet(deals)}
	plan0 := c.planFor(p0)
	res, err := Compute(Input{Plan: plan0, Targets: c.targetsFor(plan0), Period: p0, People: people, Transactions: c.in.Transactions, FX: c.in.FX, Hierarchy: c.in.Hierarchy, Stop: c.in.Stop, nested: nested})
	if err != nil {
		return nil, nil, nil, err
	}
	lines := map[[2]string]*Payout{}
	for i := range res.Payouts {
		lines[[2]string{res.Payouts[i].Person, res.Payouts[i].Component}] = &res.Payouts[i]
	}
	measures := map[[2]string]decimal.Decimal{}
	for _, m := range res.Measures {
		measures[[2]string{m.Person, m.Measure}] = m.Value
	}
	return nested.c, lines, measures, nil
}

// dealPaid works out, in the recomputed period, what a deal's credits
// (of payee pe) earned through comp, whose line in that period is line:
// Credited, Paid, Rate and Tiers of tr. All credits are the same deal's.
// tr's Credited and Paid are 0 (decimal.Zero) on entry. (A hold reads
// only Credited and Paid: dealPaidLean.)
func (nc *calc) dealPaid(pe *payee, comp *plans.Component, credits []*credit, line *Payout, measures map[[2]string]decimal.Decimal, tr *ClawbackTrace) error {
	// contribution and credited add up exactly as Add from tr.Credited
	// (decimal.Zero) would, without allocating per credit.
	contribution, credited := newDecimalSum(), newDecimalSum()
	var m *plans.Measure
	if comp.Type == plans.ComponentRateTable {
		m, _ = nc.plan.MeasureByName(comp.Measure)
	}
	slot := nc.dealValSlot(comp, m)
	if err := nc.dealSums(pe, comp, m, slot, credits, &contribution, &credited); err != nil {
		return err
	}
	tr.Credited = credited.Value() // tr.Credited was 0: 0 + credited is credited, exponent and all
	if line == nil {
		tr.Note = "the component paid no line in " + tr.Period
		return nil
	}
	lt := &line.Trace
	switch {
	case lt.Gate != nil && !lt.Gate.Passed:
		tr.Note = fmt.Sprintf("the component's gate was shut in %s: the deal earned nothing through it", tr.Period)
		return nil
	case comp.Type == plans.ComponentPerCredit:
		contribution := contribution.Value()
		tr.Paid = contribution
		if lt.Capped && lt.Cap != nil && !lt.Computed.IsZero() {
			tr.Paid = contribution.Mul(*lt.Cap).DivRound(lt.Computed, rules.DivisionPlaces)
			tr.Note = fmt.Sprintf("the component was capped at %s in %s: the deal's %s is scaled by %s/%s", lt.Cap, tr.Period, contribution, lt.Cap, lt.Computed)
		}
	case comp.ByDeal() && lt.Deals != nil:
		// A per-deal table paid the deal its own tier parts: take back
		// exactly those, not the table's blended rate. The credits are
		// one deal's; a deal's entries in the trace are next to each
		// other (they run in date, then transaction order).
		paidSum := newDecimalSum()
		var pds []paidDeal
		kept := false
		if len(credits) > 0 {
			pds, kept = nc.paidDealsOf(int(credits[0].payee), nc.componentIndex(comp), lt.Deals)
		}
		var idx map[string]int
		if !kept {
			idx = nc.dealIndex(lt)
		}
		var done []string // the deals read, in the order first met
		for _, cr := range credits {
			id := nc.txns[cr.txn].id
			if slices.Contains(done, id) {
				continue
			}
			done = append(done, id)
			if kept {
				// The same entries as below, found in the compact copy.
				j, _ := slices.BinarySearchFunc(pds, cr.txn, func(d paidDeal, t int32) int { return int(d.txn - t) })
				for ; j < len(pds) && pds[j].txn == cr.txn; j++ {
					paidSum.addWith(lt.Deals.Paid[pds[j].pos].Rounded, pds[j].rounded, pds[j].ok)
					tr.Tiers = append(tr.Tiers, lt.Deals.Paid[pds[j].pos].Parts...)
				}
				continue
			}
			i, ok := idx[id]
			if !ok {
				continue
			}
			for ps := lt.Deals.Paid[i:]; len(ps) > 0 && ps[0].Txn == id; ps = ps[1:] {
				paidSum.Add(ps[0].Rounded)
				tr.Tiers = append(tr.Tiers, ps[0].Parts...)
			}
		}
		paid := paidSum.Value()
		tr.Paid = paid
		tr.Note = fmt.Sprintf("what the deal earned in %s through the per-deal table, tier by tier", tr.Period)
		if lt.Capped && lt.Cap != nil && !lt.Computed.IsZero() {
			tr.Paid = paid.Mul(*lt.Cap).DivRound(lt.Computed, rules.DivisionPlaces)
			tr.Note = fmt.Sprintf("the component was capped at %s in %s: the deal's %s is scaled by %s/%s", lt.Cap, tr.Period, paid, lt.Cap, lt.Computed)
		}
	default:
		basis := measures[[2]string{pe.p.ID, comp.Measure}]
		tr.Tiers = lt.Tiers
		if basis.Sign() <= 0 {
			tr.Note = fmt.Sprintf("measure %s was %s in %s: no rate to take back at", comp.Measure, basis, tr.Period)
			return nil
		}
		tr.Paid = contribution.Value().Mul(line.Amount).DivRound(basis, rules.DivisionPlaces)
		tr.Rate = line.Amount.DivRound(basis, rules.DivisionPlaces)
		tr.Note = fmt.Sprintf("effective rate of %s in %s: its payout %s ÷ measure %s %s", comp.Name, tr.Period, line.Amount, comp.Measure, basis)
		return nil
	}
	if !tr.Credited.IsZero() {
		tr.Rate = tr.Paid.DivRound(tr.Credited, rules.DivisionPlaces)
	}
	return nil
}

// dealSums adds up what a deal's credits (of payee pe) counted in comp,
// whose measure is m (a rate table) and whose dealVals slot is slot:
// contribution is what the component paid on, credited what the deal
// counted for the person.
func (nc *calc) dealSums(pe *payee, comp *plans.Component, m *plans.Measure, slot int, credits []*credit, contribution, credited *decimalSum) error {
	for _, cr := range credits {
		if m == nil && !comp.Covers(nc.txns[cr.txn].t.Date) {
			continue // outside the component's window: it paid the deal nothing
		}
		if dv, ok := nc.dealValAt(cr.dv, slot); ok {
			// What the credit pass worked out for the credit.
			if dv.skip {
				continue
			}
			contribution.addWith(dv.v, fix{dv.c, dv.e}, dv.fok)
			if m != nil {
				credited.addWith(dv.v, fix{dv.c, dv.e}, dv.fok)
			} else {
				af, afok := cr.amountFix()
				credited.addWith(cr.amount, af, afok)
			}
			continue
		}
		txn, err := nc.ruleTxnOfFacts(&nc.txns[cr.txn])
		if err != nil {
			return err
		}
		nc.creditEnv.Txn = txn
		nc.creditEnv.Credit = rules.Credit{Amount: cr.amount, Rule: nc.plan.Credits[cr.rule].Name, Share: cr.share}
		nc.creditEnv.Person = pe.env
		nc.envPayee = -1
		where, value := comp.Where, comp.Amount
		if m != nil {
			where, value = m.Where, m.Value
		}
		if where != nil {
			ok, err := where.Program.Bool(&nc.m, &nc.creditEnv)
			if err != nil {
				return &RuleError{Pos: where.Pos, Subject: nc.creditSubject(pe, cr), Err: err}
			}
			if !ok {
				continue
			}
		}
		switch {
		case m != nil && m.Aggregate == plans.AggregateCount:
			contribution.Add(one)
			credited.Add(one)
		case m != nil && value == nil:
			contribution.Add(cr.amount)
			credited.Add(cr.amount)
		default:
			v, err := value.Program.Decimal(&nc.m, &nc.creditEnv)
			if err != nil {
				return &RuleError{Pos: value.Pos, Subject: nc.creditSubject(pe, cr), Err: err}
			}
			contribution.Add(v)
			if m != nil {
				credited.Add(v)
			} else {
				credited.Add(cr.amount)
			}
		}
	}
	return nil
}

// componentIndex is comp's index in the plan's components.
func (nc *calc) componentIndex(comp *plans.Component) int {
	for i := range nc.plan.Components {
		if &nc.plan.Components[i] == comp {
			return i
		}
	}
	return -1
}

// dealIndex indexes the deals a per-deal line's trace lists by
// transaction ID (the position of each deal's first entry in
// lt.Deals.Paid), once per line: holds read a deal's part for every deal
// of the period.
func (nc *calc) dealIndex(lt *Trace) map[string]int {
	if idx, ok := nc.dealIdx[lt]; ok {
		return idx
	}
	idx := make(map[string]int, len(lt.Deals.Paid))
	for i := range lt.Deals.Paid {
		if _, ok := idx[lt.Deals.Paid[i].Txn]; !ok {
			idx[lt.Deals.Paid[i].Txn] = i
		}
	}
	if nc.dealIdx == nil {
		nc.dealIdx = map[*Trace]map[string]int{}
	}
	nc.dealIdx[lt] = idx
	return idx
}

// ruleTxnOf is the rule view of t as the credit pass gives it to rules:
// its amount in the plan's currency and its typed attributes.
func (c *calc) ruleTxnOf(t *facts.Transaction) (rules.Txn, error) {
	return c.ruleTxnOfFacts(&txnFacts{id: t.ID, t: t, src: -1})
}

// ruleTxnOfFacts is ruleTxnOf of tf's transaction.
func (c *calc) ruleTxnOfFacts(tf *txnFacts) (rules.Txn, error) {
	t := tf.t
	env := c.txnEnvOf(tf)
	if t.Currency != "" && t.Currency != c.plan.Currency {
		if rate, _, ok := c.in.FX.Lookup(t.Currency, c.plan.Currency, t.Date); ok {
			env.Amount = money.RoundHalfUp(t.Amount.Mul(rate), c.places)
		}
	}
	return env, c.typeTxn(&env, t, tf.src)
}

// reuseDone reports whether the clawbacks of deals paid in p0 may read
// this calculation's own lines and credits instead of recomputing p0 for
// the people the deals reach: p0 must be this period, and a
// recomputation must give the clawed-back components the same lines. It
// would not when a component is cumulative or paid once (a recomputation
// has no prior payouts), when a clawed-back component's rule reads
// payouts (a recomputation pays MBO and override components 0), or when
// credit rolls up a hierarchy taken from the people given (a
// recomputation is given only the people the deals reach).
func (c *calc) reuseDone(p0 period.Period) bool {
	if c.in.noReuse || p0.Label != c.in.Period.Label || p0.Range != c.in.Period.Range {
		return false
	}
	for _, ci := range c.plan.Clawback.Components {
		comp := &c.plan.Components[ci]
		if comp.Cumulative || comp.Once {
			return false
		}
		for _, r := range comp.ComponentRules() {
			if r.Program.Reads("payout") {
				return false
			}
		}
	}
	if len(c.in.Hierarchy) == 0 {
		for i := range c.plan.Credits {
			if c.plan.Credits[i].To == plans.CreditToManagers {
				return false
			}
		}
	}
	return true
}
