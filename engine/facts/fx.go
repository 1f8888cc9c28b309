package facts

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
)

// FXRate is an exchange rate for one currency pair and calendar month:
// one unit of From is Rate units of To, for amounts dated in Month
// (YYYY-MM). Rates are not inverted or chained: converting To into From
// needs its own rate.
type FXRate struct {
	From, To string
	Month    string
	Rate     decimal.Decimal
}

// FXRates finds rates by pair and month. The zero value has none.
type FXRates struct {
	m map[fxKey]decimal.Decimal
}

type fxKey struct{ from, to, month string }

// NewFXRates indexes rates; a pair and month given twice is an error.
func NewFXRates(rates []FXRate) (FXRates, error) {
	r := FXRates{m: make(map[fxKey]decimal.Decimal, len(rates))}
	for _, x := range rates {
		k := fxKey{x.From, x.To, x.Month}
		if prev, dup := r.m[k]; dup {
			return FXRates{}, fmt.Errorf("fx rate %s→%s for %s given twice (%s and %s)", x.From, x.To, x.Month, prev, x.Rate)
		}
		r.m[k] = x.Rate
	}
	return r, nil
}

// Len is the number of rates.
func (r FXRates) Len() int { return len(r.m) }

// Lookup returns the rate from → to for the month of day.
func (r FXRates) Lookup(from, to string, day period.Date) (rate decimal.Decimal, month string, ok bool) {
	month = FXMonth(day)
	rate, ok = r.m[fxKey{from, to, month}]
	return rate, month, ok
}

// LookupMonth returns the rate from → to for month (YYYY-MM, as FXMonth
// gives it).
func (r FXRates) LookupMonth(from, to, month string) (rate decimal.Decimal, ok bool) {
	rate, ok = r.m[fxKey{from, to, month}]
	return rate, ok
}

// FXMonth is the month (YYYY-MM) whose rate converts an amount dated day.
func FXMonth(day period.Date) string { return day.String()[:7] }

// MissingFXRateError is a conversion with no rate for its pair and month.
type MissingFXRateError struct {
	From, To, Month string
	// For says what needed the rate ("transaction T-17 for plan emea").
	For string
}

func (e *MissingFXRateError) Error() string {
	return fmt.Sprintf("no fx rate %s→%s for %s (needed by %s); import one with icomp import fx (from,to,month,rate)", e.From, e.To, e.Month, e.For)
}
