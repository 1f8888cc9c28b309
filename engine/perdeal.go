package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// DealsTrace is how a per-deal rate table paid: the running total of the
// measure over its window, deal by deal in date order, and each deal of
// the period with the tier parts it falls in.
type DealsTrace struct {
	// Window is the measure's window, over which the total runs; empty
	// for per: deal_amount, which tiers each deal on its own amount.
	Window string `json:"window"`
	// Earlier counts the deals dated in the window before the period:
	// paid in their own periods, they count toward the running total,
	// which reaches CarriedIn at the period's first deal.
	Earlier   int             `json:"earlier"`
	CarriedIn decimal.Decimal `json:"carried_in"`
	// Paid are the period's deals, in the order they ran.
	Paid []DealTrace `json:"paid"`
}

// DealTrace is one deal (one credit) of a per-deal rate table: the running
// total went From → To with it, and each tier it crossed paid its part.
// Amount is Σ part amounts, exactly; Rounded is Amount rounded to the
// currency (half away from zero), and the line is the sum of Rounded.
type DealTrace struct {
	Txn     string          `json:"txn"`
	Date    string          `json:"date"`
	Rule    string          `json:"rule"`
	Value   decimal.Decimal `json:"value"`
	From    decimal.Decimal `json:"from"`
	To      decimal.Decimal `json:"to"`
	Parts   []TierTrace     `json:"parts"`
	Amount  decimal.Decimal `json:"amount"`
	Rounded decimal.Decimal `json:"rounded"`
}

// OnceTrace records that a once component was already paid earlier in
// the fiscal year: it computed Computed (rounded) this period, and pays 0.
type OnceTrace struct {
	EarlierPaid decimal.Decimal `json:"earlier_paid"`
}

// dealCredit is one credit a per-deal rate table tiers: what it added to
// the measure, with its date, transaction and credit rule for ordering.
type dealCredit struct {
	// day is the deal's date as days since the start of the fiscal year
	// to date, which sorts faster than the date.
	day  int32
	txn  int32
	rule int32
	// c and e are value as a fix (toFix) when fok.
	e     int32
	c     int64
	value decimal.Decimal
	fok   bool
}

// dayRange is the days from lo to hi, both included, counted as
// dealCredit.day counts them.
type dayRange struct{ lo, hi int32 }

func (r dayRange) contains(day int32) bool { return day >= r.lo && day <= r.hi }

// daysOf is r as days of the fiscal year to date, for days of it: a
// start before the year's is its first day, an end after its end one day
// past its last.
func (c *calc) daysOf(r period.Range) dayRange {
	dayOf := func(d period.Date) int32 {
		return int32(d.Time().Sub(c.yearSpan.Start.Time()) / (24 * time.Hour))
	}
	out := dayRange{0, int32(len(c.days))}
	if r.Start.After(c.yearSpan.Start) {
		out.lo = dayOf(r.Start)
		if r.Start.After(c.yearSpan.End) {
			out.lo = int32(len(c.days)) + 1
		}
	}
	if r.End.Before(c.yearSpan.End) {
		out.hi = dayOf(r.End)
		if r.End.Before(c.yearSpan.Start) {
			out.hi = -1
		}
	}
	return out
}

// dayString is c.dateString of the day day of the fiscal year to date.
func (c *calc) dayString(day int32) string {
	if day >= 0 && int(day) < len(c.days) && c.days[day] != "" {
		return c.days[day]
	}
	return c.dateString(c.yearSpan.Start.AddDays(int(day)))
}

// perDeal holds the credits of the measures per-deal rate tables key on,
// per payee: deals[payee*len(measures)+measure].
type perDeal struct {
	measures []bool
	n        int
	deals    []dealList
}

// dealList is the credits of one payee's measure in the order they were
// made, in chunks: a chunk, once full, is never copied to grow the list
// (sortDealsByDay gathers them, in date order, when a table reads them).
type dealList struct {
	chunks [][]dealCredit
	n      int
}

// add appends d, with done of total transactions credited: a new chunk
// is sized for the credits the rest of the pass is likely to add at the
// pace so far (growFor's estimate), from 32 to 4096 credits.
func (l *dealList) add(d dealCredit, done, total int) {
	if k := len(l.chunks); k == 0 || len(l.chunks[k-1]) == cap(l.chunks[k-1]) {
		size := 32
		if done > 0 && done < total {
			size = int(int64(l.n) * int64(total-done) / int64(done))
		}
		l.chunks = append(l.chunks, make([]dealCredit, 0, min(max(size+size/16, 32), 4096)))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, d)
	l.n++
}

// preparePerDeal sets up the recording of per-deal measures, if any
// component tiers per deal, and narrows each per-credit component's span
// to its window.
func (c *calc) preparePerDeal() {
	for k, ci := range c.perCredit {
		if w := c.plan.Components[ci].Window; w != nil {
			c.perCreditSpans[k] = intersect(c.perCreditSpans[k], w.Range)
		}
	}
	var measures []bool
	for i := range c.plan.Components {
		comp := &c.plan.Components[i]
		if !comp.ByDeal() {
			continue
		}
		if measures == nil {
			measures = make([]bool, len(c.plan.Measures))
		}
		for j := range c.plan.Measures {
			if c.plan.Measures[j].Name == comp.Measure {
				measures[j] = true
			}
		}
	}
	if measures == nil {
		return
	}
	c.deals = &perDeal{measures: measures, n: len(c.plan.Measures), deals: make([]dealList, len(c.payees)*len(c.plan.Measures))}
}

// intersect is the days in both a and b; empty (Start after End) when
// they do not overlap, which Contains never holds.
func intersect(a, b period.Range) period.Range {
	if b.Start.After(a.Start) {
		a.Start = b.Start
	}
	if b.End.Before(a.End) {
		a.End = b.End
	}
	return a
}

// recordDeal keeps credit cr, worth v (f as a fix when fok) to measure i, for the per-deal
// tables on that measure.
func (c *calc) recordDeal(i int, cr *credit, date period.Date, v decimal.Decimal, f fix, fok bool) {
	if c.deals == nil || !c.deals.measures[i] {
		return
	}
	k := int(cr.payee)*c.deals.n + i
	var day int32
	if cr.txn == c.dayTxn {
		day = c.dayOfTxn // worked out once per transaction
	} else {
		day = int32(date.Time().Sub(c.yearSpan.Start.Time()) / (24 * time.Hour))
		c.dayTxn, c.dayOfTxn = cr.txn, day
	}
	c.deals.deals[k].add(dealCredit{day: day, txn: cr.txn, rule: cr.rule, value: v, c: f.c, e: f.e, fok: fok}, int(cr.txn)+1, len(c.txns))
}

// perDealTable pays a per-deal rate table: the measure's credits in date
// order (then transaction ID, then credit rule name), each paid in tiers
// on the running total from where the deals before it left it. Deals
// dated before the period only move the running total; deals outside the
// component's window are skipped altogether. With per: deal_amount each
// deal starts from 0 and deals before the period play no part.
func (c *calc) perDealTable(p *facts.Person, comp *plans.Component, env *rules.ComponentEnv, tr *Trace) error {
	mi := -1
	for j := range c.plan.Measures {
		if c.plan.Measures[j].Name == comp.Measure {
			mi = j
		}
	}
	basis := env.Measure[comp.Measure]
	tr.Inputs = append(tr.Inputs, TraceInput{Name: "measure." + comp.Measure, Value: basis})
	scale := one
	if comp.Key == plans.KeyAttainment {
		target, ok := env.Target[comp.Measure]
		if !ok || target.Sign() <= 0 {
			return fmt.Errorf("%w: %s: person %s has no positive target for measure %s in %s, which component %s keys on", ErrInput, comp.Pos, p.ID, comp.Measure, c.in.Period.Label, comp.Name)
		}
		scale = target
		tr.Inputs = append(tr.Inputs,
			TraceInput{Name: "target." + comp.Measure, Value: target},
			TraceInput{Name: "attainment." + comp.Measure, Value: env.Attainment[comp.Measure]})
	}
	// The credits were made transaction by transaction in ID order, each
	// transaction's rule by rule in name order: a stable sort by date
	// leaves them in (date, transaction ID, rule name) order.
	pi := c.index[p.ID]
	deals := c.sortDealsByDay(&c.deals.deals[pi*c.deals.n+mi])
	alone := comp.Per == plans.PerDealAmount
	// The component's window and the period, in days.
	inPeriod := c.daysOf(c.in.Period.Range)
	covers := dayRange{-1 << 31, 1<<31 - 1}
	if comp.Window != nil {
		covers = c.daysOf(comp.Window.Range)
	}
	paid := 0 // how many deals the period pays and traces, to size the trace
	for _, d := range deals {
		if covers.contains(d.day) && inPeriod.contains(d.day) && (c.traced == nil || c.traced[d.txn]) {
			paid++
		}
	}
	dt := &DealsTrace{Window: c.measureSpans[mi].String(), CarriedIn: decimal.Zero, Paid: make([]DealTrace, 0, paid)}
	var paidIdx []paidDeal // the paid deals, for holds and clawbacks (keepPaidDeals)
	if c.dealVals != nil {
		paidIdx = make([]paidDeal, 0, paid)
	}
	if alone {
		dt.Window = ""
	}
	bounds := scaledTiers(comp.Tiers, scale)
	fbounds, fast := fixTiers(bounds)
	// The running total is summed exactly in a decimalSum, which gives the
	// decimals Add would, without allocating per deal: it is made a
	// decimal only where the trace shows it. toDec is the decimal of run
	// when the last deal was paid (the next deal's From), else unset.
	run, carried := newDecimalSum(), newDecimalSum()
	var toDec decimal.Decimal
	haveTo := false
	total := newDecimalSum()
	parts := make([]TierTrace, 0, paid+paid/2) // the deals' tier parts, back to back
	for _, d := range deals {
		if !covers.contains(d.day) {
			continue
		}
		if alone {
			run = newDecimalSum() // each deal on its own amount
			haveTo = false
		}
		from := run
		prevTo, hadTo := toDec, haveTo
		run.addWith(d.value, fix{d.c, d.e}, d.fok)
		haveTo = false
		if !inPeriod.contains(d.day) {
			if alone {
				continue
			}
			dt.Earlier++
			carried = run
			continue
		}
		if fast && c.traced != nil && !c.traced[d.txn] {
			// A deal the recomputation is not read for: only what it
			// paid counts, toward the line's total.
			f, ok1 := from.fix()
			t, ok2 := run.fix()
			if ok1 && ok2 {
				if _, _, _, rf, _, ok := tierPartsFix(bounds, fbounds, f, t, nil, c.places, false, c.slab); ok {
					if total.n == 0 || !total.addFix(rf) {
						total.addWith(c.slab.of(rf), rf, true)
					}
					continue
				}
			}
		}
		fromDec := prevTo
		if !hadTo {
			fromDec = from.valueIn(c.slab)
		}
		toDec, haveTo = run.valueIn(c.slab), true
		var dealParts []TierTrace
		var amount, rounded decimal.Decimal
		var rf fix // rounded as a fix, when rok
		done := false
		if fast {
			f, ok1 := from.fix()
			t, ok2 := run.fix()
			if ok1 && ok2 {
				dealParts, amount, rounded, rf, parts, done = tierPartsFix(bounds, fbounds, f, t, parts, c.places, true, c.slab)
			}
		}
		rok := done
		if !done {
			dealParts, amount, parts = tierParts(bounds, fromDec, toDec, parts)
			rounded = money.RoundHalfUp(amount, c.places)
			rf, rok = toFix(rounded)
		}
		total.addWith(rounded, rf, rok)
		if c.dealVals != nil {
			paidIdx = append(paidIdx, paidDeal{txn: d.txn, pos: int32(len(dt.Paid)), roundedDec: rounded, rounded: rf, ok: rok})
		}
		dt.Paid = append(dt.Paid, DealTrace{
			Txn: c.txns[d.txn].id, Date: c.dayString(d.day), Rule: c.plan.Credits[d.rule].Name,
			Value: d.value, From: fromDec, To: toDec, Parts: dealParts, Amount: amount, Rounded: rounded,
		})
	}
	if dt.Earlier > 0 {
		dt.CarriedIn = carried.Value()
	}
	tr.Deals = dt
	c.keepPaidDeals(pi, comp, dt, paidIdx)
	tr.Computed = total.Value()
	return nil
}

// paidDeal is one deal a per-deal table paid: its transaction, its
// position in the line's DealsTrace.Paid and its rounded amount
// (DealTrace.Rounded, at hand without a trip to the trace), as a fix
// when ok.
type paidDeal struct {
	txn, pos   int32
	roundedDec decimal.Decimal
	rounded    fix
	ok         bool
}

// paidDeals are a per-deal line's paidDeal, sorted by transaction (each
// transaction's in trace order), with the trace they index.
type paidDeals struct {
	dt    *DealsTrace
	deals []paidDeal
}

// keepPaidDeals keeps what payee pi's per-deal component comp paid deal
// by deal, when the plan holds or claws back (dealPaid reads it).
func (c *calc) keepPaidDeals(pi int, comp *plans.Component, dt *DealsTrace, pds []paidDeal) {
	if c.dealVals == nil {
		return
	}
	ci := -1
	for i := range c.plan.Components {
		if &c.plan.Components[i] == comp {
			ci = i
		}
	}
	if ci < 0 {
		return
	}
	if c.paidDeals == nil {
		c.paidDeals = make([]paidDeals, len(c.payees)*len(c.plan.Components))
	}
	c.sortPaidDeals(pds)
	c.paidDeals[pi*len(c.plan.Components)+ci] = paidDeals{dt: dt, deals: pds}
}

// sortPaidDeals sorts pds by transaction, each transaction's in trace
// order: (txn, pos) is unique, so an unstable sort on it is the stable
// sort by txn. When the deals are in trace order (pos 0, 1, 2…, as
// perDealTable makes them), it sorts their (txn, pos) packed in a
// uint64, which is faster than moving the deals around as it compares,
// then puts the deals in that order.
func (c *calc) sortPaidDeals(pds []paidDeal) {
	keys := c.paidKeys[:0]
	inOrder := true
	for i := range pds {
		if pds[i].pos != int32(i) || pds[i].txn < 0 {
			inOrder = false
			break
		}
		keys = append(keys, uint64(pds[i].txn)<<32|uint64(pds[i].pos))
	}
	c.paidKeys = keys
	if !inOrder {
		slices.SortFunc(pds, func(a, b paidDeal) int {
			if a.txn != b.txn {
				return int(a.txn - b.txn)
			}
			return int(a.pos - b.pos)
		})
		return
	}
	slices.Sort(keys)
	c.paidScratch = append(c.paidScratch[:0], pds...)
	for i, k := range keys {
		pds[i] = c.paidScratch[uint32(k)]
	}
}

// paidDealsOf returns what payee pi's per-deal component ci paid deal by
// deal, if that is the table dt.
func (c *calc) paidDealsOf(pi, ci int, dt *DealsTrace) ([]paidDeal, bool) {
	if c.paidDeals == nil || ci < 0 {
		return nil, false
	}
	pd := c.paidDeals[pi*len(c.plan.Components)+ci]
	return pd.deals, pd.dt == dt && dt != nil
}

// fixTier is a scaled tier's bounds and rate as fixes.
type fixTier struct {
	from, to, rate fix
	hasTo          bool
}

// fixTiers converts the bounds and rates of tiers, if they all fit.
func fixTiers(tiers []TierTrace) ([]fixTier, bool) {
	out := make([]fixTier, len(tiers))
	for i, t := range tiers {
		var ok1, ok2, ok3 bool
		out[i].from, ok1 = toFix(t.From)
		out[i].rate, ok2 = toFix(t.Rate)
		ok3 = true
		if t.To != nil {
			out[i].to, ok3 = toFix(*t.To)
			out[i].hasTo = true
		}
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
	}
	return out, true
}

// tierPartsFix is tierParts in fixes, with the amount rounded to places:
// the same parts and decimals, without allocating but for the trace's
// own; rf is the rounded amount as a fix. done is false (buf as it was)
// when a number would not fit; the caller then uses tierParts. Without
// trace, it works out only rf: no parts, amount or rounded.
func tierPartsFix(tiers []TierTrace, ft []fixTier, from, to fix, buf []TierTrace, places int32, trace bool, slab *decSlab) (parts []TierTrace, amount, rounded decimal.Decimal, rf fix, _ []TierTrace, done bool) {
	start := len(buf)
	fail := func() ([]TierTrace, decimal.Decimal, decimal.Decimal, fix, []TierTrace, bool) {
		return nil, decimal.Decimal{}, decimal.Decimal{}, fix{}, buf[:start], false
	}
	lo, hi, neg := from, to, false
	if c, ok := to.cmp(from); !ok {
		return fail()
	} else if c < 0 {
		lo, hi, neg = to, from, true
	}
	sum := newDecimalSum()
	for i, t := range ft {
		if i > 0 {
			c, ok := hi.cmp(t.from)
			if !ok {
				return fail()
			}
			if c <= 0 {
				break // tiers are in increasing order: none above pays
			}
		}
		a, b := lo, hi
		if i > 0 {
			c, ok := a.cmp(t.from)
			if !ok {
				return fail()
			}
			if c < 0 {
				a = t.from
			}
		}
		if t.hasTo {
			c, ok := b.cmp(t.to)
			if !ok {
				return fail()
			}
			if c > 0 {
				b = t.to
			}
		}
		if c, ok := b.cmp(a); !ok {
			return fail()
		} else if c <= 0 {
			continue
		}
		portion, ok := b.sub(a)
		if !ok || portion.c == math.MinInt64 {
			return fail()
		}
		if neg {
			portion.c = -portion.c // × -1, the exponent unchanged
		}
		amt, ok := portion.mul(t.rate)
		if !ok || !sum.addFix(amt) {
			return fail()
		}
		if trace {
			buf = append(buf, TierTrace{Tier: tiers[i].Tier, From: tiers[i].From, To: tiers[i].To, Rate: tiers[i].Rate, Basis: slab.of(portion), Amount: slab.of(amt)})
		}
	}
	total, ok := sum.fix()
	if !ok {
		return fail()
	}
	r, ok := total.round(places)
	if !ok {
		return fail()
	}
	if !trace {
		return nil, decimal.Decimal{}, decimal.Decimal{}, r, buf, true
	}
	if len(buf) == start+1 && total == (fix{buf[start].Amount.CoefficientInt64(), buf[start].Amount.Exponent()}) {
		amount = buf[start].Amount // one part: the amount is its amount, exponent and all
	} else {
		amount = slab.of(total)
	}
	rounded = slab.of(r)
	if r == total {
		rounded = amount // already at the currency's places
	}
	if len(buf) > start {
		parts = buf[start:len(buf):len(buf)]
	}
	return parts, amount, rounded, r, buf, true
}

// sortDealsByDay returns l's credits sorted by day, stably, in
// c.dealScratch (valid until the next call): a counting sort, since a
// deal's day is within the fiscal year to date.
func (c *calc) sortDealsByDay(l *dealList) []dealCredit {
	if cap(c.dealScratch) < l.n {
		c.dealScratch = make([]dealCredit, l.n)
	}
	out := c.dealScratch[:l.n]
	n := len(c.days) + 1
	for _, ch := range l.chunks {
		for _, d := range ch {
			if d.day < 0 || int(d.day) >= len(c.days) {
				out = out[:0]
				for _, ch := range l.chunks {
					out = append(out, ch...)
				}
				slices.SortStableFunc(out, func(a, b dealCredit) int { return int(a.day - b.day) })
				return out
			}
		}
	}
	if cap(c.dayStarts) < n {
		c.dayStarts = make([]int32, n)
	}
	starts := c.dayStarts[:n]
	clear(starts)
	for _, ch := range l.chunks {
		for _, d := range ch {
			starts[d.day+1]++
		}
	}
	for i := 1; i < n; i++ {
		starts[i] += starts[i-1]
	}
	for _, ch := range l.chunks {
		for _, d := range ch {
			out[starts[d.day]] = d
			starts[d.day]++
		}
	}
	return out
}

// tierParts pays the move of a running total from `from` to `to` through
// marginal tiers (their bounds already scaled): each tier pays its rate on
// the part of the move inside it. A move down (a refund) pays back, at
// the rates of the tiers it crosses; below 0 the first tier's rate
// applies. So the amount is F(to) − F(from), where F is what the marginal
// table pays on a total, and the deals of a window add up to F of the
// window's total.
//
// The parts are appended to buf, which is returned; the deal's own parts
// are returned as a slice of it (nil when there are none).
func tierParts(tiers []TierTrace, from, to decimal.Decimal, buf []TierTrace) ([]TierTrace, decimal.Decimal, []TierTrace) {
	lo, hi, sign := from, to, one
	if to.LessThan(from) {
		lo, hi, sign = to, from, one.Neg()
	}
	start := len(buf)
	amount := decimal.Zero
	for i, t := range tiers {
		tlo, tto := t.From, t.To
		if i > 0 && !hi.GreaterThan(tlo) {
			break // tiers are in increasing order: none above pays
		}
		a, b := lo, hi
		if i > 0 && a.LessThan(tlo) {
			a = tlo
		}
		if tto != nil && b.GreaterThan(*tto) {
			b = *tto
		}
		if !b.GreaterThan(a) {
			continue
		}
		portion := b.Sub(a).Mul(sign)
		amt := portion.Mul(t.Rate)
		buf = append(buf, TierTrace{Tier: t.Tier, From: tlo, To: tto, Rate: t.Rate, Basis: portion, Amount: amt})
		amount = amount.Add(amt)
	}
	if len(buf) == start {
		return nil, amount, buf
	}
	return buf[start:len(buf):len(buf)], amount, buf
}

// scaledTiers is the tiers with their bounds multiplied by scale (the
// target, for key attainment), worked out once per line.
func scaledTiers(tiers []plans.Tier, scale decimal.Decimal) []TierTrace {
	out := make([]TierTrace, len(tiers))
	for i, t := range tiers {
		out[i] = TierTrace{Tier: i + 1, From: t.From.Mul(scale), Rate: t.Rate}
		if t.To != nil {
			v := t.To.Mul(scale)
			out[i].To = &v
		}
	}
	return out
}

// once pays a once component only if no earlier period of the fiscal year
// paid it: a milestone bonus paid once.
func (c *calc) once(p *facts.Person, comp *plans.Component, tr *Trace) {
	earlier := c.prior[[2]string{p.ID, comp.Name}]
	if earlier.IsZero() {
		return
	}
	tr.Once = &OnceTrace{EarlierPaid: earlier}
	tr.Result = decimal.Zero
}
