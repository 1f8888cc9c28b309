package engine

import (
	"fmt"
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
	h := c.plan.Hold
	raw, has := t.Attrs[h.Until]
	if !has || raw == "" {
		return period.Date{}, false, nil
	}
	v, err := plans.ParseAttr(rules.AttrDate, raw)
	if err == nil {
		d, err = period.ParseDate(v.Text)
	}
	if err != nil {
		decl, _ := c.plan.Attributes.Lookup(false, h.Until)
		return period.Date{}, false, fmt.Errorf("%w: plan %s: transaction %s: attribute %s: %v (declared date at %s)", ErrInput, c.plan.Name, t.ID, h.Until, err, decl.Pos)
	}
	return d, true, nil
}

// heldAt reports whether deal t, paid in p0, is held on day: it had no
// payment by the end of p0, and none by day. why says so for traces.
func (c *calc) heldAt(t *facts.Transaction, p0 period.Period, day period.Date) (held bool, why string, err error) {
	pd, ok, err := c.paidOn(t)
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
	if h == nil || c.in.nested != nil {
		return nil
	}
	lines := map[[2]string]*Payout{}
	for i := range res.Payouts {
		lines[[2]string{res.Payouts[i].Person, res.Payouts[i].Component}] = &res.Payouts[i]
	}
	measures := map[[2]string]decimal.Decimal{}
	for _, m := range res.Measures {
		measures[[2]string{m.Person, m.Measure}] = m.Value
	}
	// traces[payee][k] lists the deals hold component k holds (0) or
	// releases (1).
	// sums[payee][k] adds their amounts up as they come (exactly, in
	// any order).
	traces := make([][][2][]HoldTrace, len(c.payees))
	sums := make([][][2]decimalSum, len(c.payees))
	add := func(p, k, kind int, tr *HoldTrace) {
		if traces[p] == nil {
			traces[p] = make([][2][]HoldTrace, len(h.Components))
			sums[p] = make([][2]decimalSum, len(h.Components))
			for i := range sums[p] {
				sums[p][i] = [2]decimalSum{newDecimalSum(), newDecimalSum()}
			}
		}
		traces[p][k][kind] = append(traces[p][k][kind], *tr)
		sums[p][k][kind].Add(tr.Amount)
	}
	if err := c.holds(c, c.in.Period, lines, measures, func(p, k int, tr *HoldTrace) { add(p, k, 0, tr) }); err != nil {
		return err
	}
	if err := c.releases(func(p, k int, tr *HoldTrace) { add(p, k, 1, tr) }); err != nil {
		return err
	}
	for p := range traces {
		if traces[p] == nil {
			continue
		}
		for k, ci := range h.Components {
			comp := &c.plan.Components[ci]
			for kind, name := range [2]string{plans.HoldLine(comp.Name), plans.ReleaseLine(comp.Name)} {
				hts := traces[p][k][kind]
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
				tr.Computed = sums[p][k][kind].Value() // exactly as adding each to decimal.Zero
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
// part, negative, with why. add's p indexes c.payees.
func (c *calc) holds(nc *calc, p0 period.Period, lines map[[2]string]*Payout, measures map[[2]string]decimal.Decimal, add func(p, k int, tr *HoldTrace)) error {
	held := func(deal *facts.Transaction) (bool, error) {
		ok, _, err := c.heldAt(deal, p0, p0.End)
		return ok, err
	}
	// f is called for each held component of a deal in turn: the note is
	// worked out once per deal.
	var last *facts.Transaction
	var note string
	return nc.eachDeal(c, p0, held, lines, measures, func(p, k int, deal *facts.Transaction, tr *HoldTrace) error {
		if deal != last {
			_, why, err := c.heldAt(deal, p0, p0.End)
			if err != nil {
				return err
			}
			last, note = deal, why+": held until the payment arrives"
		}
		tr.Amount = negDec(tr.Paid)
		tr.Note = note
		add(p, k, tr)
		return nil
	})
}

// eachDeal calls f with what each deal paid in nc's period (p0) earned
// through each held component, per payee the deal reached (p indexes
// c.payees); only deals for which only says true. Cancellations are no
// deals. Deals come in transaction order, each deal's payees in the order
// the deal credited them, each payee's components in the hold's order.
func (nc *calc) eachDeal(c *calc, p0 period.Period, only func(*facts.Transaction) (bool, error), lines map[[2]string]*Payout, measures map[[2]string]decimal.Decimal, f func(p, k int, deal *facts.Transaction, tr *HoldTrace) error) error {
	// A transaction's credits are made together, so they are next to
	// each other in periodCredits: runs[i] is where the i-th deal's
	// credits start and end. Every deal is checked first, so that only's
	// errors come before the others, deal by deal.
	type run struct{ from, to int }
	var runs []run
	pcs := nc.periodCredits
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
		if ok, err := only(t); err != nil {
			return err
		} else if !ok {
			continue
		}
		runs = append(runs, run{from, b})
	}
	comps := nc.plan.Hold.Components
	// toC maps nc's payees to c's (-1: not c's); lineOf[payee*len(comps)+k]
	// is a payee's line of held component k.
	toC := make([]int, len(nc.payees))
	lineOf := make([]*Payout, len(nc.payees)*len(comps))
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
		if pd, ok, err := c.paidOn(deal); err != nil {
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
			for k, ci := range comps {
				comp := &nc.plan.Components[ci]
				ct := ClawbackTrace{Period: p0.Label, Credited: decimal.Zero, Paid: decimal.Zero}
				if err := nc.dealPaid(pe, comp, credits, lineOf[int(np)*len(comps)+k], measures, &ct, true); err != nil {
					return err
				}
				if ct.Paid.IsZero() {
					continue
				}
				tr := HoldTrace{Deal: deal.ID, DealDate: dealDate, Period: p0.Label, PaidOn: paidOn, Credited: ct.Credited,
					Paid: roundDec(ct.Paid, c.places)} // money.RoundHalfUp
				if err := f(p, k, deal, &tr); err != nil {
					return err
				}
			}
		}
	}
	return nil
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
		pd, ok, err := c.paidOn(t)
		if err != nil {
			return err
		}
		if !ok || !c.in.Period.Contains(pd) {
			continue
		}
		p0 := PeriodOf(c.plan, t.Date)
		if !pd.After(p0.End) || !c.plan.EffectiveIn(p0) {
			continue // never held, or not paid by this plan version
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
		released := func(t *facts.Transaction) (bool, error) { return only[t], nil }
		err = nc.eachDeal(c, p0, released, lines, measures, func(p, k int, deal *facts.Transaction, tr *HoldTrace) error {
			pd, _, _ := c.paidOn(deal)
			days := int(pd.Time().Sub(deal.Date.Time()) / (24 * time.Hour))
			if days > h.MaxDays {
				tr.Amount = decimal.Zero
				tr.Note = fmt.Sprintf("held in %s; paid on %s, %d days after the deal, later than the plan's %d days: the hold is forfeited, nothing released", p0.Label, pd, days, h.MaxDays)
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
