package rules

import (
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"
)

// The evaluation budget of a rule. A plan that passes plan check must run
// in bounded time and memory, whoever wrote it, so every rule that
// compiles obeys these limits on the VM and on the fast path alike:
//
//   - Steps. expr's VM has no step counter, so the budget is proven when
//     the rule compiles: rules have no loops but all, any, none and one
//     over a list written in the rule, which may not nest (check.go), so
//     counting each node once, and a predicate's body once per list
//     element, bounds the work of every run. A rule whose count exceeds
//     RuleStepsMax does not compile. The fast path runs no predicate, so
//     it takes at most NodesMax steps.
//   - Numbers. Every decimal operation (decimal.go) checks its result
//     against DecimalIntegerDigitsMax and DecimalPlacesMax, so that a rule
//     squaring a number again and again through let fails at once instead
//     of computing with millions of digits.
//   - Text. Text may be joined with + only where both sides are written in
//     the rule (check.go), and the join itself checks RuleStringBytesMax.
//   - Memory. The VM's memory budget (lists and maps a run builds) is
//     memoryBudgetMax.

// RuleStepsMax is the most steps one evaluation of a rule may take, where
// a step is one expression node evaluated once.
const RuleStepsMax = 10_000

// RuleStringBytesMax is the longest text, in bytes, a rule may build.
const RuleStringBytesMax = 4096

// DecimalIntegerDigitsMax is the most digits a number in a rule may have
// before the decimal point: every number a rule reads, writes or computes
// is below 10^40 in size.
const DecimalIntegerDigitsMax = 40

// DecimalPlacesMax is the most decimal places a number in a rule may
// have, trailing zeros not counted. A division keeps DivisionPlaces; the
// product of a few quotients keeps more, up to this limit.
const DecimalPlacesMax = 100

// memoryBudgetMax bounds what one evaluation may allocate, in expr's
// units (about one per list or map element built).
const memoryBudgetMax = 10_000

var (
	errDecimalTooLarge   = fmt.Errorf("number too large: a rule's numbers have at most %d digits before the decimal point", DecimalIntegerDigitsMax)
	errDecimalTooPrecise = fmt.Errorf("number too precise: a rule's numbers have at most %d decimal places", DecimalPlacesMax)
	errStringTooLong     = fmt.Errorf("text too long: a rule builds text of at most %d bytes", RuleStringBytesMax)
)

// limitDecimal checks d, the result of a decimal operation, against
// DecimalIntegerDigitsMax and DecimalPlacesMax. A zero carries no digits
// whatever its exponent; one whose exponent is out of range (0 × 1e30,
// squared) is returned as a plain 0, so that exponents stay bounded too.
func limitDecimal(d decimal.Decimal) (decimal.Decimal, error) {
	exp := int(d.Exponent())
	if d.IsZero() {
		if exp > DecimalIntegerDigitsMax || exp < -DecimalPlacesMax {
			return decimal.Zero, nil
		}
		return d, nil
	}
	if d.NumDigits()+exp > DecimalIntegerDigitsMax {
		return decimal.Decimal{}, errDecimalTooLarge
	}
	if exp < -DecimalPlacesMax && -exp-trailingZeros(d.Coefficient(), -exp-DecimalPlacesMax) > DecimalPlacesMax {
		return decimal.Decimal{}, errDecimalTooPrecise
	}
	return d, nil
}

var bigTen = big.NewInt(10)

// trailingZeros counts the trailing decimal zeros of c, a non-zero
// integer, up to most. It divides c in place.
func trailingZeros(c *big.Int, most int) int {
	var q, r big.Int
	n := 0
	for ; n < most; n++ {
		q.QuoRem(c, bigTen, &r)
		if r.Sign() != 0 {
			break
		}
		c.Set(&q)
	}
	return n
}

// checkLiteral reports a number written in a rule that is out of the
// limits, such as 1e50.
func checkLiteral(d decimal.Decimal) error {
	_, err := limitDecimal(d)
	return err
}
