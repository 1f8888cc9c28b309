package engine_test

import (
	"fmt"
	"testing"

	"github.com/icomp/icomp/engine"
)

// BenchmarkComputeTypedFX is BenchmarkCompute on the plan with typed
// attributes (typedPlan: a per-unit SPIFF, a margin commission, a boolean
// and a date), every transaction carrying them, and one in five in EUR,
// converted at propertyFX.
func BenchmarkComputeTypedFX(b *testing.B) {
	const nPeople, nTxns = 100, 100_000
	people, txns := realisticFacts(1, nPeople, nTxns)
	for i := range people {
		people[i].Attrs = map[string]string{"target_incentive": "20000"}
	}
	for i := range txns {
		t := &txns[i]
		t.Attrs = map[string]string{"quantity": fmt.Sprint(i % 30), "cost": t.Amount.Div(d("4")).StringFixed(2), "signed_on": t.Date.AddDays(-3).String()}
		if i%7 == 0 {
			t.Attrs["multi_year"] = "true"
		}
		if i%5 == 0 {
			t.Currency = "EUR"
		}
	}
	in := realisticInput(b, people, txns)
	in.Plan = compPlan(b, typedPlan)
	in.FX = propertyFX
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := engine.Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N) * nTxns
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/txn")
	b.ReportMetric(n/b.Elapsed().Seconds(), "txn/s")
}
