package engine_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

// goldenPlan has a component of every kind, so that its traces show
// tiers, a cap, a gate, per-credit summaries, formula inputs, netting of
// prior payouts and the total cap.
const goldenPlan = planHeader + `targets: quotas
credit:
  - name: direct
    to: owner
    when: txn.product != "enterprise"
  - name: team
    to: splits
    when: txn.product == "enterprise"
measures:
  - name: bookings
    where: txn.type in ["new", "upsell", "refund"]
  - name: ytd_bookings
    window: ytd
  - name: new_logos
    aggregate: count
    where: txn.type == "new"
components:
  - name: commission
    earning_code: COMM
    type: rate_table
    measure: bookings
    key: attainment
    mode: marginal
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, to: 1.5, rate: 0.12}
      - {from: 1.5, rate: 0.15}
    cap: 15000
  - name: spiff
    type: per_credit
    where: txn.type == "new" && txn.amount >= 50000
    amount: 250 * credit.share
  - name: logo_bonus
    type: formula
    gate: attainment.bookings >= 0.5
    amount: measure.new_logos * 100
  - name: ytd_kicker
    type: rate_table
    measure: ytd_bookings
    mode: retroactive
    cumulative: true
    tiers:
      - {from: 0, to: 200000, rate: 0.01}
      - {from: 200000, rate: 0.02}
steps:
  - name: total_cap
    type: cap_total
    amount: "19000"
`

// TestTraceGolden renders the payout traces of a small calculation as
// indented JSON and compares them with testdata/trace.golden; run
// go test ./engine -run TestTraceGolden -update to rewrite it.
func TestTraceGolden(t *testing.T) {
	t.Parallel()
	ent := txn("T5", "2027-05-20", "new", "ae-1", "90000", "ae-1", "0.6", "ae-2", "0.4")
	ent.Product = "enterprise"
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, goldenPlan), Targets: targetPlan(t, quotas), Period: quarter(t, "2027-Q2"),
		People: []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "ae-2", Role: "AE"}},
		Transactions: []facts.Transaction{
			txn("T1", "2027-02-10", "new", "ae-1", "80000"), // Q1: year to date only
			txn("T2", "2027-04-03", "new", "ae-1", "60000"),
			txn("T3", "2027-04-28", "upsell", "ae-1", "75000.50"),
			txn("T4", "2027-05-02", "refund", "ae-1", "-5000.25"),
			ent,
			txn("T6", "2027-06-30", "renewal", "ae-2", "12345.67"),
			txn("T7", "2027-06-01", "new", "ae-2", "9999.99"),
		},
		Prior: []facts.PriorPayout{{Person: "ae-1", Component: "ytd_kicker", Amount: d("800")}},
	})
	traces := map[string][]engine.Trace{}
	for _, p := range res.Payouts {
		traces[p.Person] = append(traces[p.Person], p.Trace)
	}
	got, err := json.MarshalIndent(traces, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "trace.golden")
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
