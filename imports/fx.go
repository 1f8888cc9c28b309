package imports

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// FXColumns are the fx import's columns, all required: one unit of from
// is rate units of to, for amounts dated in month (YYYY-MM). See
// docs/plans.md §18 for which month's rate converts what.
var FXColumns = []string{"from", "to", "month", "rate"}

var (
	fxMonthRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	fxRateRE  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// FX imports exchange rates in one transaction: every row is checked
// (known ISO 4217 currencies, two different ones, a month, a positive
// plain decimal rate, each pair and month once in the file) before any is
// written. A stored pair and month takes the file's rate.
func FX(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, error) {
	counts, _, err := FXLate(ctx, st, r, o)
	return counts, err
}

// FXLate is FX, also saying which computed periods the rates it adds or
// changes fall in (see Late): those are marked as needing a re-run like
// periods a late transaction falls in, since a re-run converts at the
// new rate (docs/plans.md §18).
func FXLate(ctx context.Context, st storage.Store, r io.Reader, o Options) (storage.ImportCounts, Late, error) {
	probs := &problems{file: o.File}
	rr, err := newRowReader(o.File, o.Format, r, FXColumns, FXColumns, probs)
	if err != nil {
		return storage.ImportCounts{}, Late{}, err
	}
	var rates []facts.FXRate
	first := map[[3]string]int{}
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return storage.ImportCounts{}, Late{}, err
		}
		if rowShapeProblems(rec, probs) {
			continue
		}
		x, ok := fxRow(rec, probs)
		if !ok {
			continue
		}
		k := [3]string{x.From, x.To, x.Month}
		if line, dup := first[k]; dup {
			probs.add(rec.line, "month", "rate %s→%s for %s already appears on line %d", x.From, x.To, x.Month, line)
			continue
		}
		first[k] = rec.line
		rates = append(rates, x)
	}
	if err := probs.err(); err != nil {
		return storage.ImportCounts{}, Late{}, err
	}
	sort.Slice(rates, func(i, j int) bool {
		a, b := rates[i], rates[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Month < b.Month
	})
	var counts storage.ImportCounts
	var late Late
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := periods.GuardInputs(ctx, tx, "importing"); err != nil {
			return err
		}
		changes, err := computedPeriods(ctx, tx, "an fx import changed exchange rates:")
		if err != nil {
			return err
		}
		if changes != nil {
			stored, err := tx.FXRateList(ctx)
			if err != nil {
				return err
			}
			old := make(map[[3]string]decimal.Decimal, len(stored))
			for _, x := range stored {
				old[[3]string{x.From, x.To, x.Month}] = x.Rate
			}
			for _, x := range rates {
				if was, ok := old[[3]string{x.From, x.To, x.Month}]; ok && was.Equal(x.Rate) {
					continue
				}
				changes.hits = append(changes.hits, lateHit{fxMonth(x.Month), fmt.Sprintf("%s→%s %s", x.From, x.To, x.Month)})
			}
		}
		if counts, err = tx.FXRateUpsert(ctx, rates); err != nil {
			return err
		}
		late.Rerun, late.Closed, err = changes.mark(ctx, tx)
		return err
	})
	if err != nil {
		return storage.ImportCounts{}, Late{}, err
	}
	return counts, late, nil
}

// fxMonth is the days of a checked YYYY-MM month.
func fxMonth(month string) period.Range {
	y, _ := strconv.Atoi(month[:4])
	m, _ := strconv.Atoi(month[5:])
	start := period.NewDate(y, time.Month(m), 1)
	return period.Range{Start: start, End: period.NewDate(y, time.Month(m)+1, 1).AddDays(-1)}
}

func fxRow(rec record, probs *problems) (facts.FXRate, bool) {
	before := probs.n
	for k := range rec.attrs {
		probs.add(rec.line, "attr."+k, "an fx file takes no attributes")
	}
	x := facts.FXRate{From: rec.get("from"), To: rec.get("to"), Month: rec.get("month")}
	for _, f := range []struct{ field, code string }{{"from", x.From}, {"to", x.To}} {
		if _, ok := money.Precision(f.code); !ok {
			probs.add(rec.line, f.field, "%s is not an ISO 4217 currency icomp knows (such as EUR, GBP, USD, JPY)", echo(f.code))
		}
	}
	if x.From != "" && x.From == x.To {
		probs.add(rec.line, "to", "from and to are both %s; a rate converts between two currencies", x.From)
	}
	if !fxMonthRE.MatchString(x.Month) {
		probs.add(rec.line, "month", "%s is not a month; want YYYY-MM, such as 2027-01", echo(x.Month))
	}
	rate := rec.get("rate")
	if !fxRateRE.MatchString(rate) {
		probs.add(rec.line, "rate", "%s is not a rate; want a positive plain decimal such as 0.8571", echo(rate))
	} else if d, err := decimal.NewFromString(rate); err != nil || d.Sign() <= 0 {
		probs.add(rec.line, "rate", "%s: a rate must be above 0", echo(rate))
	} else {
		x.Rate = d
	}
	return x, probs.n == before
}
