package calc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

// personSettlement is one person's settlement past the caps: their
// payable lines so far, the balances they open the period with, and the
// balance lines settlement makes.
type personSettlement struct {
	s        *Settlement
	id       string
	person   facts.Person
	lines    []ledger.Line
	opening  map[string]ledger.Line
	balances []ledger.Line
}

// DrawSubject is the subject of a draw's top-up line and balance line.
func DrawSubject(policy, draw string) string {
	return ledger.DrawSubjectPrefix + policy + "/" + draw
}

// DeficitSubject is the subject of a carried deficit's balance line in
// currency cur.
func DeficitSubject(cur string) string { return ledger.DeficitSubjectPrefix + cur }

// openingAmount is the balance subject opened the period with.
func (p *personSettlement) openingAmount(subject string) decimal.Decimal {
	if l, ok := p.opening[subject]; ok {
		return l.Amount
	}
	return decimal.Zero
}

// balance records the balance of subject at the end of the period, with
// its movements as the basis (so that the same closing balance reached
// another way is a new line).
func (p *personSettlement) balance(subject, currency string, closing decimal.Decimal, basis, reason string) {
	p.balances = append(p.balances, ledger.Line{Ledger: ledger.BalanceLedger, Period: p.s.Period.Label, Person: p.id,
		Subject: subject, Currency: currency, Amount: closing, Basis: basis, Reason: reason})
}

func (p *personSettlement) pay(subject, currency, code string, amount decimal.Decimal, reason string) {
	p.lines = append(p.lines, ledger.Line{Ledger: ledger.PayableLedger, Period: p.s.Period.Label, Person: p.id,
		Subject: subject, Currency: currency, EarningCode: code, Amount: amount, Reason: reason})
}

// draws applies every policy's draws of the period's frequency, in
// policy and then draw order.
func (p *personSettlement) draws() error {
	for _, pol := range p.s.Policies {
		for _, d := range pol.Draws {
			if d.Frequency != p.s.Period.Frequency {
				continue
			}
			if err := p.draw(pol, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// draw applies one draw: a top-up when the counted earnings are below
// the draw, a recovery of the balance from earnings above it.
func (p *personSettlement) draw(pol *plans.SettlementPolicy, d plans.Draw) error {
	s := p.s
	subject := DrawSubject(pol.Name, d.Name)
	opening := p.openingAmount(subject)
	emp := s.Employment[p.id]
	inWindow, err := p.inDrawWindow(d, emp)
	if err != nil {
		return err
	}
	eligible := false
	if inWindow {
		if eligible, err = engine.PersonMatches(d.Eligibility, s.Period, p.person); err != nil {
			return err
		}
	}
	if !eligible && opening.IsZero() {
		return nil
	}
	if eligible && d.Recoverable && !s.PreviousCalculated && p.drawStart(d, emp).Ordinal() < s.Period.Ordinal() {
		prev := s.Calendar.Shift(s.Period, -1)
		return fmt.Errorf("%w: settling %s: %s's draw %s of settlement policy %s started before %s, so it needs %s's balance, but %s was never calculated; run the periods in order (icomp run --period %s)",
			engine.ErrInput, s.Period.Label, p.id, d.Name, pol.Name, s.Period.Label, prev.Label, prev.Label, prev.Label)
	}
	earned := decimal.Zero
	for _, l := range p.lines {
		if strings.HasPrefix(l.Subject, ledger.AdjustmentSubjectPrefix) || l.Plan == "" || !d.Counts(l.Plan, l.EarningCode) {
			continue
		}
		if l.Currency != pol.Currency {
			return fmt.Errorf("%w: settlement policy %s draws %s amounts, but %s's %s %s is in %s", engine.ErrInput, pol.Name, pol.Currency, p.id, l.Plan, l.Subject, l.Currency)
		}
		earned = earned.Add(l.Amount)
	}
	what := fmt.Sprintf("settlement policy %s (version %s) draw %s", pol.Name, pol.Version, d.Name)
	kind := "non-recoverable"
	if d.Recoverable {
		kind = "recoverable"
	}
	topUp, recovered, writtenOff := decimal.Zero, decimal.Zero, decimal.Zero
	above := earned // the earnings a recovery may take from
	if eligible {
		above = earned.Sub(d.Amount)
		if above.Sign() < 0 {
			topUp = above.Neg()
			p.pay(subject, pol.Currency, d.EarningCode, topUp,
				fmt.Sprintf("%s: %s draw of %s %s a period; earned %s, topped up by %s", what, kind, d.Amount, pol.Currency, earned, topUp))
		}
	}
	balance := opening
	if d.Recoverable {
		balance = balance.Add(topUp)
		if opening.Sign() > 0 && above.Sign() > 0 {
			recovered = decimal.Min(opening, above)
			if d.MaxRecovery.Sign() > 0 {
				recovered = decimal.Min(recovered, d.MaxRecovery)
			}
		}
	}
	left := !emp.Termination.IsZero() && !emp.Termination.After(s.Period.End)
	if left && d.Recoverable && balance.Sub(recovered).Sign() > 0 {
		switch d.OnTermination {
		case plans.OnTerminationRecover:
			recovered = balance
		case plans.OnTerminationWriteOff:
			writtenOff = balance.Sub(recovered)
		}
	}
	if recovered.Sign() > 0 {
		why := fmt.Sprintf("%s: recovers %s of the %s %s balance from earnings above the draw", what, recovered, opening, pol.Currency)
		if !eligible {
			why = fmt.Sprintf("%s: recovers %s of the %s %s balance from earnings", what, recovered, opening, pol.Currency)
		}
		if left && d.OnTermination == plans.OnTerminationRecover {
			why = fmt.Sprintf("%s: recovers the whole balance of %s %s at termination (%s)", what, recovered, pol.Currency, emp.Termination)
		}
		p.pay(subject+"/recovery", pol.Currency, d.EarningCode, recovered.Neg(), why)
	}
	if !d.Recoverable {
		return nil
	}
	closing := balance.Sub(recovered).Sub(writtenOff)
	basis := fmt.Sprintf("opening %s; drawn %s; recovered %s; written off %s", opening, topUp, recovered, writtenOff)
	reason := fmt.Sprintf("%s balance owed: %s", what, basis)
	if writtenOff.Sign() > 0 {
		reason += fmt.Sprintf(" at termination (%s)", emp.Termination)
	}
	if !opening.IsZero() || !closing.IsZero() || eligible {
		p.balance(subject, pol.Currency, closing, basis, reason)
	}
	return nil
}

// drawStart is the first period of draw d for a person.
func (p *personSettlement) drawStart(d plans.Draw, emp Employment) period.Period {
	if d.From == plans.DrawFromHire {
		return p.s.Calendar.Containing(emp.Hire, d.Frequency)
	}
	start, err := p.s.Calendar.Parse(d.From)
	if err != nil {
		panic("invariant: plans validated the draw's first period: " + err.Error())
	}
	return start
}

// inDrawWindow reports whether the period is one of the draw's periods
// for the person, who was employed in it.
func (p *personSettlement) inDrawWindow(d plans.Draw, emp Employment) (bool, error) {
	s := p.s
	if !emp.Termination.IsZero() && emp.Termination.Before(s.Period.Start) {
		return false, nil
	}
	if d.From == plans.DrawFromHire && emp.Hire.IsZero() {
		ok, err := engine.PersonMatches(d.Eligibility, s.Period, p.person)
		if err != nil || !ok {
			return false, err
		}
		return false, fmt.Errorf("%w: draw %s runs from hire, but %s has no hire date; import one (hire_date) or give the draw a first period (from: %s)",
			engine.ErrInput, d.Name, p.id, s.Period.Label)
	}
	start := p.drawStart(d, emp).Ordinal()
	return start <= s.Period.Ordinal() && s.Period.Ordinal() < start+d.Periods, nil
}

// deficitRule is what the policies say about negative totals: carry
// (the default) unless one says pay; two policies that disagree are an
// error.
func deficitRule(policies []*plans.SettlementPolicy) (plans.DeficitRule, error) {
	rule := plans.DeficitRule{Action: plans.DeficitCarry, EarningCode: "DEFICIT"}
	var from *plans.SettlementPolicy
	for _, pol := range policies {
		if pol.Deficits == nil {
			continue
		}
		if from != nil && *pol.Deficits != *from.Deficits {
			return rule, fmt.Errorf("%w: settlement policies %s and %s both say what to do with deficits, differently; keep deficits in one policy", engine.ErrInput, from.Name, pol.Name)
		}
		from = pol
		rule = *pol.Deficits
	}
	return rule, nil
}

// deficits carries a negative total forward (per currency) and recovers
// an earlier deficit from a positive total.
func (p *personSettlement) deficits(rule plans.DeficitRule) {
	totals := map[string]decimal.Decimal{}
	for _, l := range p.lines {
		totals[l.Currency] = totals[l.Currency].Add(l.Amount)
	}
	for subject := range p.opening {
		if cur, ok := strings.CutPrefix(subject, ledger.DeficitSubjectPrefix); ok {
			if _, seen := totals[cur]; !seen {
				totals[cur] = decimal.Zero
			}
		}
	}
	curs := make([]string, 0, len(totals))
	for c := range totals {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	for _, cur := range curs {
		total := totals[cur]
		subject := DeficitSubject(cur)
		opening := p.openingAmount(subject)
		carried, recovered := decimal.Zero, decimal.Zero
		switch {
		case total.Sign() < 0 && rule.Action == plans.DeficitCarry:
			carried = total.Neg()
			p.pay(subject+"/carried", cur, rule.EarningCode, carried,
				fmt.Sprintf("deficit carried forward: the period's payable adds up to %s %s, which is recovered from later periods instead of paid as a negative amount", total, cur))
		case total.Sign() > 0 && opening.Sign() > 0:
			recovered = decimal.Min(opening, total)
			p.pay(subject+"/recovered", cur, rule.EarningCode, recovered.Neg(),
				fmt.Sprintf("recovers %s of the %s %s deficit carried from earlier periods", recovered, opening, cur))
		}
		closing := opening.Add(carried).Sub(recovered)
		if opening.IsZero() && closing.IsZero() {
			continue
		}
		basis := fmt.Sprintf("opening %s; carried %s; recovered %s", opening, carried, recovered)
		p.balance(subject, cur, closing, basis, "deficit carried forward: "+basis)
	}
}

// BalanceSource is what OpeningBalances reads.
type BalanceSource interface {
	storage.LedgerReader
	storage.PeriodReader
	RunList(ctx context.Context) ([]storage.Run, error)
}

// OpeningBalances reads the balances people open period p with: the
// balance lines in force at the end of the previous period of p's
// frequency, and whether that period was ever calculated. When it was
// not, the latest earlier calculated period of that frequency must not
// have carried a balance other than zero out for any of the people: the
// periods between were not settled, and settling p would lose the
// balance (run them in order). It reads balance lines of two periods at
// most, by period.
func OpeningBalances(ctx context.Context, r BalanceSource, cal period.Calendar, p period.Period, people []string) (opening []ledger.Line, previousCalculated bool, err error) {
	prev := cal.Shift(p, -1)
	recs, err := r.PeriodList(ctx)
	if err != nil {
		return nil, false, err
	}
	var latest *period.Period
	for _, rec := range recs {
		q, err := cal.Parse(rec.Label)
		if err != nil || q.Frequency != p.Frequency || q.Ordinal() >= p.Ordinal() || rec.Status == storage.PeriodOpen {
			continue
		}
		if latest == nil || q.Ordinal() > latest.Ordinal() {
			latest = &q
		}
	}
	if latest == nil {
		return nil, false, nil
	}
	lines, err := balancesOf(ctx, r, latest.Label, people)
	if err != nil {
		return nil, false, err
	}
	if latest.Label == prev.Label {
		if err := checkCarriedIn(ctx, r, cal, p, prev, people); err != nil {
			return nil, false, err
		}
		return lines, true, nil
	}
	for _, l := range lines {
		if !l.Amount.IsZero() {
			return nil, false, fmt.Errorf("%w: settling %s: %s carried a %s balance of %s %s out of %s, but %s was never calculated; run the periods between in order (icomp run --period %s)",
				engine.ErrInput, p.Label, l.Person, l.Subject, l.Amount, l.Currency, l.Period, prev.Label, cal.Shift(*latest, 1).Label)
		}
	}
	return nil, false, nil
}

// checkCarriedIn refuses to settle p on prev's closing balances when
// the period before prev carried the people other balances out since
// prev's last run: prev opened with the old ones, and p would carry its
// stale balances on (a late deal in a closed 2027-Q1, run again, changes
// the draw balance Q1 carries out; closed 2027-Q2 still opens with the old
// one until it is run again, and settling 2027-Q3 on it recovers the
// difference twice). Only the step before prev is compared: each run of
// a later period checks its own step, so runs must follow in order.
func checkCarriedIn(ctx context.Context, r BalanceSource, cal period.Calendar, p, prev period.Period, people []string) error {
	before := cal.Shift(prev, -1)
	rec, err := r.PeriodGet(ctx, before.Label)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && rec.Status == storage.PeriodOpen) {
		return nil
	}
	if err != nil {
		return err
	}
	runs, err := r.RunList(ctx)
	if err != nil {
		return err
	}
	var last int64 // prev's last finished run
	for _, run := range runs {
		if run.Period == prev.Label && run.Status == storage.RunDone && run.ID > last {
			last = run.ID
		}
	}
	if last == 0 {
		return nil
	}
	carried, err := balancesOf(ctx, r, before.Label, people)
	if err != nil {
		return err
	}
	for _, l := range carried {
		if l.RunID > last {
			return fmt.Errorf("%w: settling %s: run %d changed the %s balance %s carries out for %s (now %s %s), after %s's last run (run %d) opened with the old one; run %s again first (icomp run --period %s: a closed period posts its changes into the first open period), then %s",
				engine.ErrInput, p.Label, l.RunID, l.Subject, before.Label, l.Person, l.Amount, l.Currency, prev.Label, last, prev.Label, prev.Label, p.Label)
		}
	}
	return nil
}

// balancesOf lists the balance lines in force of people in a period,
// by person and subject.
func balancesOf(ctx context.Context, r storage.LedgerReader, periodLabel string, people []string) ([]ledger.Line, error) {
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.BalanceLedger, Period: periodLabel, People: people})
	if err != nil {
		return nil, err
	}
	var out []ledger.Line
	for _, c := range ledger.Fold(lines) {
		if c.Current != nil {
			out = append(out, *c.Current)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Person != out[j].Person {
			return out[i].Person < out[j].Person
		}
		return out[i].Subject < out[j].Subject
	})
	return out, nil
}
