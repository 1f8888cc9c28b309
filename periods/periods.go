// Package periods owns the company calendar and the period lifecycle:
// open → calculated → approved → closed. A period label means one thing in
// the whole workspace (the calendar's fiscal year start is set by the
// first published comp plan, and every later plan must agree; its
// bi-weekly pay cycles are set by the first bi-weekly plan, and every later
// bi-weekly plan must put its cycles on the same days). A closed
// period is frozen: what a late change would post into it lands in the
// first open period after it as a prior-period adjustment.
package periods

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// ErrNoCalendar is returned before any comp plan set the calendar.
var ErrNoCalendar = errors.New("the workspace has no company calendar yet: publish a comp plan first (its fiscal_year_start sets the calendar)")

// ErrTransition is returned for a status change the lifecycle does not allow.
var ErrTransition = errors.New("period status cannot change that way")

// Calendar returns the company calendar.
func Calendar(ctx context.Context, r storage.PeriodReader) (period.Calendar, error) {
	v, err := r.SettingGet(ctx, storage.SettingFiscalYearStart)
	if errors.Is(err, storage.ErrNotFound) {
		return period.Calendar{}, ErrNoCalendar
	}
	if err != nil {
		return period.Calendar{}, err
	}
	m, err := strconv.Atoi(v)
	if err != nil || m < 1 || m > 12 {
		return period.Calendar{}, fmt.Errorf("invariant: stored fiscal_year_start %q is not a month", v)
	}
	anchor, err := payCycleAnchor(ctx, r)
	if err != nil {
		return period.Calendar{}, err
	}
	return period.Calendar{FiscalYearStartMonth: m, PayCycleAnchor: anchor}, nil
}

// AgreeCalendar sets the company calendar from a plan's when none is set,
// and otherwise returns an error unless the plan's agrees with it.
func AgreeCalendar(ctx context.Context, tx storage.Tx, planName string, c period.Calendar) error {
	want := c.FiscalYearStartMonth
	if want == 0 {
		want = 1
	}
	have, err := Calendar(ctx, tx)
	if errors.Is(err, ErrNoCalendar) {
		if err := tx.SettingSet(ctx, storage.SettingFiscalYearStart, strconv.Itoa(want)); err != nil {
			return err
		}
		return agreePayCycles(ctx, tx, planName, period.Calendar{}, c)
	}
	if err != nil {
		return err
	}
	if got := max(have.FiscalYearStartMonth, 1); got != want {
		return fmt.Errorf("plan %s has fiscal_year_start %d, but the company calendar's fiscal year starts in month %d: every plan must use the company calendar", planName, want, got)
	}
	return agreePayCycles(ctx, tx, planName, have, c)
}

// Parse reads a period label with the company calendar.
func Parse(ctx context.Context, r storage.PeriodReader, label string) (period.Period, error) {
	c, err := Calendar(ctx, r)
	if err != nil {
		return period.Period{}, err
	}
	return c.Parse(label)
}

// Get returns p's record: its stored row, or an open one.
func Get(ctx context.Context, r storage.PeriodReader, p period.Period) (storage.PeriodRecord, error) {
	rec, err := r.PeriodGet(ctx, p.Label)
	if errors.Is(err, storage.ErrNotFound) {
		return Record(p), nil
	}
	return rec, err
}

// Record is the open record of a period that has no row yet.
func Record(p period.Period) storage.PeriodRecord {
	return storage.PeriodRecord{Label: p.Label, Frequency: string(p.Frequency), FiscalYear: p.FiscalYear,
		Start: p.Start.String(), End: p.End.String(), Status: storage.PeriodOpen}
}

// next returns the period after p of the same frequency.
func next(c period.Calendar, p period.Period) period.Period {
	ps := c.Periods(p.FiscalYear, p.Frequency)
	if p.Index < len(ps) {
		return ps[p.Index]
	}
	return c.Periods(p.FiscalYear+1, p.Frequency)[0]
}

// PostingPeriod returns the period a run of p posts into: p itself while it
// is not closed, else the first period after it, of the same frequency,
// that is not closed.
func PostingPeriod(ctx context.Context, r storage.PeriodReader, c period.Calendar, p period.Period) (period.Period, error) {
	for q := p; ; q = next(c, q) {
		rec, err := Get(ctx, r, q)
		if err != nil {
			return q, err
		}
		if rec.Status != storage.PeriodClosed {
			return q, nil
		}
	}
}

// Approve moves a calculated period to approved.
func Approve(ctx context.Context, tx storage.Tx, p period.Period, by, at string) (storage.PeriodRecord, error) {
	if err := noActiveRun(ctx, tx); err != nil {
		return storage.PeriodRecord{}, err
	}
	rec, err := Get(ctx, tx, p)
	if err != nil {
		return rec, err
	}
	switch {
	case rec.Status == storage.PeriodApproved:
		return rec, fmt.Errorf("%w: %s is already approved (by %s at %s)", ErrTransition, p.Label, rec.ApprovedBy, rec.ApprovedAt)
	case rec.Status != storage.PeriodCalculated:
		return rec, fmt.Errorf("%w: %s is %s; only a calculated period can be approved (icomp run --period %s first)", ErrTransition, p.Label, rec.Status, p.Label)
	case rec.NeedsRerun != "":
		return rec, fmt.Errorf("%w: %s needs a re-run before approval: %s (icomp run --period %s)", ErrTransition, p.Label, rec.NeedsRerun, p.Label)
	}
	if run, failed, err := LastRunFailed(ctx, tx, p.Label); err != nil {
		return rec, err
	} else if failed {
		return rec, fmt.Errorf("%w: run %d of %s, which posts into %s, failed (%s); run it again before approval", ErrTransition, run.ID, run.Period, p.Label, run.Error)
	}
	if err := noPendingAdjustment(ctx, tx, p); err != nil {
		return rec, err
	}
	if err := noPendingLateDeal(ctx, tx, p); err != nil {
		return rec, err
	}
	rec.Status, rec.ApprovedBy, rec.ApprovedAt = storage.PeriodApproved, by, at
	return rec, tx.PeriodUpdate(ctx, rec)
}

// noPendingAdjustment refuses to approve p while an adjustment of a
// closed period whose changes post into p is not payable yet: the
// closed period has not been run since it was added, and p's payroll
// would go out without it.
func noPendingAdjustment(ctx context.Context, tx storage.Tx, p period.Period) error {
	adjs, err := tx.AdjustmentList(ctx, "", nil)
	if err != nil {
		return err
	}
	if len(adjs) == 0 {
		return nil
	}
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return err
	}
	closed := map[string]bool{}
	for _, rec := range recs {
		closed[rec.Label] = rec.Status == storage.PeriodClosed
	}
	var cal *period.Calendar
	byPeriod := map[string][]storage.Adjustment{}
	var labels []string
	for _, a := range adjs {
		if a.Period == p.Label || !closed[a.Period] {
			continue
		}
		if _, ok := byPeriod[a.Period]; !ok {
			labels = append(labels, a.Period)
		}
		byPeriod[a.Period] = append(byPeriod[a.Period], a)
	}
	for _, label := range labels {
		if cal == nil {
			c, err := Calendar(ctx, tx)
			if err != nil {
				return err
			}
			cal = &c
		}
		q, err := cal.Parse(label)
		if err != nil {
			continue
		}
		posting, err := PostingPeriod(ctx, tx, *cal, q)
		if err != nil {
			return err
		}
		if posting.Label != p.Label {
			continue
		}
		var people []string
		for _, a := range byPeriod[label] {
			people = append(people, a.Person)
		}
		lines, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayableLedger, Period: label, People: people})
		if err != nil {
			return err
		}
		payable := map[string]bool{}
		for _, l := range lines {
			payable[l.Person+"\x00"+l.Subject] = true
		}
		for _, a := range byPeriod[label] {
			if !payable[a.Person+"\x00"+ledger.AdjustmentSubjectPrefix+strconv.FormatInt(a.ID, 10)] {
				return fmt.Errorf("%w: adjustment %d of %s (closed) is not payable yet: run %s (icomp run --period %s) to post it into %s before approving %s", ErrTransition, a.ID, label, label, label, p.Label, p.Label)
			}
		}
	}
	return nil
}

// MarkAdjusted marks the periods of new adjustments as needing a re-run.
// An adjustment of a closed period posts, when that period is run again,
// into the first open period after it: that one is marked (so that it is
// not approved before the closed one is run), and the returned notes say
// so, one per adjustment.
func MarkAdjusted(ctx context.Context, tx storage.Tx, as []storage.Adjustment) (closed []string, err error) {
	for _, a := range as {
		p, err := Parse(ctx, tx, a.Period)
		if err != nil {
			return nil, err
		}
		rec, err := Get(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		if rec.Status != storage.PeriodClosed {
			if err := NeedsRerun(ctx, tx, p, fmt.Sprintf("adjustment %d was added", a.ID)); err != nil {
				return nil, err
			}
			continue
		}
		cal, err := Calendar(ctx, tx)
		if err != nil {
			return nil, err
		}
		posting, err := PostingPeriod(ctx, tx, cal, p)
		if err != nil {
			return nil, err
		}
		if err := NeedsRerun(ctx, tx, posting, fmt.Sprintf("%s (closed): adjustment %d was added; run %s to post it here as a prior-period adjustment", a.Period, a.ID, a.Period)); err != nil {
			return nil, err
		}
		closed = append(closed, fmt.Sprintf("warning: %s is closed: adjustment %d posts into %s as a prior-period adjustment when %s is run again (icomp run --period %s), and %s cannot be approved before that", a.Period, a.ID, posting.Label, a.Period, a.Period, posting.Label))
	}
	return closed, nil
}

// noPendingLateDeal refuses to approve p while a closed period whose
// changes post into p has transactions dated in it imported since its
// last run: running it posts them into p, and p's payroll would go out
// without them. An import of more than storage.ChangeBulk rows is not
// looked into here (it lists no ids); it warned about closed periods it
// changed, and marked the period they post into.
func noPendingLateDeal(ctx context.Context, tx storage.Tx, p period.Period) error {
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return err
	}
	var cal *period.Calendar
	var runs []storage.Run
	for _, rec := range recs {
		if rec.Status != storage.PeriodClosed || rec.Label == p.Label {
			continue
		}
		if cal == nil {
			c, err := Calendar(ctx, tx)
			if err != nil {
				return err
			}
			cal = &c
			if runs, err = tx.RunList(ctx); err != nil {
				return err
			}
		}
		q, err := cal.Parse(rec.Label)
		if err != nil || q.Frequency != p.Frequency {
			continue
		}
		posting, err := PostingPeriod(ctx, tx, *cal, q)
		if err != nil {
			return err
		}
		if posting.Label != p.Label {
			continue
		}
		var last *storage.Run
		for i := range runs {
			if runs[i].Period == q.Label && runs[i].Status == storage.RunDone && (last == nil || runs[i].ID > last.ID) {
				last = &runs[i]
			}
		}
		if last == nil {
			continue
		}
		changes, _, err := tx.InputChangesSince(ctx, last.InputSeq, storage.ChangeBulk)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if c.Kind != storage.ChangeTransaction {
				continue
			}
			t, err := tx.TransactionGet(ctx, c.Ref)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if q.Contains(t.Date) {
				return fmt.Errorf("%w: %s is closed and transaction %s, dated in it, was imported since its last run (run %d): run %s (icomp run --period %s) to post the changes into %s before approving %s",
					ErrTransition, q.Label, c.Ref, last.ID, q.Label, q.Label, p.Label, p.Label)
			}
		}
	}
	return nil
}

// Close moves an approved period to closed, for good.
func Close(ctx context.Context, tx storage.Tx, p period.Period, by, at string) (storage.PeriodRecord, error) {
	if err := noActiveRun(ctx, tx); err != nil {
		return storage.PeriodRecord{}, err
	}
	rec, err := Get(ctx, tx, p)
	if err != nil {
		return rec, err
	}
	switch rec.Status {
	case storage.PeriodClosed:
		return rec, fmt.Errorf("%w: %s is already closed (by %s at %s)", ErrTransition, p.Label, rec.ClosedBy, rec.ClosedAt)
	case storage.PeriodApproved:
	default:
		return rec, fmt.Errorf("%w: %s is %s; only an approved period can be closed (icomp period approve %s first)", ErrTransition, p.Label, rec.Status, p.Label)
	}
	if run, failed, err := LastRunFailed(ctx, tx, p.Label); err != nil {
		return rec, err
	} else if failed {
		return rec, fmt.Errorf("%w: run %d of %s, which posts into %s, failed (%s); run it again and approve it before closing", ErrTransition, run.ID, run.Period, p.Label, run.Error)
	}
	rec.Status, rec.ClosedBy, rec.ClosedAt = storage.PeriodClosed, by, at
	return rec, tx.PeriodUpdate(ctx, rec)
}

// LastRunFailed reports the newest run that posts into label, when it
// failed: the period then holds part of that run's batches.
func LastRunFailed(ctx context.Context, r storage.RunReader, label string) (storage.Run, bool, error) {
	runs, err := r.RunList(ctx)
	if err != nil {
		return storage.Run{}, false, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].PostedPeriod == label {
			return runs[i], runs[i].Status == storage.RunFailed, nil
		}
	}
	return storage.Run{}, false, nil
}

// RunInProgress returns a run in progress, or interrupted (a crash left it
// running), in any period: found is false when there is none.
func RunInProgress(ctx context.Context, r storage.RunReader) (run storage.Run, found bool, err error) {
	runs, err := r.RunList(ctx)
	if err != nil {
		return storage.Run{}, false, err
	}
	for _, run := range runs {
		if run.Status == storage.RunRunning {
			return run, true, nil
		}
	}
	return storage.Run{}, false, nil
}

// noActiveRun refuses a status change while a run is in progress, under
// the inputs lock: a run starting at the same moment starts after the
// change commits (and sees the period's new status) or is seen here.
func noActiveRun(ctx context.Context, tx storage.Tx) error {
	if err := tx.LockInputs(ctx); err != nil {
		return err
	}
	run, found, err := RunInProgress(ctx, tx)
	if err != nil || !found {
		return err
	}
	return fmt.Errorf("%w: run %d of %s is in progress; wait for it or cancel it", ErrTransition, run.ID, run.Period)
}

// RunningError is a change to a run's inputs refused because run Run is
// in progress or was interrupted.
type RunningError struct {
	Run storage.Run
	// Doing says what was refused ("importing", "an adjustment").
	Doing string
}

func (e *RunningError) Error() string {
	return fmt.Sprintf("run %d of %s is in progress or was interrupted; %s now would change its inputs half-way: let it finish (icomp run --period %s resumes it), then try again",
		e.Run.ID, e.Run.Period, e.Doing, e.Run.Period)
}

// GuardInputs is the start of a transaction that changes a run's inputs
// (doing says how, for the error): it takes the inputs lock
// (storage.Tx.LockInputs) and returns a *RunningError while a run is in
// progress or interrupted.
func GuardInputs(ctx context.Context, tx storage.Tx, doing string) error {
	if err := tx.LockInputs(ctx); err != nil {
		return err
	}
	run, found, err := RunInProgress(ctx, tx)
	if err != nil || !found {
		return err
	}
	return &RunningError{Run: run, Doing: doing}
}

// Calculated records that run runID finished computing earned period p
// (posting into posted): p becomes calculated unless it is closed, and
// posted, when it received lines and was approved, goes back to
// calculated (its payable changed after approval). A run of every plan
// (everyPlan) clears p's needs-a-re-run mark; a run of one plan leaves
// it, since what marked the period may change the other plans.
func Calculated(ctx context.Context, tx storage.Tx, p, posted period.Period, runID int64, postedLines, everyPlan bool) error {
	if err := tx.PeriodUpsert(ctx, Record(p)); err != nil {
		return err
	}
	rec, err := tx.PeriodGet(ctx, p.Label)
	if err != nil {
		return err
	}
	if rec.Status != storage.PeriodClosed {
		if rec.Status == storage.PeriodOpen || (rec.Status == storage.PeriodApproved && postedLines) {
			rec.Status, rec.ApprovedBy, rec.ApprovedAt = storage.PeriodCalculated, "", ""
		}
		if everyPlan {
			rec.NeedsRerun = ""
		}
		rec.CalculatedRun = runID
		if err := tx.PeriodUpdate(ctx, rec); err != nil {
			return err
		}
	}
	if posted.Label != p.Label && postedLines {
		return reopenApproval(ctx, tx, posted, "")
	}
	return nil
}

// reopenApproval sends an approved period back to calculated (with
// needsRerun as the reason when set).
func reopenApproval(ctx context.Context, tx storage.Tx, p period.Period, needsRerun string) error {
	rec, err := tx.PeriodGet(ctx, p.Label)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil || rec.Status == storage.PeriodClosed || rec.Status == storage.PeriodOpen {
		return err
	}
	if rec.Status == storage.PeriodApproved {
		rec.Status, rec.ApprovedBy, rec.ApprovedAt = storage.PeriodCalculated, "", ""
	}
	if needsRerun != "" {
		rec.NeedsRerun = needsRerun
	}
	return tx.PeriodUpdate(ctx, rec)
}

// MarkLaterPeriods marks the periods after p, of the same frequency and
// fiscal year, that were calculated or approved as needing a re-run: their
// year-to-date inputs changed. It returns their labels.
func MarkLaterPeriods(ctx context.Context, tx storage.Tx, c period.Calendar, p period.Period, why string) ([]string, error) {
	var marked []string
	for _, q := range c.Periods(p.FiscalYear, p.Frequency) {
		if q.Index <= p.Index {
			continue
		}
		rec, err := tx.PeriodGet(ctx, q.Label)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.Status != storage.PeriodCalculated && rec.Status != storage.PeriodApproved {
			continue
		}
		if err := reopenApproval(ctx, tx, q, why); err != nil {
			return nil, err
		}
		marked = append(marked, q.Label)
	}
	return marked, nil
}

// MarkLaterPeriodsAnyYear is MarkLaterPeriods for balances carried from
// period to period: it marks the calculated or approved periods of p's
// frequency after p, in every later fiscal year that has any.
func MarkLaterPeriodsAnyYear(ctx context.Context, tx storage.Tx, c period.Calendar, p period.Period, why string) ([]string, error) {
	marked, err := MarkLaterPeriods(ctx, tx, c, p, why)
	if err != nil {
		return nil, err
	}
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		q, err := c.Parse(rec.Label)
		if err != nil || q.Frequency != p.Frequency || q.FiscalYear <= p.FiscalYear {
			continue
		}
		if rec.Status != storage.PeriodCalculated && rec.Status != storage.PeriodApproved {
			continue
		}
		if err := reopenApproval(ctx, tx, q, why); err != nil {
			return nil, err
		}
		marked = append(marked, q.Label)
	}
	return marked, nil
}

// NeedsRerun marks p as needing a re-run (why), sending an approved
// period back to calculated; a period never run or closed is unchanged.
func NeedsRerun(ctx context.Context, tx storage.Tx, p period.Period, why string) error {
	return reopenApproval(ctx, tx, p, why)
}
