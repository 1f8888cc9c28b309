package engine

import (
	"errors"
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

var one = decimal.NewFromInt(1)

// RuleError is a rule that failed while running, with the plan position
// of the rule and the fact it was evaluating.
type RuleError struct {
	Pos plans.Pos
	// Subject names what the rule was evaluated for ("person ae-1",
	// "transaction T-17").
	Subject string
	Err     error
}

func (e *RuleError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Pos, e.Subject, e.Err) }

func (e *RuleError) Unwrap() error { return e.Err }

// ErrNegativeCap is a cap rule that came out below 0 (plan check refuses
// a constant one; a computed one is found at run time).
var ErrNegativeCap = errors.New("negative cap")

// StoppedError is returned when Input.Stop closes during a calculation;
// Doing says what it was doing: the transaction being credited, or the
// person and component (with the rule's position) being evaluated.
type StoppedError struct {
	Plan  string
	Doing string
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("plan %s: stopped while %s", e.Plan, e.Doing)
}

// stopped reports whether Input.Stop is closed.
func (c *calc) stopped() bool {
	select {
	case <-c.in.Stop:
		return true
	default:
		return false
	}
}

// stopCheckEvery is how many transactions the credit pass credits between
// two looks at Input.Stop.
const stopCheckEvery = 256

// ErrInput marks input that the engine cannot compute with (split shares
// that do not sum to 1, a transaction in another currency, a missing
// target, a person or transaction given twice); the error says which fact.
var ErrInput = errors.New("invalid input")

type calc struct {
	in       Input
	m        rules.Machine
	plan     *plans.CompPlan
	places   int32
	yearSpan period.Range
	// payees are the people the plan pays, sorted by ID; index finds one
	// by ID.
	payees []payee
	index  map[string]int
	byTerr map[string][]int
	// txns are the transactions in the fiscal year to date, sorted by ID.
	txns []txnFacts
	// creditOrder lists the plan's credit rules sorted by name, the order
	// they run in, so that each payee's credits come out sorted by
	// transaction and rule without sorting them.
	creditOrder []int
	// measureSpans are the measures' windows; perCredit lists the
	// per-credit components (indexes into the plan's components) and
	// perCreditSpans the credits each prices.
	measureSpans   []period.Range
	perCredit      []int
	perCreditSpans []period.Range
	// creditEnvNeeded is set when a measure or per-credit rule reads the
	// credit environment, txnEnvNeeded when any rule reads the
	// transaction.
	creditEnvNeeded, txnEnvNeeded bool
	// periodCredits are the credits dated in the period, in the order
	// they were made: by transaction and rule.
	periodCredits []credit
	// days caches the date string of each day of the fiscal year to date.
	days  []string
	prior map[[2]string]decimal.Decimal

	// Scratch space reused across transactions and credits. Rules get
	// pointers to these environments, which spares a copy of the
	// environment per rule run.
	txnEnv    rules.TxnEnv
	creditEnv rules.CreditEnv
	envPayee  int // whose person creditEnv holds, or -1
	// weights and shares are the split credit's scratch space.
	weights, shares []decimal.Decimal

	rollupState // manager roll-ups and overrides (rollup.go)
	// deals holds the credits per-deal rate tables tier, when the plan
	// has any (see perdeal.go).
	deals *perDeal
	// dayStarts and dealScratch are sortDealsByDay's scratch space,
	// paidKeys and paidScratch sortPaidDeals's.
	dayStarts   []int32
	dealScratch []dealCredit
	paidKeys    []uint64
	paidScratch []paidDeal
	// adj is the current payee's ramped or prorated targets, for traces;
	// annualMeasures the measures rules read annual_target of (proration.go).
	adj            adjusted
	annualMeasures []string
	// scores indexes Input.Scores by person and objective (mbo.go).
	scores map[[2]string]decimal.Decimal
	typed  typedMaps // the typed attributes of txnEnv (attrs.go)
	// typedTxns caches the transactions' parsed typed attributes, or is
	// nil (attrs.go).
	typedTxns *typedCache
	// cancellationsOf indexes the input's cancellations by the deal they
	// cancel, for releases (hold.go); built when first needed.
	cancellationsOf map[string][]*facts.Transaction
	// conversions holds, by transaction index, the conversion of each
	// transaction converted into the plan's currency (fx.go), or is nil.
	conversions []*Conversion
	// dealIdx caches dealIndex (clawback.go).
	dealIdx map[*Trace]map[string]int
	// dealVals keeps what each period credit counted in the components
	// holds and clawbacks read (dealvals.go), or is nil.
	dealVals *dealVals
	// dayOfTxn is the day (since the start of the fiscal year) of
	// transaction dayTxn, for recordDeal.
	dayTxn, dayOfTxn int32
	// cancels says, by index in Input.Transactions, which transactions
	// cancel another deal (isCancellation), when the plan has a
	// clawback; shared with the recomputations the calculation makes.
	cancels []bool
	// paidDeals keeps, per payee and per-deal component, what each deal
	// was paid (perdeal.go), for holds and clawbacks.
	paidDeals []paidDeals
	// noPayment caches heldAt's note for deals without a payment, by day.
	noPayment map[period.Date]string
	// traced says, by transaction index, which deals per-deal lines
	// trace, in a recomputation given its deals (nestedRun.deals); nil:
	// every deal.
	traced []bool
	// slab makes the decimals of the traces (decslab.go).
	slab *decSlab
	// periodsFound are the periods periodOf found (clawback.go).
	periodsFound []period.Period
	// paidDates holds the payment dates paidOn parsed, by their text;
	// paidOnLast is the last deal paidOn read, and what it read.
	paidDates map[string]period.Date
	// untilDecl is the hold's attribute's index in the typed-attribute
	// cache's declarations, or -1 (untilText), once untilKnown.
	untilDecl  int
	untilKnown bool
	paidOnLast struct {
		t  *facts.Transaction
		d  period.Date
		ok bool
	}
}

// payee is one person the plan pays, with what the credit pass gathered
// for them: their credits in the period, and their measures and
// per-credit components aggregated over every credit as it was made.
type payee struct {
	p   *facts.Person
	env rules.Person
	// credits counts the payee's credits dated in the period.
	credits int
	// measures holds one aggregate per plan measure; measureErr is the
	// first measure rule that failed for this payee, in credit order.
	measures   []measureAgg
	measureErr error
	// perCredit holds one aggregate per per-credit component (as
	// calc.perCredit); each has its own first error, reported only if the
	// component's gate opens.
	perCredit []perCreditAgg
}

type measureAgg struct {
	sum     decimalSum
	credits int
}

type perCreditAgg struct {
	count      int
	basis, sum decimalSum
	err        error
}

// txnFacts is a transaction in scope, with its ID at hand for sorting.
type txnFacts struct {
	id string
	t  *facts.Transaction
	// src is the transaction's index in Input.Transactions (-1: none).
	src int32
}

// credit is one credit: the payee (an index into calc.payees), the
// transaction (an index into calc.txns), the credit rule (an index into
// the plan's credit rules), the share and the amount.
type credit struct {
	payee int32
	txn   int32
	rule  int32
	// level is how many managers up a roll-up credit went (0: direct).
	level int32
	// dv is where calc.dealVals keeps what the credit counted, or -1:
	// dated before the period, or a deal a recomputation is not read
	// for (calc.traced), whose values nothing reads.
	dv int32
	// amountE and amountC are amount as a fix (toFix) when amountOK, set
	// by add: the sums of credit amounts read them instead of the
	// amount's coefficient, far away in memory by the time they do.
	amountE  int32
	amountC  int64
	amountOK bool
	share    decimal.Decimal
	amount   decimal.Decimal
}

// amountFix is cr.amount as a fix, when ok (toFix).
func (cr *credit) amountFix() (fix, bool) { return fix{cr.amountC, cr.amountE}, cr.amountOK }

// Compute runs the calculation. It returns a *RuleError when a rule fails
// and an error wrapping ErrInput when the input is unusable. The Result,
// and which error is returned when there are several, depend only on the
// input's content, not on the order of its people, transactions or prior
// payouts.
func Compute(in Input) (*Result, error) {
	c := &calc{
		in:       in,
		plan:     in.Plan,
		places:   in.Plan.Precision(),
		yearSpan: period.Range{Start: in.Period.Year.Start, End: in.Period.End},
		index:    map[string]int{},
		envPayee: -1,
		dayTxn:   -1,
		byTerr:   map[string][]int{},
		prior:    map[[2]string]decimal.Decimal{},
		slab:     newDecSlab(),
	}
	if c.slab != nil {
		c.m.NewDecimal = c.slab.dec // the results of rules' int64 arithmetic
		c.typed.slab = c.slab       // typed attributes' numbers
	}
	c.typedTxns = typedCacheFor(in.Plan, &in)
	c.cancels = cancelsFor(in.Plan, &in)
	if in.nested != nil {
		in.nested.c = c
	}
	if in.Plan.Targets != "" && in.Targets == nil {
		return nil, fmt.Errorf("%w: plan %s needs target plan %s", ErrInput, in.Plan.Name, in.Plan.Targets)
	}
	if in.Targets != nil && in.Targets.Name != in.Plan.Targets {
		return nil, fmt.Errorf("%w: plan %s names target plan %q, not %q", ErrInput, in.Plan.Name, in.Plan.Targets, in.Targets.Name)
	}
	if in.Period.Frequency != in.Plan.Frequency {
		return nil, fmt.Errorf("%w: plan %s pays %s; %s is a %s period", ErrInput, in.Plan.Name, in.Plan.Frequency, in.Period.Label, in.Period.Frequency)
	}
	if err := c.selectPeople(); err != nil {
		return nil, err
	}
	// A payee whose pay reads a target they do not have would be paid
	// against a quota of 0: refuse, naming every such payee.
	payees := make([]facts.Person, len(c.payees))
	for i := range c.payees {
		payees[i] = *c.payees[i].p
	}
	if err := CheckTargets(in.Plan, in.Targets, in.Period, payees); err != nil {
		return nil, err
	}
	if err := c.selectTransactions(); err != nil {
		return nil, err
	}
	if in.nested != nil && in.nested.deals != nil {
		c.traced = make([]bool, len(c.txns))
		for i := range c.txns {
			c.traced[i] = in.nested.deals[c.txns[i].t]
		}
	}
	if err := c.prepareRollup(); err != nil {
		return nil, err
	}
	c.prepare()
	for i := range c.txns {
		if i%stopCheckEvery == 0 && c.stopped() {
			return nil, &StoppedError{Plan: c.plan.Name, Doing: "crediting transaction " + c.txns[i].t.ID}
		}
		if err := c.credit(i); err != nil {
			return nil, err
		}
	}
	for _, p := range in.Prior {
		k := [2]string{p.Person, p.Component}
		c.prior[k] = c.prior[k].Add(p.Amount)
	}
	res := &Result{
		Measures: make([]MeasureValue, 0, len(c.payees)*len(c.plan.Measures)),
		Payouts:  make([]Payout, 0, len(c.payees)*(len(c.plan.Components)+len(c.plan.Steps))),
	}
	if in.nested == nil {
		// A recomputation for clawbacks reads the calculation's credits,
		// not the lines made of them.
		res.Credits = c.creditLines()
	}
	// The payees' lines come first, so that the clawbacks of deals paid
	// in this very period can read them instead of computing the period
	// again; an error in them is reported after the clawbacks', as when
	// the clawbacks were worked out first.
	ends := make([]int, len(c.payees)) // where each payee's lines end in res.Payouts
	var errPerson error
	for i := range c.payees {
		if errPerson = c.person(&c.payees[i], res); errPerson != nil {
			if _, ok := errPerson.(*StoppedError); ok {
				return nil, errPerson
			}
			break
		}
		ends[i] = len(res.Payouts)
	}
	done := res
	if errPerson != nil {
		done = nil
	}
	claws, err := c.clawbacks(done)
	if err != nil {
		return nil, err
	}
	if errPerson != nil {
		return nil, errPerson
	}
	if claws != nil {
		n := len(res.Payouts)
		for i := range claws {
			n += len(claws[i])
		}
		payouts := make([]Payout, 0, n)
		start := 0
		for i := range c.payees {
			payouts = append(payouts, res.Payouts[start:ends[i]]...)
			payouts = append(payouts, claws[i]...)
			start = ends[i]
		}
		res.Payouts = payouts
	}
	if err := c.holdLines(res); err != nil {
		return nil, err
	}
	return res, nil
}

// creditLines lists the period's credits by payee, each payee's by
// transaction and rule: a stable counting sort of the credits, which were
// made in transaction and rule order.
func (c *calc) creditLines() []Credit {
	next := make([]int, len(c.payees)) // where each payee's next credit goes
	n := 0
	for i := range c.payees {
		next[i] = n
		n += c.payees[i].credits
	}
	out := make([]Credit, n)
	for k := range c.periodCredits {
		cr := &c.periodCredits[k]
		t := c.txns[cr.txn].t
		out[next[cr.payee]] = Credit{
			Person: c.payees[cr.payee].p.ID, TxnID: t.ID, Rule: c.plan.Credits[cr.rule].Name,
			Date: t.Date, Type: t.Type, Share: cr.share, Amount: cr.amount, Level: int(cr.level), FX: c.fxOf(cr.txn),
		}
		next[cr.payee]++
	}
	return out
}

// prepare orders the credit rules, works out the measures' and per-credit
// components' spans, and sets up each payee's aggregates.
func (c *calc) prepare() {
	c.creditOrder = make([]int, len(c.plan.Credits))
	for i := range c.creditOrder {
		c.creditOrder[i] = i
	}
	sort.SliceStable(c.creditOrder, func(i, j int) bool {
		return c.plan.Credits[c.creditOrder[i]].Name < c.plan.Credits[c.creditOrder[j]].Name
	})
	for i := range c.plan.Credits {
		c.txnEnvNeeded = c.txnEnvNeeded || c.plan.Credits[i].When != nil || c.plan.Credits[i].Amount != nil
	}
	for i := range c.plan.Measures {
		m := &c.plan.Measures[i]
		c.measureSpans = append(c.measureSpans, c.in.Period.Window(m.Window))
		c.creditEnvNeeded = c.creditEnvNeeded || m.Where != nil || m.Value != nil
	}
	for i := range c.plan.Components {
		comp := &c.plan.Components[i]
		if comp.Type != plans.ComponentPerCredit {
			continue
		}
		span := c.in.Period.Range
		if comp.Cumulative {
			span = c.in.Period.Window(period.WindowYTD)
		}
		c.perCredit = append(c.perCredit, i)
		c.perCreditSpans = append(c.perCreditSpans, span)
		c.creditEnvNeeded = true
	}
	c.txnEnvNeeded = c.txnEnvNeeded || c.creditEnvNeeded
	measures := make([]measureAgg, len(c.payees)*len(c.plan.Measures))
	perCredit := make([]perCreditAgg, len(c.payees)*len(c.perCredit))
	for i := range measures {
		measures[i].sum = newDecimalSum()
	}
	for i := range perCredit {
		perCredit[i].basis, perCredit[i].sum = newDecimalSum(), newDecimalSum()
	}
	for i := range c.payees {
		pe := &c.payees[i]
		pe.measures = measures[i*len(c.plan.Measures) : (i+1)*len(c.plan.Measures)]
		pe.perCredit = perCredit[i*len(c.perCredit) : (i+1)*len(c.perCredit)]
	}
	c.preparePerDeal()
	c.prepareDealVals()
}

func periodEnv(p period.Period) rules.Period {
	return rules.Period{
		Label:      p.Label,
		FiscalYear: decimal.NewFromInt(int64(p.FiscalYear)),
		Index:      decimal.NewFromInt(int64(p.Index)),
		Start:      p.Start.String(),
		End:        p.End.String(),
	}
}

func personEnv(p *facts.Person) rules.Person {
	return rules.Person{ID: p.ID, Name: p.Name, Role: p.Role, Territory: p.Territory, Manager: p.Manager, Currency: p.Currency, Attrs: p.Attrs}
}

func (c *calc) txnEnvOf(tf *txnFacts) rules.Txn {
	t := tf.t
	return rules.Txn{ID: t.ID, Date: c.dateString(t.Date), Type: t.Type, Owner: t.Owner, Territory: t.Territory,
		Product: t.Product, Currency: t.Currency, Amount: t.Amount, Attrs: t.Attrs, HasSplits: len(t.Splits) > 0}
}

// selectPeople picks the payees: the people the eligibility rule admits,
// in ID order.
func (c *calc) selectPeople() error {
	all := make([]*facts.Person, len(c.in.People))
	for i := range c.in.People {
		all[i] = &c.in.People[i]
	}
	slices.SortFunc(all, func(a, b *facts.Person) int { return strings.Compare(a.ID, b.ID) })
	for i := 1; i < len(all); i++ {
		if all[i].ID == all[i-1].ID {
			return fmt.Errorf("%w: person %s appears twice", ErrInput, all[i].ID)
		}
	}
	pe := rules.PersonEnv{Period: periodEnv(c.in.Period)}
	c.payees = make([]payee, 0, len(all))
	for _, p := range all {
		env, err := typedPersonEnv(c.plan, p)
		if err != nil {
			return err
		}
		if r := c.plan.Eligibility; r != nil {
			pe.Person = env
			ok, err := r.Program.Bool(&c.m, &pe)
			if err != nil {
				return &RuleError{Pos: r.Pos, Subject: "person " + p.ID, Err: err}
			}
			if !ok {
				continue
			}
		}
		c.index[p.ID] = len(c.payees)
		if p.Territory != "" {
			c.byTerr[p.Territory] = append(c.byTerr[p.Territory], len(c.payees))
		}
		c.payees = append(c.payees, payee{p: p, env: env})
	}
	return nil
}

// selectTransactions keeps the transactions dated from the start of the
// fiscal year to the end of the period, in ID order, and checks that no ID
// appears twice.
func (c *calc) selectTransactions() error {
	n := 0
	for i := range c.in.Transactions {
		if c.yearSpan.Contains(c.in.Transactions[i].Date) {
			n++
		}
	}
	c.txns = make([]txnFacts, 0, n)
	sorted := true // transactions usually arrive in ID order already
	var dup *facts.Transaction
	inPeriod := 0
	for i := range c.in.Transactions {
		t := &c.in.Transactions[i]
		if !c.yearSpan.Contains(t.Date) {
			continue
		}
		if n := len(c.txns); n > 0 && sorted {
			switch prev := c.txns[n-1].id; {
			case prev > t.ID:
				sorted = false
			case prev == t.ID && dup == nil:
				dup = t
			}
		}
		if c.in.Period.Contains(t.Date) {
			inPeriod++
		}
		c.txns = append(c.txns, txnFacts{id: t.ID, t: t, src: int32(i)})
	}
	if !sorted {
		slices.SortFunc(c.txns, func(a, b txnFacts) int { return strings.Compare(a.id, b.id) })
		dup = nil
		for i := 1; i < len(c.txns) && dup == nil; i++ {
			if c.txns[i].id == c.txns[i-1].id {
				dup = c.txns[i].t
			}
		}
	}
	if dup != nil {
		return fmt.Errorf("%w: transaction %s appears twice", ErrInput, dup.ID)
	}
	c.periodCredits = make([]credit, 0, inPeriod)
	c.days = make([]string, int(c.yearSpan.End.Time().Sub(c.yearSpan.Start.Time())/(24*time.Hour))+1)
	return nil
}

// dateString is d as rules see it, made once per day of the fiscal year
// to date: a year has few days and many transactions.
func (c *calc) dateString(d period.Date) string {
	day := int(d.Time().Sub(c.yearSpan.Start.Time()) / (24 * time.Hour))
	if day < 0 || day >= len(c.days) {
		return d.String()
	}
	if c.days[day] == "" {
		c.days[day] = d.String()
	}
	return c.days[day]
}

// credit runs the credit rules on transaction i.
func (c *calc) credit(i int) error {
	tf := &c.txns[i]
	t := tf.t
	if c.isCancellationAt(t, tf.src) {
		return nil
	}
	// base is the amount in the plan's currency (fx.go). A transaction in
	// another currency without a rate is an error only when it would
	// credit one of this plan's payees: a deal the plan never credits is
	// none of its business.
	base, foreign, errForeign := c.fxTxn(i)
	if c.txnEnvNeeded {
		c.txnEnv.Txn = c.txnEnvOf(tf)
		c.txnEnv.Txn.Amount = base
		if err := c.typeTxn(&c.txnEnv.Txn, t, tf.src); err != nil {
			return err
		}
		c.creditEnv.Txn = c.txnEnv.Txn
	}
	for _, ri := range c.creditOrder {
		rule := &c.plan.Credits[ri]
		if rule.When != nil {
			ok, err := rule.When.Program.Bool(&c.m, &c.txnEnv)
			if err != nil {
				return &RuleError{Pos: rule.When.Pos, Subject: "transaction " + t.ID, Err: err}
			}
			if !ok {
				continue
			}
		}
		amount := base
		if rule.Amount != nil {
			a, err := rule.Amount.Program.Decimal(&c.m, &c.txnEnv)
			if err != nil {
				return &RuleError{Pos: rule.Amount.Pos, Subject: "transaction " + t.ID, Err: err}
			}
			amount = a
		}
		switch rule.To {
		case plans.CreditToOwner:
			if p, ok := c.index[t.Owner]; ok {
				if foreign {
					return errForeign()
				}
				c.add(p, credit{payee: int32(p), txn: int32(i), rule: int32(ri), share: one, amount: amount})
			}
		case plans.CreditToManagers:
			if err := c.rollup(i, ri, amount, foreign, errForeign); err != nil {
				return err
			}
		case plans.CreditToTerritory:
			for _, p := range c.byTerr[t.Territory] {
				if foreign {
					return errForeign()
				}
				c.add(p, credit{payee: int32(p), txn: int32(i), rule: int32(ri), share: one, amount: amount})
			}
		case plans.CreditToSplits:
			if len(t.Splits) == 0 {
				continue
			}
			if err := c.checkSplits(t); err != nil {
				return err
			}
			c.weights = c.weights[:0]
			for _, s := range t.Splits {
				c.weights = append(c.weights, s.Share)
			}
			c.shares = money.AllocateFloorRemainderInOrderWith(c.shares, amount, c.weights, c.places, c.slab.dec)
			shares := c.shares
			for j, s := range t.Splits {
				if p, ok := c.index[s.Person]; ok {
					if foreign {
						return errForeign()
					}
					c.add(p, credit{payee: int32(p), txn: int32(i), rule: int32(ri), share: s.Share, amount: shares[j]})
				}
			}
		}
	}
	return nil
}

// checkSplits checks that a transaction's split shares are not negative,
// name each person once and sum to 1.
func (c *calc) checkSplits(t *facts.Transaction) error {
	sum := newDecimalSum()
	for j, s := range t.Splits {
		if s.Share.Sign() < 0 {
			return fmt.Errorf("%w: transaction %s: split share %s for %s is negative", ErrInput, t.ID, s.Share, s.Person)
		}
		for _, prev := range t.Splits[:j] {
			if prev.Person == s.Person {
				return fmt.Errorf("%w: transaction %s: %s appears twice in the splits; give each person one share", ErrInput, t.ID, s.Person)
			}
		}
		sum.Add(s.Share)
	}
	if !sum.Equal(one) {
		return fmt.Errorf("%w: transaction %s: split shares sum to %s; want 1 (100%%)", ErrInput, t.ID, sum.Value())
	}
	return nil
}

// add gives payee p credit cr: it keeps the credit if dated in the
// period, and adds it to the payee's measures and per-credit components
// whose spans hold its date. A rule that fails is recorded for the payee
// and reported when the payee's results are computed, as if the rules had
// run then, payee by payee.
func (c *calc) add(p int, cr credit) {
	pe := &c.payees[p]
	date := c.txns[cr.txn].t.Date
	if !plans.Employed(pe.p, date) {
		return // dated outside the payee's employment (docs/plans.md §20)
	}
	af, afok := toFix(cr.amount)
	cr.amountC, cr.amountE, cr.amountOK = af.c, af.e, afok
	cr.dv = -1
	if c.in.Period.Contains(date) {
		pe.credits++
		if c.dealVals != nil && (c.traced == nil || c.traced[cr.txn]) {
			cr.dv = int32(c.dealVals.n)
			c.dealVals.grow()
		}
		c.periodCredits = append(growFor(c.periodCredits, int(cr.txn)+1, len(c.txns)), cr)
	}
	if c.creditEnvNeeded {
		c.creditEnv.Credit = rules.Credit{Amount: cr.amount, Rule: c.plan.Credits[cr.rule].Name, Share: cr.share, Level: c.levelDecimal(cr.level)}
		if c.envPayee != p {
			c.creditEnv.Person = pe.env
			c.envPayee = p
		}
	}
	if pe.measureErr == nil {
		pe.measureErr = c.measure(pe, &cr, date)
	}
	for k, ci := range c.perCredit {
		agg := &pe.perCredit[k]
		if agg.err != nil || !c.perCreditSpans[k].Contains(date) {
			continue
		}
		slot := -1
		if c.dealVals != nil {
			slot = c.dealVals.slotOfPerCredit[k]
		}
		agg.err = c.priceCredit(pe, &c.plan.Components[ci], &cr, agg, slot)
	}
}

// measure adds credit cr, dated date, to payee pe's measures.
func (c *calc) measure(pe *payee, cr *credit, date period.Date) error {
	for i := range c.plan.Measures {
		m := &c.plan.Measures[i]
		if !c.measureSpans[i].Contains(date) {
			continue
		}
		if m.Where != nil {
			ok, err := m.Where.Program.Bool(&c.m, &c.creditEnv)
			if err != nil {
				return &RuleError{Pos: m.Where.Pos, Subject: c.creditSubject(pe, cr), Err: err}
			}
			if !ok {
				if c.dealVals != nil {
					c.dealVals.put(cr.dv, c.dealVals.slotOfMeasure[i], decimal.Decimal{}, fix{}, false, true)
				}
				continue
			}
		}
		agg := &pe.measures[i]
		agg.credits++
		// v's fix, worked out once while v is at hand (the amount's by
		// add), spares the sums that add it later a trip to its
		// coefficient.
		v := cr.amount
		f, fok := cr.amountFix()
		switch {
		case m.Aggregate == plans.AggregateCount:
			v = one
			f, fok = toFix(v)
		case m.Value != nil:
			var err error
			v, err = m.Value.Program.Decimal(&c.m, &c.creditEnv)
			if err != nil {
				return &RuleError{Pos: m.Value.Pos, Subject: c.creditSubject(pe, cr), Err: err}
			}
			f, fok = toFix(v)
		}
		agg.sum.addWith(v, f, fok)
		if c.dealVals != nil {
			c.dealVals.put(cr.dv, c.dealVals.slotOfMeasure[i], v, f, fok, false)
		}
		if c.in.Record != nil {
			c.record(pe, false, m.Name, cr, date, v)
		}
		if c.deals != nil {
			c.recordDeal(i, cr, date, v, f, fok)
		}
	}
	return nil
}

// priceCredit adds credit cr to a per-credit component's aggregate; slot
// is where dealVals keeps what the credit counted (-1: nowhere).
func (c *calc) priceCredit(pe *payee, comp *plans.Component, cr *credit, agg *perCreditAgg, slot int) error {
	if comp.Where != nil {
		ok, err := comp.Where.Program.Bool(&c.m, &c.creditEnv)
		if err != nil {
			return &RuleError{Pos: comp.Where.Pos, Subject: c.creditSubject(pe, cr), Err: err}
		}
		if !ok {
			if slot >= 0 {
				c.dealVals.put(cr.dv, slot, decimal.Decimal{}, fix{}, false, true)
			}
			return nil
		}
	}
	v, err := comp.Amount.Program.Decimal(&c.m, &c.creditEnv)
	if err != nil {
		return &RuleError{Pos: comp.Amount.Pos, Subject: c.creditSubject(pe, cr), Err: err}
	}
	f, fok := toFix(v)
	if slot >= 0 {
		c.dealVals.put(cr.dv, slot, v, f, fok, false)
	}
	agg.count++
	af, afok := cr.amountFix()
	agg.basis.addWith(cr.amount, af, afok)
	agg.sum.addWith(v, f, fok)
	if c.in.Record != nil {
		c.record(pe, true, comp.Name, cr, c.txns[cr.txn].t.Date, v)
	}
	return nil
}

func (c *calc) creditSubject(pe *payee, cr *credit) string {
	return fmt.Sprintf("person %s, transaction %s", pe.p.ID, c.txns[cr.txn].t.ID)
}

// person computes one payee's measures, attainment and payout lines.
func (c *calc) person(pe *payee, res *Result) error {
	p := pe.p
	env := rules.ComponentEnv{
		Person:     pe.env,
		Period:     periodEnv(c.in.Period),
		Measure:    map[string]decimal.Decimal{},
		Target:     map[string]decimal.Decimal{},
		Attainment: map[string]decimal.Decimal{},
		Payout:     map[string]decimal.Decimal{},
	}
	if err := c.employmentEnv(pe, &env); err != nil {
		return err
	}
	if err := c.measures(pe, res, &env); err != nil {
		return err
	}
	k := 0 // the next per-credit component
	for i := range c.plan.Components {
		comp := &c.plan.Components[i]
		if c.stopped() {
			return &StoppedError{Plan: c.plan.Name, Doing: fmt.Sprintf("evaluating component %s (%s) for person %s", comp.Name, comp.Pos, p.ID)}
		}
		var agg *perCreditAgg
		if comp.Type == plans.ComponentPerCredit {
			agg = &pe.perCredit[k]
			k++
		}
		if c.in.nested != nil && (comp.Type == plans.ComponentMBO || comp.Type == plans.ComponentOverride) {
			// Recomputing an earlier period for a clawback: MBO and
			// override components are never clawed back, and their
			// inputs (that period's scores, the team's lines) are not
			// at hand.
			env.Payout[comp.Name] = decimal.Zero
			continue
		}
		line, err := c.component(p, i, agg, &env)
		if err != nil {
			return err
		}
		env.Payout[comp.Name] = line.Amount
		res.Payouts = append(res.Payouts, line)
	}
	for i := range c.plan.Steps {
		line, err := c.step(p, &c.plan.Steps[i], &env)
		if err != nil {
			return err
		}
		env.Payout[line.Component] = line.Amount
		res.Payouts = append(res.Payouts, line)
	}
	return nil
}

// measures reports the payee's measures, gathered in the credit pass, and
// looks up their targets and attainment.
func (c *calc) measures(pe *payee, res *Result, env *rules.ComponentEnv) error {
	if pe.measureErr != nil {
		return pe.measureErr
	}
	p := pe.p
	for i := range c.plan.Measures {
		m := &c.plan.Measures[i]
		span := c.measureSpans[i]
		mv := MeasureValue{Person: p.ID, Measure: m.Name, Window: m.Window, Range: span, Value: pe.measures[i].sum.Value(), Credits: pe.measures[i].credits}
		res.Measures = append(res.Measures, mv)
		env.Measure[m.Name] = mv.Value
		if c.in.Targets == nil {
			continue
		}
		target, detail, ok, err := c.in.Targets.TargetFor(p, m.Name, span)
		if err != nil {
			return fmt.Errorf("%w: person %s, measure %s: %v", ErrInput, p.ID, m.Name, err)
		}
		if !ok {
			continue
		}
		env.Target[m.Name] = target
		a := Attainment{Person: p.ID, Measure: m.Name, Value: mv.Value, Target: target, Adjusted: detail}
		if detail != nil {
			c.adj.targets["target."+m.Name] = TargetTrace{Name: "target." + m.Name, Target: target, Periods: detail}
		}
		if target.Sign() > 0 {
			a.Ratio = mv.Value.DivRound(target, rules.DivisionPlaces)
			env.Attainment[m.Name] = a.Ratio
		}
		res.Attainment = append(res.Attainment, a)
	}
	return nil
}

// component computes one payout line; agg holds a per-credit component's
// credits, priced in the credit pass.
func (c *calc) component(p *facts.Person, ci int, agg *perCreditAgg, env *rules.ComponentEnv) (Payout, error) {
	comp := &c.plan.Components[ci]
	subject := func() string { return fmt.Sprintf("person %s, component %s", p.ID, comp.Name) }
	tr := Trace{Component: comp.Name, Type: comp.Type, Computed: decimal.Zero}
	if comp.Window != nil {
		tr.Window = comp.Window.String()
	}
	line := Payout{Person: p.ID, Component: comp.Name, EarningCode: comp.EarningCode, Currency: c.plan.Currency}
	if comp.Gate != nil {
		ok, err := comp.Gate.Program.Bool(&c.m, env)
		if err != nil {
			return line, &RuleError{Pos: comp.Gate.Pos, Subject: subject(), Err: err}
		}
		tr.Gate = &GateTrace{Rule: comp.Gate.Source, Passed: ok}
		if !ok {
			// Show what the gate read, so a statement says why it stayed shut.
			tr.Inputs = inputsOf(env)
		}
	}
	if tr.Gate == nil || tr.Gate.Passed {
		var err error
		switch comp.Type {
		case plans.ComponentPerCredit:
			if err = agg.err; err == nil {
				tr.Rule = comp.Amount.Source
				tr.Credits = &CreditsTrace{Count: agg.count, Basis: agg.basis.Value()}
				tr.Computed = agg.sum.Value()
			}
		case plans.ComponentRateTable:
			if comp.ByDeal() {
				err = c.perDealTable(p, comp, env, &tr)
			} else {
				err = c.rateTable(p, comp, env, &tr)
			}
		case plans.ComponentOverride:
			err = c.override(p, ci, &tr)
		case plans.ComponentCurve:
			err = c.curve(p, comp, env, &tr)
		case plans.ComponentMBO:
			err = c.mbo(p, comp, env, &tr)
		case plans.ComponentFormula:
			tr.Rule = comp.Amount.Source
			tr.Inputs = inputsOf(env)
			tr.Computed, err = comp.Amount.Program.Decimal(&c.m, env)
			if err != nil {
				err = &RuleError{Pos: comp.Amount.Pos, Subject: subject(), Err: err}
			}
		}
		if err != nil {
			return line, err
		}
	}
	amount := tr.Computed
	if comp.Cap != nil {
		cp, err := comp.Cap.Program.Decimal(&c.m, env)
		if err != nil {
			return line, &RuleError{Pos: comp.Cap.Pos, Subject: subject(), Err: err}
		}
		if cp.Sign() < 0 {
			return line, &RuleError{Pos: comp.Cap.Pos, Subject: subject(), Err: fmt.Errorf("%w: the cap came out %s, below 0: a cap is the most the component pays, so it would turn what the person earned into a deduction; write max(0, …)", ErrNegativeCap, cp)}
		}
		tr.Cap = &cp
		if amount.GreaterThan(cp) {
			amount = cp
			tr.Capped = true
		}
	}
	c.traceAdjustments(&tr, comp.ComponentRules()...)
	tr.Rounded = money.RoundHalfUp(amount, c.places)
	tr.Result = tr.Rounded
	if comp.Cumulative {
		prior := c.prior[[2]string{p.ID, comp.Name}]
		tr.Prior = &prior
		tr.Result = tr.Rounded.Sub(prior)
	} else if comp.Once {
		c.once(p, comp, &tr)
	}
	line.Amount = tr.Result
	line.Trace = tr
	return line, nil
}

// inputsOf lists the measures, targets and attainment of env, sorted by name.
func inputsOf(env *rules.ComponentEnv) []TraceInput {
	var out []TraceInput
	for _, src := range []struct {
		prefix string
		m      map[string]decimal.Decimal
	}{{"measure", env.Measure}, {"target", env.Target}, {"attainment", env.Attainment}, {"annual_target", env.AnnualTarget}} {
		names := make([]string, 0, len(src.m))
		for k := range src.m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			out = append(out, TraceInput{Name: src.prefix + "." + k, Value: src.m[k]})
		}
	}
	return out
}

func (c *calc) rateTable(p *facts.Person, comp *plans.Component, env *rules.ComponentEnv, tr *Trace) error {
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
	total := decimal.Zero
	for i, t := range comp.Tiers {
		from := t.From.Mul(scale)
		var to *decimal.Decimal
		if t.To != nil {
			v := t.To.Mul(scale)
			to = &v
		}
		inTier := (i == 0 || !basis.LessThan(from)) && (to == nil || basis.LessThan(*to))
		switch comp.Mode {
		case plans.ModeRetroactive:
			// The whole amount at the rate of the tier it reaches; an amount
			// below zero pays at the first tier's rate.
			if inTier {
				amt := basis.Mul(t.Rate)
				tr.Tiers = append(tr.Tiers, TierTrace{Tier: i + 1, From: from, To: to, Rate: t.Rate, Basis: basis, Amount: amt})
				total = amt
			}
		default:
			// Marginal: each tier pays its rate on the part of the amount
			// inside it; a negative amount falls in the first tier.
			lo := from
			if i == 0 {
				lo = decimal.Zero
			}
			if i > 0 && !basis.GreaterThan(lo) {
				continue
			}
			hi := basis
			if to != nil && hi.GreaterThan(*to) {
				hi = *to
			}
			portion := hi.Sub(lo)
			if portion.IsZero() {
				continue
			}
			amt := portion.Mul(t.Rate)
			tr.Tiers = append(tr.Tiers, TierTrace{Tier: i + 1, From: from, To: to, Rate: t.Rate, Basis: portion, Amount: amt})
			total = total.Add(amt)
		}
	}
	tr.Computed = total
	return nil
}

func (c *calc) step(p *facts.Person, s *plans.Step, env *rules.ComponentEnv) (Payout, error) {
	line := Payout{Person: p.ID, Component: s.Name, EarningCode: s.Name, Currency: c.plan.Currency}
	tr := Trace{Component: s.Name, Type: s.Type, Rule: s.Amount.Source}
	limit, err := s.Amount.Program.Decimal(&c.m, env)
	if err != nil {
		return line, &RuleError{Pos: s.Amount.Pos, Subject: fmt.Sprintf("person %s, step %s", p.ID, s.Name), Err: err}
	}
	if limit.Sign() < 0 {
		return line, &RuleError{Pos: s.Amount.Pos, Subject: fmt.Sprintf("person %s, step %s", p.ID, s.Name),
			Err: fmt.Errorf("%w: the cap came out %s, below 0: it is the most the person's lines add up to, so it would turn what they earned into a deduction; write max(0, …)", ErrNegativeCap, limit)}
	}
	total := decimal.Zero
	names := make([]string, 0, len(env.Payout))
	for k := range env.Payout {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		total = total.Add(env.Payout[k])
		tr.Inputs = append(tr.Inputs, TraceInput{Name: "payout." + k, Value: env.Payout[k]})
	}
	tr.Cap = &limit
	tr.Computed = decimal.Zero
	if total.GreaterThan(limit) {
		tr.Computed = limit.Sub(total)
		tr.Capped = true
	}
	tr.Rounded = money.RoundHalfUp(tr.Computed, c.places)
	tr.Result = tr.Rounded
	line.Amount = tr.Result
	line.Trace = tr
	return line, nil
}
