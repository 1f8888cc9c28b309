package facts

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
)

// TestLookupMonth checks that LookupMonth of a day's FXMonth is Lookup of
// the day.
func TestLookupMonth(t *testing.T) {
	r, err := NewFXRates([]FXRate{
		{From: "EUR", To: "USD", Month: "2027-01", Rate: decimal.RequireFromString("1.08")},
		{From: "EUR", To: "USD", Month: "2027-02", Rate: decimal.RequireFromString("1.10")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, day string }{
		{"EUR", "USD", "2027-01-01"}, {"EUR", "USD", "2027-01-31"}, {"EUR", "USD", "2027-02-14"},
		{"EUR", "USD", "2027-03-01"}, {"USD", "EUR", "2027-01-05"}, {"GBP", "USD", "2027-01-05"},
	} {
		day := period.MustDate(tc.day)
		want, wantMonth, wantOK := r.Lookup(tc.from, tc.to, day)
		got, ok := r.LookupMonth(tc.from, tc.to, FXMonth(day))
		if ok != wantOK || !got.Equal(want) || got.String() != want.String() || FXMonth(day) != wantMonth {
			t.Errorf("%+v: LookupMonth %s %v, Lookup %s %s %v", tc, got, ok, want, wantMonth, wantOK)
		}
	}
}
