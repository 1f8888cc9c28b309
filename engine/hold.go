package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// Trace types of hold and release lines (docs/plans.md §25).
const (
	TraceTypeHold    = "hold"
	TraceTypeRelease = "release"
)

// HoldTrace is one deal a hold or release line holds back or pays out:
// what the deal earned through the component in the period that paid it
// (Period), and why it is held or released.
type HoldTrace struct {
	Deal     string `json:"deal"`
	DealDate string `json:"deal_date"`
	// Period is the period that paid the deal, and held it.
	Period string `json:"period"`
	// PaidOn is the deal's payment date, "" when none is recorded.
	PaidOn string `json:"paid_on,omitempty"`
	// Credited is what the deal counted for the person in the component;
	// Paid what it earned through it in Period, rounded to the currency.
	Credited decimal.Decimal `json:"credited"`
	Paid     decimal.Decimal `json:"paid"`
	// Returned is the share of the deal cancelled while it was held
	// (a release pays Paid × (1 − Returned)).
	Returned decimal.Decimal `json:"returned,omitempty"`
	// Amount is what the line holds back (negative) or releases.
	Amount decimal.Decimal `json:"amount"`
	Note   string          `json:"note"`
}

// paidOn reads deal t's payment date under the plan's hold: ok is false
// when the deal has none.
func (c *calc) paidOn(t *facts.Transaction) (d period.Date, ok bool, err error) {
	return c.paidOnAt(t, -1)
}

// paidOnAt is paidOn of t, the transaction at index src of
// Input.Transactions (-1: unknown).
func (c *calc) paidOnAt(t *facts.Transaction, src int32) (d period.Date, ok bool, err error) {
	if t == c.paidOnLast.t && t != nil {
		return c.paidOnLast.d, c.paidOnLast.ok, nil // holds ask up to three times in a row
	}
	d, ok, err = c.readPaidOn(t, src)
	if err == nil {
		c.paidOnLast.t, c.paidOnLast.d, c.paidOnLast.ok = t, d, ok
	}
	return d, ok, err
}

// untilText is the text of t's payment date (the hold's attribute) and
// whether t has one. The hold's attribute is a declared date without a
// default (plans.Load refuses a hold on any other; untilText checks),
// so the typed-attribute cache, once it has parsed transaction src (t),
// holds it exactly when t has it, and its text as given (ParseAttr keeps
// a date's text): it is read there, rather than from t's attributes,
// which are far away in memory by the time holds read them.
func (c *calc) untilText(t *facts.Transaction, src int32) (string, bool) {
	if !c.untilKnown {
		c.untilKnown, c.untilDecl = true, -1
		if tc := c.typedTxns; tc != nil {
			for j := range tc.decls {
				if d := &tc.decls[j]; d.Name == c.plan.Hold.Until && d.Type == rules.AttrDate && d.Default == nil {
					c.untilDecl = j
				}
			}
		}
	}
	if tc := c.typedTxns; c.untilDecl >= 0 && src >= 0 && int(src) < len(tc.parsed) && tc.parsed[src] {
		if !tc.present[int(src)*len(tc.decls)+c.untilDecl] {
			return "", false
		}
		return tc.texts[int(src)*tc.nTexts+tc.at[c.untilDecl]], true
	}
	raw, has := t.Attrs[c.plan.Hold.Until]
	return raw, has
}

// readPaidOn is paidOnAt, read from t's payment date's text.
func (c *calc) readPaidOn(t *facts.Transaction, src int32) (d period.Date, ok bool, err error) {
	h := c.plan.Hold
	raw, has := c.untilText(t, src)
	if !has || raw == "" {
		return period.Date{}, false, nil
	}
	if d, ok := c.paidDates[raw]; ok {
		return d, true, nil // parsed before: payment dates repeat
	}
	v, err := plans.ParseAttr(rules.AttrDate, raw)
	if err == nil {
		d, err = period.ParseDate(v.Text)
	}
	if err == nil {
		if c.paidDates == nil {
			c.paidDates = map[string]period.Date{}
		}
		c.paidDates[raw] = d
	}
	if err != nil {
		decl, _ := c.plan.Attributes.Lookup(false, h.Until)
		return period.Date{}, false, fmt.Errorf("%w: plan %s: transaction %s: attribute %s: %v (declared date at %s)", ErrInput, c.plan.Name, t.ID, h.Until, err, decl.Pos)
	}
	return d, true, nil
}

// heldAt reports whether deal t, paid in p0, is held on day: it had no
// payment by the end of p0, and none by day. why says so for traces. src
// is t's index in Input.Transactions (-1: unknown).
func (c *calc) heldAt(t *facts.Transaction, src int32, p0 period.Period, day period.Date) (held bool, why string, err error) {
	pd, ok, err := c.paidOnAt(t, src)
	if err != nil {
		return false, "", err
	}
	switch {
	case !ok:
		// The same for every deal without a payment: made once per day.
		if c.noPayment == nil {
			c.noPayment = map[period.Date]string{}
		}
		why, ok := c.noPayment[day]
		if !ok {
			why = fmt.Sprintf("no payment recorded by %s", day)
			c.noPayment[day] = why
		}
		return true, why, nil
	case pd.After(p0.End) && pd.After(day):
		return true, fmt.Sprintf("paid on %s, after %s", pd, day), nil
	}
	return false, "", nil
}

// holdLines appends, per payee, the period's hold and release lines to
// res (docs/plans.md §25). A run of an earlier period made for a
// clawback or release computes none.
func (c *calc) holdLines(res *Result) error {
	h := c.plan.Hold
	if c.in.nested != nil {
		return nil
	}
	if h == nil {
		return c.noReleaseLine()
	}
	lines := map[[2]string]*Payout{}
	for i := range res.Payouts {
		lines[[2]string{res.Payouts[i].Person, res.Payouts[i].Component}] = &res.Payouts[i]
	}
	measures := map[[2]string]decimal.Decimal{}
	for _, m := range res.Measures {
		measures[[2]string{m.Person, m.Measure}] = m.Value
	}
	// traces[key] lists the deals the line of key (payee, held component
	// k, kind: held 0 or released 1) holds or releases; sums[key] adds
	// their amounts up as they come (exactly, in any order).
	nk := len(h.Components)
	key := func(p, k, kind int) int { return (p*nk+k)*2 + kind }
	traces := make([][]HoldTrace, len(c.payees)*nk*2)
	sums := make([]decimalSum, len(traces))
	for i := range sums {
		sums[i] = newDecimalSum()
	}
	// holdsAtMost bounds how many deals payee p's held component k holds,
	// read from the line the component paid in the period: one per deal
	// the line paid (a per-deal table), per credit it priced (per
	// credit), or per credit of the payee's; none when it paid no line.
	// A line's list is made that large at once (append grows it, should
	// the bound be short).
	holdsAtMost := func(p, k int) int {
		line := lines[[2]string{c.payees[p].p.ID, c.plan.Components[h.Components[k]].Name}]
		switch {
		case line == nil:
			return 0
		case line.Trace.Deals != nil:
			return len(line.Trace.Deals.Paid)
		case line.Trace.Credits != nil:
			return line.Trace.Credits.Count
		}
		return c.payees[p].credits
	}
	add := func(p, k, kind int, tr *HoldTrace, f fix, fok bool) {
		ky := key(p, k, kind)
		if traces[ky] == nil && kind == 0 {
			traces[ky] = make([]HoldTrace, 0, max(holdsAtMost(p, k), 1))
		}
		traces[ky] = append(traces[ky], *tr)
		sums[ky].addWith(tr.Amount, f, fok)
	}
	if err := c.holds(c, c.in.Period, lines, measures, func(p, k int, tr *HoldTrace, f fix, fok bool) { add(p, k, 0, tr, f, fok) }); err != nil {
		return err
	}
	if err := c.releases(func(p, k int, tr *HoldTrace) { add(p, k, 1, tr, fix{}, false) }); err != nil {
		return err
	}
	for p := range c.payees {
		for k, ci := range h.Components {
			comp := &c.plan.Components[ci]
			for kind, name := range [2]string{plans.HoldLine(comp.Name), plans.ReleaseLine(comp.Name)} {
				ky := key(p, k, kind)
				hts := traces[ky]
				if hts == nil {
					continue
				}
				if !slices.IsSortedFunc(hts, compareDeals) {
					slices.SortFunc(hts, compareDeals)
				}
				typ := TraceTypeHold
				if kind == 1 {
					typ = TraceTypeRelease
				}
				tr := Trace{Component: name, Type: typ, Holds: hts}
				tr.Computed = sums[ky].Value() // exactly as adding each to decimal.Zero
				tr.Rounded = money.RoundHalfUp(tr.Computed, c.places)
				tr.Result = tr.Rounded
				res.Payouts = append(res.Payouts, Payout{Person: c.payees[p].p.ID, Component: name, EarningCode: comp.EarningCode,
					Currency: c.plan.Currency, Amount: tr.Result, Trace: tr})
			}
		}
	}
	return nil
}

func compareDeals(a, b HoldTrace) int { return strings.Compare(a.Deal, b.Deal) }

// holds calls add for each deal nc (a calculation of period p0) paid
// through a held component and that had no payment by p0's end: its own
// part, negative (as a fix, when fok), with why. add's p indexes
// c.payees.
func (c *calc) holds(nc *calc, p0 period.Period, lines map[[2]string]*Payout, measures map[[2]string]decimal.Decimal, add func(p, k int, tr *HoldTrace, f fix, fok bool)) error {
	held := func(deal *facts.Transaction, src int32) (bool, error) {
		ok, _, err := c.heldAt(deal, src, p0, p0.End)
		return ok, err
	}
	// f is called for each held component of a deal in turn: the note is
	// worked out once per deal.
	// The reasons repeat (every deal without a payment has the same), so
	// the note of the last reason is kept.
	var last *facts.Transaction
	var lastWhy, note string
	return nc.eachDeal(c, p0, held, lines, measures, func(p, k int, deal *facts.Transaction, tr *HoldTrace, paid fix, pok bool) error {
		if deal != last {
			_, why, err := c.heldAt(deal, -1, p0, p0.End) // paidOn's last deal
			if err != nil {
				return err
			}
			if last == nil || why != lastWhy {
				lastWhy, note = why, why+": held until the payment arrives"
			}
			last = deal
		}
		// negDec(tr.Paid), from the fix at hand.
		neg, nok := fix{-paid.c, paid.e}, pok && paid.c != math.MinInt64
		if nok {
			tr.Amount = c.slab.of(neg)
		} else {
			tr.Amount = tr.Paid.Neg()
		}
		tr.Note = note
		add(p, k, tr, neg, nok)
		return nil
	})
}

// heldComp is a held component as dealPaidLean reads it, worked out once
// per calculation: its index, its measure (a rate table's) and its
// dealVals slot.
type heldComp struct {
	comp *plans.Component
	ci   int
	m    *plans.Measure
	slot int
}

// eachDeal calls f with what each deal paid in nc's period (p0) earned
// through each held component, per payee the deal reached (p indexes
// c.payees), with the rounded Paid as a fix when pok; only deals for
// which only says true. Cancellations are no deals. Deals come in
// transaction order, each deal's payees in the order the deal credited
// them, each payee's components in the hold's order.
func (nc *calc) eachDeal(c *calc, p0 period.Period, only func(t *facts.Transaction, src int32) (bool, error), lines map[[2]string]*Payout, measures map[[2]string]decimal.Decimal, f func(p, k int, deal *facts.Transaction, tr *HoldTrace, paid fix, pok bool) error) error {
	// A transaction's credits are made together, so they are next to
	// each other in periodCredits: runs[i] is where the i-th deal's
	// credits start and end. Every deal is checked first, so that only's
	// errors come before the others, deal by deal.
	type run struct{ from, to int }
	pcs := nc.periodCredits
	runs := make([]run, 0, len(pcs)) // at most one per credit
	for a := 0; a < len(pcs); {
		b := a + 1
		for b < len(pcs) && pcs[b].txn == pcs[a].txn {
			b++
		}
		tf := &nc.txns[pcs[a].txn]
		t := tf.t
		from := a
		a = b
		if nc.isCancellationAt(t, tf.src) {
			continue
		}
		if ok, err := only(t, tf.src); err != nil {
			return err
		} else if !ok {
			continue
		}
		runs = append(runs, run{from, b})
	}
	comps := nc.plan.Hold.Components
	hcs := make([]heldComp, len(comps))
	for k, ci := range comps {
		comp := &nc.plan.Components[ci]
		hc := heldComp{comp: comp, ci: ci}
		if comp.Type == plans.ComponentRateTable {
			hc.m, _ = nc.plan.MeasureByName(comp.Measure)
		}
		hc.slot = nc.dealValSlot(comp, hc.m)
		hcs[k] = hc
	}
	// toC maps nc's payees to c's (-1: not c's); lineOf[payee*len(comps)+k]
	// is a payee's line of held component k, and cursors[payee*len(comps)+k]
	// where dealPaidLean looks for the next deal in its kept deals.
	toC := make([]int, len(nc.payees))
	lineOf := make([]*Payout, len(nc.payees)*len(comps))
	cursors := make([]int, len(nc.payees)*len(comps))
	for i := range nc.payees {
		id := nc.payees[i].p.ID
		p, ok := c.index[id]
		if !ok {
			p = -1
		}
		toC[i] = p
		for k, ci := range comps {
			lineOf[i*len(comps)+k] = lines[[2]string{id, nc.plan.Components[ci].Name}]
		}
	}
	var payees []int32
	var credits []*credit
	var tr HoldTrace // f's, made once: f copies what it keeps
	for _, r := range runs {
		rc := pcs[r.from:r.to]
		deal := nc.txns[rc[0].txn].t
		payees = payees[:0]
		for i := range rc {
			if !slices.Contains(payees, rc[i].payee) {
				payees = append(payees, rc[i].payee)
			}
		}
		dealDate := nc.dateString(deal.Date)
		paidOn := ""
		if pd, ok, err := c.paidOnAt(deal, nc.txns[rc[0].txn].src); err != nil {
			return err
		} else if ok {
			paidOn = pd.String()
		}
		for _, np := range payees {
			p := toC[np]
			if p < 0 {
				continue
			}
			pe := &nc.payees[np]
			credits = credits[:0]
			for i := range rc {
				if rc[i].payee == np {
					credits = append(credits, &rc[i])
				}
			}
			for k := range hcs {
				at := int(np)*len(comps) + k
				credited, paid, pf, pok, some, err := nc.dealPaidLean(pe, &hcs[k], credits, lineOf[at], measures, &cursors[at], c.places)
				if err != nil {
					return err
				}
				if !some {
					continue
				}
				tr = HoldTrace{Deal: deal.ID, DealDate: dealDate, Period: p0.Label, PaidOn: paidOn, Credited: credited, Paid: paid}
				if err := f(p, k, deal, &tr, pf, pok); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dealPaidLean is what dealPaid works out of a deal's credits for a
// hold: Credited, and Paid rounded to places (as roundDec rounds it),
// with its fix when pok; some is false when the unrounded Paid is 0 (the
// deal earned nothing through the component). cursor is where the deal's
// entries in a per-deal line's kept deals are looked for: deals come in
// transaction order, so it only moves forward.
func (nc *calc) dealPaidLean(pe *payee, hc *heldComp, credits []*credit, line *Payout, measures map[[2]string]decimal.Decimal, cursor *int, places int32) (credited, paid decimal.Decimal, pf fix, pok, some bool, err error) {
	comp := hc.comp
	contribution, creditedSum := newDecimalSum(), newDecimalSum()
	if err := nc.dealSums(pe, comp, hc.m, hc.slot, credits, &contribution, &creditedSum); err != nil {
		return credited, paid, pf, false, false, err
	}
	credited = creditedSum.valueIn(nc.slab) // 0 + credited is credited, exponent and all
	if line == nil {
		return credited, paid, pf, false, false, nil
	}
	lt := &line.Trace
	// rounded rounds an unrounded Paid.
	rounded := func(v decimal.Decimal) (decimal.Decimal, decimal.Decimal, fix, bool, bool, error) {
		if v.IsZero() {
			return credited, v, fix{}, false, false, nil
		}
		r := roundDec(v, places)
		f, ok := toFix(r)
		return credited, r, f, ok, true, nil
	}
	switch {
	case lt.Gate != nil && !lt.Gate.Passed:
		return credited, paid, pf, false, false, nil
	case comp.Type == plans.ComponentPerCredit:
		if lt.Capped && lt.Cap != nil && !lt.Computed.IsZero() {
			_, paid, pf, pok, some, err := rounded(contribution.Value().Mul(*lt.Cap).DivRound(lt.Computed, rules.DivisionPlaces))
			return credited, paid, pf, pok, some, err
		}
		paid, pf, pok, some = roundSum(&contribution, places, nc.slab)
		return credited, paid, pf, pok, some, nil
	case comp.ByDeal() && lt.Deals != nil:
		// As dealPaid reads the deal's entries.
		paidSum := newDecimalSum()
		var pds []paidDeal
		kept := false
		if len(credits) > 0 {
			pds, kept = nc.paidDealsOf(int(credits[0].payee), hc.ci, lt.Deals)
		}
		var idx map[string]int
		if !kept {
			idx = nc.dealIndex(lt)
		}
		var doneBuf [4]int32
		done := doneBuf[:0] // the deals read (transaction indexes), in the order first met
		for _, cr := range credits {
			if slices.Contains(done, cr.txn) {
				continue
			}
			done = append(done, cr.txn)
			if kept {
				var j int
				if len(done) == 1 && (*cursor == 0 || pds[*cursor-1].txn < cr.txn) {
					j = *cursor
					for j < len(pds) && pds[j].txn < cr.txn {
						j++
					}
					*cursor = j
				} else {
					j, _ = slices.BinarySearchFunc(pds, cr.txn, func(d paidDeal, t int32) int { return int(d.txn - t) })
				}
				for ; j < len(pds) && pds[j].txn == cr.txn; j++ {
					paidSum.addWith(pds[j].roundedDec, pds[j].rounded, pds[j].ok)
				}
				continue
			}
			id := nc.txns[cr.txn].id
			i, ok := idx[id]
			if !ok {
				continue
			}
			for ps := lt.Deals.Paid[i:]; len(ps) > 0 && ps[0].Txn == id; ps = ps[1:] {
				paidSum.Add(ps[0].Rounded)
			}
		}
		if lt.Capped && lt.Cap != nil && !lt.Computed.IsZero() {
			return rounded(paidSum.Value().Mul(*lt.Cap).DivRound(lt.Computed, rules.DivisionPlaces))
		}
		paid, pf, pok, some = roundSum(&paidSum, places, nc.slab)
		return credited, paid, pf, pok, some, nil
	default:
		basis := measures[[2]string{pe.p.ID, comp.Measure}]
		if basis.Sign() <= 0 {
			return credited, paid, pf, false, false, nil
		}
		return rounded(contribution.Value().Mul(line.Amount).DivRound(basis, rules.DivisionPlaces))
	}
}

// roundSum is roundDec(s.Value(), places), with its fix when ok; some is
// false when the sum is 0. It makes the unrounded sum a decimal only when
// that is the rounded one.
func roundSum(s *decimalSum, places int32, slab *decSlab) (d decimal.Decimal, f fix, ok, some bool) {
	sf, fits := s.fix()
	if !fits || sf.c <= -1e18 || sf.c >= 1e18 {
		// As roundDec: toFix would not take the sum.
		v := s.Value()
		if v.IsZero() {
			return v, fix{}, false, false
		}
		d = roundDec(v, places)
		f, ok = toFix(d)
		return d, f, ok, true
	}
	if sf.c == 0 {
		return s.Value(), fix{}, false, false
	}
	if sf.e == -places {
		return s.valueIn(slab), sf, true, true // Value's exponent is the sum's
	}
	if r, rok := sf.round(places); rok {
		return slab.of(r), r, true, true
	}
	d = s.Value().Round(places)
	f, ok = toFix(d)
	return d, f, ok, true
}

// releases calls add for each deal paid for in the period that an
// earlier period held: what that period held, recomputed as clawbacks
// recompute it, less the share cancelled while it was held.
func (c *calc) releases(add func(p, k int, tr *HoldTrace)) error {
	h := c.plan.Hold
	byPeriod := map[string][]*facts.Transaction{}
	var periods []period.Period
	for i := range c.in.Transactions {
		t := &c.in.Transactions[i]
		if c.isCancellationAt(t, int32(i)) {
			continue
		}
		pd, ok, err := c.paidOnAt(t, int32(i))
		if err != nil {
			return err
		}
		if !ok || !c.in.Period.Contains(pd) {
			continue
		}
		_, p0, paid := c.paidPeriod(t.Date)
		if !pd.After(p0.End) || !paid {
			continue // never held, or not paid by the plan
		}
		if _, ok := byPeriod[p0.Label]; !ok {
			periods = append(periods, p0)
		}
		byPeriod[p0.Label] = append(byPeriod[p0.Label], t)
	}
	slices.SortFunc(periods, func(a, b period.Period) int { return a.Start.Time().Compare(b.Start.Time()) })
	for _, p0 := range periods {
		deals := byPeriod[p0.Label]
		nc, lines, measures, err := c.recompute(p0, deals)
		if err != nil {
			return fmt.Errorf("release of %s (paid for in %s): recomputing %s, the period that held it: %w", deals[0].ID, c.in.Period.Label, p0.Label, err)
		}
		only := map[*facts.Transaction]bool{}
		for _, d := range deals {
			only[d] = true
		}
		released := func(t *facts.Transaction, _ int32) (bool, error) { return only[t], nil }
		// eachDeal's k indexes the held components of the version that
		// held the deals; the lines are this version's, by name.
		kOf := make([]int, len(nc.plan.Hold.Components))
		for k, ci := range nc.plan.Hold.Components {
			name := nc.plan.Components[ci].Name
			kOf[k] = -1
			for kk, cci := range h.Components {
				if c.plan.Components[cci].Name == name {
					kOf[k] = kk
				}
			}
		}
		err = nc.eachDeal(c, p0, released, lines, measures, func(p, k int, deal *facts.Transaction, tr *HoldTrace, _ fix, _ bool) error {
			if kOf[k] < 0 {
				return fmt.Errorf("%w: release of %s: version %s of plan %s held its %s in %s, and version %s does not hold a component of that name, so it has no line to release it on: hold %s in version %s too",
					ErrInput, deal.ID, nc.plan.Version, c.plan.Name, nc.plan.Components[nc.plan.Hold.Components[k]].Name, p0.Label, c.plan.Version, nc.plan.Components[nc.plan.Hold.Components[k]].Name, c.plan.Version)
			}
			k = kOf[k]
			pd, _, _ := c.paidOn(deal)
			days := int(pd.Time().Sub(deal.Date.Time()) / (24 * time.Hour))
			// The hold's terms are those of the version that held it.
			maxDays := h.MaxDays
			if nc.plan.Hold != nil {
				maxDays = nc.plan.Hold.MaxDays
			}
			if days > maxDays {
				tr.Amount = decimal.Zero
				tr.Note = fmt.Sprintf("held in %s; paid on %s, %d days after the deal, later than the plan's %d days: the hold is forfeited, nothing released", p0.Label, pd, days, maxDays)
				add(p, k, tr)
				return nil
			}
			share, note := c.returnedWhileHeld(deal, pd)
			tr.Returned = share
			tr.Amount = money.RoundHalfUp(tr.Paid.Mul(one.Sub(share)), c.places)
			tr.Note = fmt.Sprintf("held in %s; paid on %s: released", p0.Label, pd)
			if note != "" {
				tr.Note += "; " + note
			}
			add(p, k, tr)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// noReleaseLine refuses a period in which a deal held under an earlier
// version of the plan is paid for, when this version holds nothing: it
// has no release line, and the money would never be released.
func (c *calc) noReleaseLine() error {
	if len(c.in.Versions) == 0 {
		return nil
	}
	for i := range c.in.Transactions {
		t := &c.in.Transactions[i]
		if t.Attrs[plans.CancelsAttr] != "" {
			continue
		}
		plan0, p0, paid := c.paidPeriod(t.Date)
		if !paid || plan0 == c.plan || plan0.Hold == nil {
			continue
		}
		pd, err := period.ParseDate(t.Attrs[plan0.Hold.Until])
		if err != nil || !c.in.Period.Contains(pd) || !pd.After(p0.End) {
			continue
		}
		return fmt.Errorf("%w: %s, paid for on %s, was held in %s under version %s of plan %s, and version %s holds nothing, so it has no line to release it on: keep hold: in version %s until the deals held under %s are paid for",
			ErrInput, t.ID, pd, p0.Label, plan0.Version, c.plan.Name, c.plan.Version, c.plan.Version, plan0.Version)
	}
	return nil
}

// returnedWhileHeld is the share of deal cancelled (within the clawback
// window) before its payment date pd, when nothing was clawed back
// because the deal was held; note lists the cancellations.
func (c *calc) returnedWhileHeld(deal *facts.Transaction, pd period.Date) (decimal.Decimal, string) {
	cb := c.plan.Clawback
	if cb == nil || deal.Amount.Sign() <= 0 {
		return decimal.Zero, ""
	}
	if c.cancellationsOf == nil {
		// Indexed once per calculation: a release is looked up per deal,
		// payee and component.
		c.cancellationsOf = map[string][]*facts.Transaction{}
		for i := range c.in.Transactions {
			t := &c.in.Transactions[i]
			if id := t.Attrs[plans.CancelsAttr]; id != "" {
				c.cancellationsOf[id] = append(c.cancellationsOf[id], t)
			}
		}
	}
	returned := decimal.Zero
	var ids []string
	for _, t := range c.cancellationsOf[deal.ID] {
		if !t.Date.Before(pd) || t.Date.Before(deal.Date) {
			continue
		}
		if int(t.Date.Time().Sub(deal.Date.Time())/(24*time.Hour)) > cb.WindowDays {
			continue
		}
		returned = returned.Sub(t.Amount)
		ids = append(ids, t.ID)
	}
	if len(ids) == 0 {
		return decimal.Zero, ""
	}
	slices.Sort(ids)
	share := returned.DivRound(deal.Amount, rules.DivisionPlaces)
	if share.GreaterThan(one) {
		share = one
	}
	return share, fmt.Sprintf("%s cancelled %s of the deal while it was held: nothing was clawed back, and %s of it is released", strings.Join(ids, ", "), share, one.Sub(share))
}
