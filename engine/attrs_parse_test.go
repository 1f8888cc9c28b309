package engine

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/rules"
)

// TestParseNumberMatchesParseAttr checks that parseNumber, where it takes
// a text, reads the number plans.ParseAttr reads, exponent included.
func TestParseNumberMatchesParseAttr(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789.-x 0000099")), 0, 24, -1).Draw(t, "s")
		got, ok := parseNumber(s, newDecSlab())
		want, err := plans.ParseAttr(rules.AttrNumber, s)
		if !ok {
			return // ParseAttr reads it, or rejects it
		}
		if err != nil {
			t.Fatalf("parseNumber(%q) = %s, but ParseAttr rejects it: %v", s, got, err)
		}
		if got.Exponent() != want.Number.Exponent() || got.Coefficient().Cmp(want.Number.Coefficient()) != 0 {
			t.Fatalf("parseNumber(%q) = %s × 10^%d, ParseAttr %s × 10^%d", s, got.Coefficient(), got.Exponent(), want.Number.Coefficient(), want.Number.Exponent())
		}
	})
	for _, s := range []string{"12", "-1250.50", "0", "-0", "0.000", "123456789012345678", "-99.99"} {
		if _, ok := parseNumber(s, nil); !ok {
			t.Errorf("parseNumber(%q) does not take it", s)
		}
	}
}
