package plans

import (
	"fmt"

	"github.com/icomp/icomp/engine/period"
)

// VersionFor picks, from the publications of one comp plan (newest
// first), the version a run of the period labelled label computes, and
// the period as that version reads the label. A version takes over from
// its effective from date on: a period runs the newest publication that
// takes effect by the period's last day, so a version published with
// `from: 2027-07-01` computes 2027-Q3 onwards while earlier periods keep
// the version in force then. A version's `to` ends it: a later period
// runs an older version only if that one starts after the end (a
// correction of 2027 ending 2027-12-31, published after the 2028
// version, leaves 2028 to it), else none (a version ending 2027-06-30
// ends the plan it corrects).
//
// ok is false when the plan computes nothing for the period: it has
// taken effect only after it, it has ended before it, or the version in
// force then pays at another frequency (a quarterly label names no period
// of a monthly plan). err reports a label no version can read; with
// strict (a run of this plan only), a period of another frequency is an
// error too.
func VersionFor(newestFirst []*CompPlan, label string, strict bool) (i int, per period.Period, ok bool, err error) {
	return VersionForLazy(len(newestFirst), func(i int) (*CompPlan, error) { return newestFirst[i], nil }, label, strict)
}

// VersionForLazy is VersionFor over n publications that load(i) loads,
// newest first, only as far as needed: an old version that no longer
// loads does not stop periods a newer version computes.
func VersionForLazy(n int, load func(i int) (*CompPlan, error), label string, strict bool) (i int, per period.Period, ok bool, err error) {
	if n == 0 {
		return 0, period.Period{}, false, nil
	}
	loaded := make([]*CompPlan, n)
	at := func(i int) (*CompPlan, error) {
		if loaded[i] == nil {
			p, err := load(i)
			if err != nil {
				return nil, err
			}
			loaded[i] = p
		}
		return loaded[i], nil
	}
	f, known := period.FrequencyOf(label)
	// The period's days, as the newest version paying at the label's
	// frequency reads the label.
	var span period.Range
	found := false
	for i := range n {
		p, err := at(i)
		if err != nil {
			return 0, period.Period{}, false, err
		}
		if known && f != p.Frequency {
			continue
		}
		q, err := p.Calendar.Parse(label)
		if err != nil {
			return 0, period.Period{}, false, err
		}
		if q.Frequency != p.Frequency {
			continue
		}
		span, found = q.Range, true
		break
	}
	frequencyErr := func(p *CompPlan) error {
		g := f
		if !known {
			g = "other"
		}
		return fmt.Errorf("plan %s pays %s; %s is a %s period", p.Name, p.Frequency, label, g)
	}
	if !found {
		if strict {
			newest, err := at(0)
			if err != nil {
				return 0, period.Period{}, false, err
			}
			return 0, period.Period{}, false, frequencyErr(newest)
		}
		return 0, period.Period{}, false, nil
	}
	// ended is the latest end of a newer version that ended before the
	// period: it leaves the period to an older version only if that one
	// starts after it (a 2027 correction ending 2027-12-31, published
	// after the 2028 version, leaves 2028 to it; a version ending the
	// plan on 2027-06-30 leaves nothing to the open-ended version it
	// corrects).
	var ended period.Date
	for i := range n {
		p, err := at(i)
		if err != nil {
			return 0, period.Period{}, false, err
		}
		if p.Effective.Start.After(span.End) {
			continue // takes effect after the period: an older version decides
		}
		if !ended.IsZero() && !p.Effective.Start.After(ended) {
			continue // replaced, on these days, by the newer version that ended
		}
		if !p.Effective.End.IsZero() && p.Effective.End.Before(span.Start) {
			if ended.IsZero() || p.Effective.End.After(ended) {
				ended = p.Effective.End
			}
			continue
		}
		if known && f != p.Frequency {
			if strict {
				return 0, period.Period{}, false, frequencyErr(p)
			}
			return 0, period.Period{}, false, nil
		}
		q, err := p.Calendar.Parse(label)
		if err != nil {
			return 0, period.Period{}, false, err
		}
		if q.Frequency != p.Frequency {
			if strict {
				return 0, period.Period{}, false, frequencyErr(p)
			}
			return 0, period.Period{}, false, nil
		}
		return i, q, p.EffectiveIn(q), nil
	}
	return 0, period.Period{}, false, nil
}
