package imports

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// lateChange is what a transaction import changes in periods already
// computed: the dates of the deals it adds or changes (and of the
// versions it replaces), and the payment dates those carry, against the
// periods that were calculated, approved or closed before it.
type lateChange struct {
	cal   period.Calendar
	dates []period.Date
	recs  []storage.PeriodRecord
	// from, when set, is the first day a people import changes: every
	// period ending on or after it is changed.
	from period.Date
}

// peopleChanges is the lateChange of a people import whose changes take
// effect from since: nil when no period was ever computed.
func peopleChanges(ctx context.Context, tx storage.Tx, since period.Date) (*lateChange, error) {
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return nil, err
	}
	var computed []storage.PeriodRecord
	for _, r := range recs {
		if r.Status != storage.PeriodOpen {
			computed = append(computed, r)
		}
	}
	if len(computed) == 0 {
		return nil, nil
	}
	cal, err := periods.Calendar(ctx, tx)
	if errors.Is(err, periods.ErrNoCalendar) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &lateChange{cal: cal, recs: computed, from: since}, nil
}

// lateChanges reads, before the merge, the dates the staged rows change;
// holdDates are the attributes comp plans hold deals until. Nothing is
// read when no period was ever computed (a first load).
func lateChanges(ctx context.Context, tx storage.Tx, holdDates []string) (*lateChange, error) {
	recs, err := tx.PeriodList(ctx)
	if err != nil {
		return nil, err
	}
	var computed []storage.PeriodRecord
	for _, r := range recs {
		if r.Status != storage.PeriodOpen {
			computed = append(computed, r)
		}
	}
	if len(computed) == 0 {
		return nil, nil
	}
	cal, err := periods.Calendar(ctx, tx)
	if errors.Is(err, periods.ErrNoCalendar) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := tx.TransactionStagedDates(ctx, holdDates)
	if err != nil {
		return nil, err
	}
	lc := &lateChange{cal: cal, recs: computed}
	for _, s := range raw {
		// A payment date that is no date was refused by the typed
		// attribute check when a plan declares it; one no plan reads
		// changes nothing.
		if d, err := period.ParseDate(s); err == nil {
			lc.dates = append(lc.dates, d)
		}
	}
	return lc, nil
}

// mark marks each calculated or approved period holding one of the
// changed dates as needing a re-run (an approved one goes back to
// calculated), so that payroll cannot export what the import made stale,
// and lists the closed ones: a re-run of a closed period posts its
// changes into the first open period after it, which is marked too when
// calculated or approved.
func (lc *lateChange) mark(ctx context.Context, tx storage.Tx) (rerun, closed []string, err error) {
	if lc == nil || (len(lc.dates) == 0 && lc.from.IsZero()) {
		return nil, nil, nil
	}
	for _, rec := range lc.recs {
		p, err := lc.cal.Parse(rec.Label)
		if err != nil {
			continue // a period of a frequency the calendar no longer has
		}
		var in []string
		for _, d := range lc.dates {
			if p.Contains(d) {
				in = append(in, d.String())
			}
		}
		var why string
		if !lc.from.IsZero() {
			if p.End.Before(lc.from) {
				continue
			}
			why = "a people import changed people from " + lc.from.String()
		} else {
			if len(in) == 0 {
				continue
			}
			dates := strings.Join(in, ", ")
			if len(in) > 3 {
				dates = fmt.Sprintf("%s, … (%d dates)", strings.Join(in[:3], ", "), len(in))
			}
			why = "a transaction import changed deals or payment dates on " + dates
		}
		if rec.Status == storage.PeriodClosed {
			closed = append(closed, rec.Label)
			posting, err := periods.PostingPeriod(ctx, tx, lc.cal, p)
			if err != nil {
				return nil, nil, err
			}
			if err := periods.NeedsRerun(ctx, tx, posting, fmt.Sprintf("%s (closed): %s; run %s to post the changes here as prior-period adjustments", rec.Label, why, rec.Label)); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := periods.NeedsRerun(ctx, tx, p, why); err != nil {
			return nil, nil, err
		}
		rerun = append(rerun, rec.Label)
	}
	return rerun, closed, nil
}
