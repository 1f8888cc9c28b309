package engine

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/money"
)

// Multi-currency (docs/plans.md §18). A transaction in another currency
// than the plan's is converted into the plan's currency at the rate for
// its currency pair and the month of its date (Input.FX), and rounded
// half up to the plan currency's minor unit: the one rounding point of a
// conversion. Rules then see txn.amount in the plan's currency (txn.currency
// stays the transaction's own), and each credit of the transaction carries
// the conversion, which the credit line's detail and the statement show.
// A missing rate is an error naming the pair, the month and the
// transaction, but only when the transaction credits one of the plan's
// payees: a deal the plan never credits is none of its business.

// Conversion is how a transaction's amount became the plan's currency:
// Amount = SourceAmount × Rate, rounded to the plan currency's minor unit.
type Conversion struct {
	From         string          `json:"from"`
	To           string          `json:"to"`
	Month        string          `json:"month"`
	Rate         decimal.Decimal `json:"rate"`
	SourceAmount decimal.Decimal `json:"source_amount"`
	Amount       decimal.Decimal `json:"amount"`
}

// String reads as a statement line: "1000.00 GBP × 1.22 (GBP→USD, 2027-01) = 1220.00 USD".
func (cv *Conversion) String() string {
	return fmt.Sprintf("%s %s × %s (%s→%s, %s) = %s %s", cv.SourceAmount, cv.From, cv.Rate, cv.From, cv.To, cv.Month, cv.Amount, cv.To)
}

// fxTxn returns the amount of transaction i in the plan's currency. When
// it cannot be converted, foreign is set and errForeign gives the error
// to return if the transaction credits a payee.
func (c *calc) fxTxn(i int) (amount decimal.Decimal, foreign bool, errForeign func() error) {
	t := c.txns[i].t
	if t.Currency == "" || t.Currency == c.plan.Currency {
		return t.Amount, false, nil
	}
	// The month is that of the day's date text, made once per day.
	month := c.dateString(t.Date)[:7]
	rate, ok := c.in.FX.LookupMonth(t.Currency, c.plan.Currency, month)
	if !ok {
		return t.Amount, true, func() error {
			return fmt.Errorf("%w: %w", ErrInput, &facts.MissingFXRateError{From: t.Currency, To: c.plan.Currency, Month: month,
				For: fmt.Sprintf("transaction %s (%s %s) for plan %s", t.ID, t.Amount, t.Currency, c.plan.Name)})
		}
	}
	amount = c.convert(t.Amount, rate)
	if c.in.nested != nil || !c.in.Period.Contains(t.Date) {
		// Only the period's credit lines show the conversion, and a
		// recomputation makes none.
		return amount, false, nil
	}
	cv := &Conversion{From: t.Currency, To: c.plan.Currency, Month: month, Rate: rate, SourceAmount: t.Amount, Amount: amount}
	if c.conversions == nil {
		c.conversions = make([]*Conversion, len(c.txns))
	}
	c.conversions[i] = cv
	return amount, false, nil
}

// convert is money.RoundHalfUp(amount × rate) in the plan's places,
// worked in fixes when the numbers fit.
func (c *calc) convert(amount, rate decimal.Decimal) decimal.Decimal {
	if fa, ok := toFix(amount); ok {
		if fr, ok := toFix(rate); ok {
			if p, ok := fa.mul(fr); ok {
				if r, ok := p.round(c.places); ok {
					return c.slab.of(r)
				}
			}
		}
	}
	return money.RoundHalfUp(amount.Mul(rate), c.places)
}

// fxOf returns the conversion of transaction i, or nil.
func (c *calc) fxOf(i int32) *Conversion {
	if c.conversions == nil {
		return nil
	}
	return c.conversions[i]
}
