package engine_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/plans"
)

// perDealPlan is a per-deal rate table on a year-to-date measure: 4% up
// to 150,000, 6% to 250,000, 8% above (Salesforce Spiff's mamount table).
const perDealPlan = planHeader + `credit:
  - name: owner
measures:
  - name: arr_ytd
    window: ytd
components:
  - name: commission
    type: rate_table
    measure: arr_ytd
    per: deal
    tiers:
      - {from: 0, to: 150000, rate: 0.04}
      - {from: 150000, to: 250000, rate: 0.06}
      - {from: 250000, rate: 0.08}
`

// dealAmounts returns what a per-deal line paid each deal, by transaction.
func dealAmounts(tb testing.TB, p engine.Payout) map[string]string {
	tb.Helper()
	if p.Trace.Deals == nil {
		tb.Fatalf("%s / %s has no per-deal trace", p.Person, p.Component)
	}
	out := map[string]string{}
	for _, d := range p.Trace.Deals.Paid {
		out[d.Txn] = d.Rounded.String()
	}
	return out
}

func TestPerDealTable(t *testing.T) {
	t.Parallel()
	ae := []facts.Person{{ID: "ae-1", Role: "AE"}}
	tests := []struct {
		name  string
		plan  string
		txns  []facts.Transaction
		line  string
		deals map[string]string
	}{
		{
			name: "a deal straddling two tiers pays each part at its tier's rate",
			plan: perDealPlan,
			txns: []facts.Transaction{
				txn("D1", "2027-02-01", "new", "ae-1", "145000"), // Q1: carried in
				txn("D2", "2027-04-10", "new", "ae-1", "20000"),
			},
			line:  "1100", // 5,000 × 4% + 15,000 × 6%
			deals: map[string]string{"D2": "1100"},
		},
		{
			name: "deals on one day run in transaction ID order, whatever their amounts",
			plan: perDealPlan,
			txns: []facts.Transaction{
				txn("T-B", "2027-04-10", "new", "ae-1", "100000"),
				txn("T-A", "2027-04-10", "new", "ae-1", "100000"),
			},
			line:  "9000",
			deals: map[string]string{"T-A": "4000", "T-B": "5000"}, // T-B: 50,000 × 4% + 50,000 × 6%
		},
		{
			name: "a refund pays back at the rates of the tiers it takes the total down through",
			plan: perDealPlan,
			txns: []facts.Transaction{
				txn("D1", "2027-04-01", "new", "ae-1", "200000"),
				txn("R1", "2027-05-01", "refund", "ae-1", "-100000"),
			},
			line:  "4000", // 9,000 − (50,000 × 6% + 50,000 × 4%)
			deals: map[string]string{"D1": "9000", "R1": "-5000"},
		},
		{
			name: "a refund below zero pays back at the first tier's rate",
			plan: perDealPlan,
			txns: []facts.Transaction{
				txn("R1", "2027-04-01", "refund", "ae-1", "-1000"),
			},
			line:  "-40",
			deals: map[string]string{"R1": "-40"},
		},
		{
			name: "each deal is rounded to the cent, then the deals are added up",
			plan: strings.Replace(perDealPlan, "rate: 0.04}", "rate: 0.05}", 1),
			txns: []facts.Transaction{
				txn("D1", "2027-04-01", "new", "ae-1", "10.10"),
				txn("D2", "2027-04-02", "new", "ae-1", "10.10"),
				txn("D3", "2027-04-03", "new", "ae-1", "10.10"),
			},
			line:  "1.53", // 3 × round(0.505); the total 30.30 × 5% would round to 1.52
			deals: map[string]string{"D1": "0.51", "D2": "0.51", "D3": "0.51"},
		},
		{
			name: "key attainment multiplies the bounds by the target of the measure's window",
			plan: planHeader + "targets: quotas\n" + `credit:
  - name: owner
measures:
  - name: bookings
components:
  - name: commission
    type: rate_table
    measure: bookings
    key: attainment
    per: deal
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, rate: 0.12}
`,
			txns: []facts.Transaction{
				txn("D1", "2027-04-01", "new", "ae-1", "80000"),
				txn("D2", "2027-05-01", "new", "ae-1", "40000"),
				txn("D0", "2027-03-31", "new", "ae-1", "50000"), // Q1, outside the period window
			},
			line:  "10400", // D1 6,400; D2 20,000 × 8% + 20,000 × 12% = 4,000
			deals: map[string]string{"D1": "6400", "D2": "4000"},
		},
		{
			name: "per: deal_amount tiers each deal on its own amount, whatever came before",
			plan: strings.Replace(perDealPlan, "per: deal\n", "per: deal_amount\n", 1),
			txns: []facts.Transaction{
				txn("D1", "2027-02-01", "new", "ae-1", "145000"), // Q1: neither paid nor counted
				txn("D2", "2027-04-10", "new", "ae-1", "20000"),
				txn("D3", "2027-05-10", "new", "ae-1", "160000"),
			},
			line:  "7400", // D2 20,000 × 4%; D3 150,000 × 4% + 10,000 × 6%
			deals: map[string]string{"D2": "800", "D3": "6600"},
		},
		{
			name: "a window leaves deals outside it out of the running total too",
			plan: strings.Replace(perDealPlan, "    per: deal\n", "    per: deal\n    window: {from: 2027-04-05, to: 2027-06-30}\n", 1),
			txns: []facts.Transaction{
				txn("D1", "2027-02-01", "new", "ae-1", "145000"), // before the window
				txn("D2", "2027-04-04", "new", "ae-1", "1000"),   // a day early
				txn("D3", "2027-04-10", "new", "ae-1", "20000"),
			},
			line:  "800",
			deals: map[string]string{"D3": "800"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := engine.Input{Plan: compPlan(t, tt.plan), Period: quarter(t, "2027-Q2"), People: ae, Transactions: tt.txns}
			if in.Plan.Targets != "" {
				in.Targets = targetPlan(t, quotas)
			}
			line := payout(t, mustCompute(t, in), "ae-1", "commission")
			if !line.Amount.Equal(d(tt.line)) {
				t.Errorf("line: got %s, want %s", line.Amount, tt.line)
			}
			got := dealAmounts(t, line)
			if len(got) != len(tt.deals) {
				t.Errorf("deals: got %v, want %v", got, tt.deals)
			}
			for id, want := range tt.deals {
				if !d(got[id]).Equal(d(want)) {
					t.Errorf("deal %s: got %s, want %s", id, got[id], want)
				}
			}
		})
	}
}

// TestPerDealPaysEachDealOnce checks, across the four quarters of a year,
// that each deal is paid in its own quarter only, and that the exact deal
// amounts of the year add up to the marginal table on the year's total.
func TestPerDealPaysEachDealOnce(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, perDealPlan)
	txns := []facts.Transaction{
		txn("D1", "2027-01-15", "new", "ae-1", "90000"),
		txn("D2", "2027-03-30", "new", "ae-1", "90000"), // 60,000 at 4%, 30,000 at 6%
		txn("D3", "2027-05-05", "new", "ae-1", "120000"),
		txn("R1", "2027-08-01", "refund", "ae-1", "-50000"),
		txn("D4", "2027-11-11", "new", "ae-1", "100000"),
	}
	paid := map[string]int{}
	exact := decimal.Zero
	for _, q := range []string{"2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"} {
		line := payout(t, mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, q), People: []facts.Person{{ID: "ae-1", Role: "AE"}}, Transactions: txns}), "ae-1", "commission")
		for _, dt := range line.Trace.Deals.Paid {
			paid[dt.Txn]++
			exact = exact.Add(dt.Amount)
		}
	}
	for _, tx := range txns {
		if paid[tx.ID] != 1 {
			t.Errorf("deal %s paid in %d quarters, want 1", tx.ID, paid[tx.ID])
		}
	}
	// The year's total is 350,000: 150,000 × 4% + 100,000 × 6% + 100,000 × 8%.
	if want := d("20000"); !exact.Equal(want) {
		t.Errorf("the year's deals add up to %s, want %s", exact, want)
	}
}

func TestInterpolate(t *testing.T) {
	t.Parallel()
	pts := func(xy ...string) []plans.CurvePoint {
		var out []plans.CurvePoint
		for i := 0; i+1 < len(xy); i += 2 {
			out = append(out, plans.CurvePoint{X: d(xy[i]), Y: d(xy[i+1])})
		}
		return out
	}
	curve := &plans.Curve{Points: pts("0.7", "0", "1", "1", "1.5", "2"), Below: plans.CurveFlat, Above: plans.CurveFlat}
	tests := []struct {
		name   string
		curve  *plans.Curve
		x      string
		times  string
		where  string
		amount string
	}{
		{"between two points", curve, "0.85", "10000", "between", "5000"},
		{"on the steeper segment", curve, "1.2", "10000", "between", "14000"},
		{"at a point", curve, "1", "10000", "at", "10000"},
		{"at the first point", curve, "0.7", "10000", "at", "0"},
		{"below, flat", &plans.Curve{Points: pts("0.5", "0.25", "1", "1"), Below: plans.CurveFlat, Above: plans.CurveFlat}, "0.2", "100", "below", "25"},
		{"below, zero", &plans.Curve{Points: pts("0.5", "0.25", "1", "1"), Below: plans.CurveZero, Above: plans.CurveFlat}, "0.49", "100", "below", "0"},
		{"above, flat", curve, "3", "10000", "above", "20000"},
		{"above, extended", &plans.Curve{Points: pts("0.7", "0", "1", "1", "1.5", "2"), Below: plans.CurveFlat, Above: plans.CurveExtend}, "2", "10000", "above", "30000"},
		// 0.1 of a segment 0..0.3 rising by 1: 1/3 × 100, one division kept to 20 places.
		{"one division, to 20 places", &plans.Curve{Points: pts("0", "0", "0.3", "1"), Below: plans.CurveFlat, Above: plans.CurveFlat}, "0.1", "100", "between", "33.33333333333333333333"},
		{"an interpolated rate times a measure", &plans.Curve{Points: pts("0", "0.05", "1", "0.10"), Below: plans.CurveFlat, Above: plans.CurveFlat}, "0.5", "200000", "between", "15000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := engine.Interpolate(tt.curve, d(tt.x), d(tt.times))
			if ct.Where != tt.where || !ct.Amount.Equal(d(tt.amount)) {
				t.Errorf("got %s %s, want %s %s", ct.Where, ct.Amount, tt.where, tt.amount)
			}
		})
	}
}

// oncePlan pays a 5,000 bonus once in the year, the first quarter the
// year-to-date bookings reach 100,000.
const oncePlan = planHeader + `credit:
  - name: owner
measures:
  - name: bookings_ytd
    window: ytd
components:
  - name: milestone
    type: formula
    gate: measure.bookings_ytd >= 100000
    amount: 5000
    once: true
`

func TestOnce(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, oncePlan)
	ae := []facts.Person{{ID: "ae-1", Role: "AE"}}
	txns := []facts.Transaction{txn("D1", "2027-02-01", "new", "ae-1", "120000"), txn("D2", "2027-05-01", "new", "ae-1", "1000")}
	tests := []struct {
		name    string
		quarter string
		prior   []facts.PriorPayout
		want    string
	}{
		{"the first quarter that crosses pays", "2027-Q1", nil, "5000"},
		{"a later quarter after it was paid pays nothing", "2027-Q2", []facts.PriorPayout{{Person: "ae-1", Component: "milestone", Amount: d("5000")}}, "0"},
		{"a later quarter pays if no earlier one did", "2027-Q2", nil, "5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			line := payout(t, mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, tt.quarter), People: ae, Transactions: txns, Prior: tt.prior}), "ae-1", "milestone")
			if !line.Amount.Equal(d(tt.want)) {
				t.Errorf("got %s, want %s", line.Amount, tt.want)
			}
			if (len(tt.prior) > 0) != (line.Trace.Once != nil) {
				t.Errorf("trace once: got %+v", line.Trace.Once)
			}
		})
	}
}

// TestPerDealTraceGolden renders the traces of a per-deal rate table, a
// curve, a SPIFF window and a once component, and compares them with
// testdata/perdeal.golden; run go test ./engine -run TestPerDealTraceGolden
// -update to rewrite it.
func TestPerDealTraceGolden(t *testing.T) {
	t.Parallel()
	src := planHeader + "targets: quotas\n" + `credit:
  - name: owner
measures:
  - name: bookings
  - name: arr_ytd
    window: ytd
components:
  - name: commission
    type: rate_table
    measure: arr_ytd
    per: deal
    tiers:
      - {from: 0, to: 150000, rate: 0.04}
      - {from: 150000, rate: 0.06}
  - name: bonus
    type: curve
    of: attainment.bookings
    times: 10000
    points:
      - {x: 0.7, y: 0}
      - {x: 1.0, y: 1.0}
      - {x: 1.5, y: 2.0}
    below: zero
  - name: spiff
    type: per_credit
    window: {from: 2027-05-01, to: 2027-05-31}
    amount: 500
  - name: milestone
    type: formula
    gate: measure.arr_ytd >= 150000
    amount: 2500
    once: true
`
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Targets: targetPlan(t, quotas), Period: quarter(t, "2027-Q2"),
		People: []facts.Person{{ID: "ae-1", Role: "AE"}},
		Transactions: []facts.Transaction{
			txn("D1", "2027-02-01", "new", "ae-1", "145000"),
			txn("D2", "2027-04-10", "new", "ae-1", "20000"),
			txn("D3", "2027-05-20", "new", "ae-1", "65000"),
		},
	})
	var traces []engine.Trace
	for _, p := range res.Payouts {
		traces = append(traces, p.Trace)
	}
	got, err := json.MarshalIndent(traces, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "perdeal.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("traces differ from %s (run with -update if the change is intended):\n%s", path, got)
	}
}

// BenchmarkComputePerDeal is BenchmarkCompute on the realistic plan with
// the per-deal step rates, curve, SPIFF window and milestone of dealsPlan:
// the cost the mechanics of perdeal.go and curve.go add per transaction.
func BenchmarkComputePerDeal(b *testing.B) {
	const nPeople, nTxns = 100, 100_000
	people, txns := realisticFacts(1, nPeople, nTxns)
	in := realisticInput(b, people, txns)
	in.Plan = compPlan(b, dealsPlan)
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
