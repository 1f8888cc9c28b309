package pgstore

import (
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
)

// TestDecimalNumeric: the credits' money values are copied as the
// decimal's String would have written them, digits and scale alike.
func TestDecimalNumeric(t *testing.T) {
	var ds []decimal.Decimal
	for _, s := range []string{"0", "0.00", "-0.000", "1", "1.00", "1.50", "-1.50", "463.96", "2236.9400", "0.0001", "100", "-100.000",
		"123456789012345678901234567890.1200", "-98765432109876543210.000", "0.000000000000000000000001000"} {
		ds = append(ds, decimal.RequireFromString(s))
	}
	big30, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	ds = append(ds, decimal.New(15, 2), decimal.New(-7, 3), decimal.New(0, 5), decimal.New(1200, -2), decimal.NewFromBigInt(big30, -5),
		decimal.NewFromBigInt(new(big.Int).Mul(big30, big.NewInt(1000)), -3), decimal.NewFromBigInt(big30, 4))
	for _, d := range ds {
		want, err := numeric(d.String())
		if err != nil {
			t.Fatal(err)
		}
		got := decimalNumeric(d)
		if got.Int.Cmp(want.Int) != 0 || got.Exp != want.Exp || !got.Valid {
			t.Errorf("decimalNumeric(%s) = %v e%d, want %v e%d (numeric of %q)", d.String(), got.Int, got.Exp, want.Int, want.Exp, d.String())
		}
	}
}
