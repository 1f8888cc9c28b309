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

// lateChange is what an import changes in periods already computed,
// against the periods that were calculated, approved or closed before
// it: for a transaction import the dates of the deals it adds or changes
// (and of the versions it replaces) and the payment dates those carry;
// for an fx import the months of the rates it adds or changes.
type lateChange struct {
	cal  period.Calendar
	recs []storage.PeriodRecord
	// what says what the import changed, before the list of hits.
	what string
	hits []lateHit
}

// lateHit is one thing an import changed: the days it covers, and how it
// is named in a period's re-run note.
type lateHit struct {
	span period.Range
	name string
}

// computedPeriods returns a lateChange without hits holding the periods
// computed so far; nil when no period was ever computed (a first load)
// or there is no company calendar.
func computedPeriods(ctx context.Context, tx storage.Tx, what string) (*lateChange, error) {
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
	return &lateChange{cal: cal, recs: computed, what: what}, nil
}

// peopleChanges is the lateChange of a people import whose changes take
// effect from since: every period ending on or after it.
func peopleChanges(ctx context.Context, tx storage.Tx, since period.Date) (*lateChange, error) {
	lc, err := computedPeriods(ctx, tx, "a people import changed people")
	if lc == nil || err != nil {
		return nil, err
	}
	lc.hits = []lateHit{{period.Range{Start: since, End: period.MustDate("9999-12-31")}, "from " + since.String()}}
	return lc, nil
}

// lateChanges reads, before the merge, the dates the staged rows change;
// holdDates are the attributes comp plans hold deals until. Nothing is
// read when no period was ever computed (a first load).
func lateChanges(ctx context.Context, tx storage.Tx, holdDates []string) (*lateChange, error) {
	lc, err := computedPeriods(ctx, tx, "a transaction import changed deals or payment dates on")
	if lc == nil || err != nil {
		return nil, err
	}
	raw, err := tx.TransactionStagedDates(ctx, holdDates)
	if err != nil {
		return nil, err
	}
	for _, s := range raw {
		// A payment date that is no date was refused by the typed
		// attribute check when a plan declares it; one no plan reads
		// changes nothing.
		if d, err := period.ParseDate(s); err == nil {
			lc.hits = append(lc.hits, lateHit{period.Range{Start: d, End: d}, d.String()})
		}
	}
	return lc, nil
}

// mark marks each calculated or approved period holding one of the
// changes as needing a re-run (an approved one goes back to calculated),
// so that payroll cannot export what the import made stale, and lists
// the closed ones: a re-run of a closed period posts its changes into
// the first open period after it, which is marked too when calculated or
// approved.
func (lc *lateChange) mark(ctx context.Context, tx storage.Tx) (rerun, closed []string, err error) {
	if lc == nil || len(lc.hits) == 0 {
		return nil, nil, nil
	}
	for _, rec := range lc.recs {
		p, err := lc.cal.Parse(rec.Label)
		if err != nil {
			continue // a period of a frequency the calendar no longer has
		}
		var in []string
		for _, h := range lc.hits {
			if p.Overlaps(h.span) {
				in = append(in, h.name)
			}
		}
		if len(in) == 0 {
			continue
		}
		names := strings.Join(in, ", ")
		if len(in) > 3 {
			names = fmt.Sprintf("%s, … (%d in all)", strings.Join(in[:3], ", "), len(in))
		}
		why := lc.what + " " + names
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
