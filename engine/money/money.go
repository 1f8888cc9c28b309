// Package money holds icomp's money rules: currency precision, the one
// rounding mode used for payouts, and the allocation of a split amount into
// shares that add up exactly.
//
// Every amount is a decimal.Decimal; nothing here touches float64.
package money

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// minorUnits is the number of decimal places of each supported ISO 4217
// currency.
var minorUnits = map[string]int32{
	"AED": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2,
	"ILS": 2, "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2,
	"MYR": 2, "NOK": 2, "NZD": 2, "PHP": 2, "PLN": 2, "SAR": 2, "SEK": 2,
	"SGD": 2, "THB": 2, "TRY": 2, "TWD": 2, "USD": 2, "ZAR": 2, "BHD": 3,
}

// Currencies returns the supported currency codes in order.
func Currencies() []string {
	out := make([]string, 0, len(minorUnits))
	for c := range minorUnits {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Precision returns the number of decimal places of currency code, and
// false when the code is not a supported ISO 4217 currency.
func Precision(code string) (int32, bool) {
	p, ok := minorUnits[code]
	return p, ok
}

// MustPrecision is Precision for codes already validated; it panics on an
// unknown code, which is a broken invariant.
func MustPrecision(code string) int32 {
	p, ok := minorUnits[code]
	if !ok {
		panic(fmt.Sprintf("invariant: unknown currency %q", code))
	}
	return p
}

// RoundHalfUp rounds amount to places decimal places, halves away from zero
// (2.345 → 2.35, -2.345 → -2.35). It is the only rounding of payout amounts.
func RoundHalfUp(amount decimal.Decimal, places int32) decimal.Decimal {
	return amount.Round(places)
}

// RoundToCurrency rounds amount half away from zero to the minor unit of
// currency code.
func RoundToCurrency(amount decimal.Decimal, code string) decimal.Decimal {
	return RoundHalfUp(amount, MustPrecision(code))
}

// AllocateFloorRemainderInOrder splits total into len(weights) shares
// proportional to weights (which must be non-negative and sum to 1), each
// share a whole number of minor units at places decimal places. Each share
// is first truncated toward zero; the minor units left over are then
// handed out one at a time to the shares in the order given, starting with
// the first. The shares always add up to total exactly. It panics when the
// weights hand out more than total, which weights summing to 1 cannot.
func AllocateFloorRemainderInOrder(total decimal.Decimal, weights []decimal.Decimal, places int32) []decimal.Decimal {
	if shares, ok := allocateSmall(total, weights, places); ok {
		return shares
	}
	return allocateDecimal(total, weights, places)
}

// AllocateFloorRemainderInOrderWith is AllocateFloorRemainderInOrder,
// appending the shares to dst[:0] (the same decimals, exponents
// included): shares worked out in int64 arithmetic are made by
// newDec(coefficient, exponent), which must give decimal.New's decimal,
// so that a caller making many may make them its own way.
func AllocateFloorRemainderInOrderWith(dst []decimal.Decimal, total decimal.Decimal, weights []decimal.Decimal, places int32, newDec func(c int64, e int32) decimal.Decimal) []decimal.Decimal {
	var shares [sharesMax]small
	if !allocateSmallInto(&shares, total, weights, places) {
		return append(dst[:0], allocateDecimal(total, weights, places)...)
	}
	dst = dst[:0]
	for i := range weights {
		dst = append(dst, newDec(shares[i].c, shares[i].e))
	}
	return dst
}

// allocateDecimal is AllocateFloorRemainderInOrder in decimal.Decimal
// arithmetic; allocateSmall gives the same shares, exponents included,
// without allocating per step when everything fits an int64.
func allocateDecimal(total decimal.Decimal, weights []decimal.Decimal, places int32) []decimal.Decimal {
	shares := make([]decimal.Decimal, len(weights))
	if len(weights) == 0 {
		return shares
	}
	allocated := decimal.Zero
	for i, w := range weights {
		shares[i] = total.Mul(w).Truncate(places)
		allocated = allocated.Add(shares[i])
	}
	unit := decimal.New(1, -places)
	if total.Sign() < 0 {
		unit = unit.Neg()
	}
	remainder := total.Sub(allocated)
	if remainder.Sign() != 0 && remainder.Sign() != unit.Sign() {
		panic(fmt.Sprintf("invariant: allocating %s by weights %v hands out more than the total", total, weights))
	}
	for i := 0; remainder.Sign() != 0; i = (i + 1) % len(shares) {
		if remainder.Abs().LessThan(unit.Abs()) {
			// total has more places than the currency: the sub-unit
			// residue goes to the first share so the sum stays exact.
			shares[0] = shares[0].Add(remainder)
			break
		}
		shares[i] = shares[i].Add(unit)
		remainder = remainder.Sub(unit)
	}
	return shares
}
