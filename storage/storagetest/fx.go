package storagetest

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/storage"
)

// testFXRates: rates are stored exactly (no float on the way), listed in
// order, and a re-import changes only the rates that differ.
func testFXRates(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	rate := func(from, to, month, r string) facts.FXRate {
		return facts.FXRate{From: from, To: to, Month: month, Rate: decimal.RequireFromString(r)}
	}
	var counts storage.ImportCounts
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		counts, err = tx.FXRateUpsert(ctx, []facts.FXRate{
			rate("EUR", "GBP", "2027-02", "0.8571428571428571428"),
			rate("EUR", "GBP", "2027-01", "0.85"),
			rate("JPY", "EUR", "2027-01", "0.0061"),
		})
		return err
	})
	if counts != (storage.ImportCounts{Inserted: 3}) {
		t.Fatalf("first upsert: %+v", counts)
	}
	inTx(t, ctx, st, func(tx storage.Tx) error {
		var err error
		counts, err = tx.FXRateUpsert(ctx, []facts.FXRate{rate("EUR", "GBP", "2027-01", "0.850"), rate("JPY", "EUR", "2027-01", "0.0062")})
		return err
	})
	if counts != (storage.ImportCounts{Changed: 1, Unchanged: 1}) {
		t.Fatalf("second upsert: %+v", counts)
	}
	got, err := st.FXRateList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"EUR GBP 2027-01 0.85", "EUR GBP 2027-02 0.8571428571428571428", "JPY EUR 2027-01 0.0062"}
	if len(got) != len(want) {
		t.Fatalf("FXRateList = %v", got)
	}
	for i, r := range got {
		if s := r.From + " " + r.To + " " + r.Month + " " + r.Rate.String(); s != want[i] {
			t.Errorf("rate %d = %s, want %s", i, s, want[i])
		}
	}
}
