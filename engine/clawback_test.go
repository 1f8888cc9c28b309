package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// clawbackPlan pays 10% per credit and a marginal rate table on quarterly
// bookings (5% to 100,000, 8% above), and claws back both for 90 days.
const clawbackPlan = planHeader + ownerBookings + `components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.10
  - name: accelerator
    type: rate_table
    measure: bookings
    tiers:
      - {from: 0, to: 100000, rate: 0.05}
      - {from: 100000, rate: 0.08}
clawback:
  window_days: 90
`

// cancel builds a cancellation of deal dated date returning amount.
func cancel(id, date, deal, amount string) facts.Transaction {
	t := txn(id, date, "cancellation", "ae-1", amount)
	t.Attrs = map[string]string{"cancels": deal}
	return t
}

func TestClawback(t *testing.T) {
	plan := compPlan(t, clawbackPlan)
	// Q1 paid: commission 10% of 150,000 = 15,000; accelerator 5,000 +
	// 4,000 = 9,000 on bookings of 150,000, an effective 6%.
	q1 := []facts.Transaction{txn("T-1", "2027-02-10", "new", "ae-1", "100000"), txn("T-2", "2027-03-20", "new", "ae-1", "50000")}
	tests := []struct {
		name   string
		extra  []facts.Transaction
		want   map[string]string // line → amount
		note   string            // in the first commission clawback trace
		errHas string
	}{
		{
			name:  "whole deal within the window",
			extra: []facts.Transaction{cancel("C-1", "2027-04-15", "T-2", "-50000")},
			// 10% of 50,000; 6% of 50,000.
			want: map[string]string{"clawback/commission": "-5000", "clawback/accelerator": "-3000", "commission": "0"},
		},
		{
			name:  "partial return is proportional",
			extra: []facts.Transaction{cancel("C-1", "2027-04-15", "T-1", "-25000")},
			want:  map[string]string{"clawback/commission": "-2500", "clawback/accelerator": "-1500"},
		},
		{
			name:  "53 days is inside",
			extra: []facts.Transaction{cancel("C-1", "2027-05-12", "T-2", "-50000")}, // 53 days: inside
			want:  map[string]string{"clawback/commission": "-5000"},
		},
		{
			name:  "91 days is outside",
			extra: []facts.Transaction{cancel("C-1", "2027-05-12", "T-1", "-100000")},
			want:  map[string]string{"clawback/commission": "0", "clawback/accelerator": "0"},
			note:  "outside the 90-day clawback window",
		},
		{
			name:  "the cancellation does not change this period's pay",
			extra: []facts.Transaction{txn("T-3", "2027-04-02", "new", "ae-1", "20000"), cancel("C-1", "2027-04-15", "T-2", "-50000")},
			want:  map[string]string{"commission": "2000", "accelerator": "1000", "clawback/commission": "-5000"},
		},
		{
			name:   "unknown deal",
			extra:  []facts.Transaction{cancel("C-1", "2027-04-15", "T-9", "-1")},
			errHas: "cancellation C-1 of T-9: no transaction T-9 is known",
		},
		{
			name:   "more than the deal",
			extra:  []facts.Transaction{cancel("C-1", "2027-04-15", "T-2", "-30000"), cancel("C-2", "2027-04-20", "T-2", "-30000")},
			errHas: "cancellations of T-2 up to 2027-Q2 (the last C-2) return 60000, more than the deal's 50000",
		},
		{
			name:   "positive amount",
			extra:  []facts.Transaction{cancel("C-1", "2027-04-15", "T-2", "50000")},
			errHas: "give the amount returned as a negative number (-50000 for the whole deal)",
		},
		{
			name: "another owner",
			extra: []facts.Transaction{func() facts.Transaction {
				c := cancel("C-1", "2027-04-15", "T-2", "-1")
				c.Owner = "ae-2"
				return c
			}()},
			errHas: "must be the deal's",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txns := append(append([]facts.Transaction{}, q1...), tt.extra...)
			res, err := engine.Compute(engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: ae1, Transactions: txns})
			if tt.errHas != "" {
				if err == nil || !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want ErrInput with %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for line, want := range tt.want {
				if got := payout(t, res, "ae-1", line).Amount; !got.Equal(d(want)) {
					t.Errorf("%s = %s, want %s", line, got, want)
				}
			}
			tr := payout(t, res, "ae-1", "clawback/commission").Trace
			if len(tr.Clawbacks) == 0 {
				t.Fatal("no clawback in the trace")
			}
			if ct := tr.Clawbacks[0]; ct.Period != "2027-Q1" || ct.Cancellation != "C-1" || !strings.Contains(ct.Note, tt.note) {
				t.Errorf("trace %+v: want period 2027-Q1, C-1, note with %q", ct, tt.note)
			}
		})
	}
}

// A cancellation in the deal's own period takes it back in that period.
func TestClawbackSamePeriod(t *testing.T) {
	plan := compPlan(t, clawbackPlan)
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q1"), People: ae1, Transactions: []facts.Transaction{
		txn("T-1", "2027-02-10", "new", "ae-1", "40000"), cancel("C-1", "2027-03-01", "T-1", "-10000"),
	}})
	for line, want := range map[string]string{"commission": "4000", "accelerator": "2000", "clawback/commission": "-1000", "clawback/accelerator": "-500"} {
		if got := payout(t, res, "ae-1", line).Amount; !got.Equal(d(want)) {
			t.Errorf("%s = %s, want %s", line, got, want)
		}
	}
	if len(res.Credits) != 1 {
		t.Errorf("credits %+v: the cancellation must not be credited", res.Credits)
	}
}

// A deal of the previous fiscal year is recomputed in its own period.
func TestClawbackAcrossYears(t *testing.T) {
	plan := compPlan(t, strings.Replace(clawbackPlan, "effective: {from: 2027-01-01}", "effective: {from: 2026-01-01}", 1))
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q1"), People: ae1, Transactions: []facts.Transaction{
		txn("T-1", "2026-12-20", "new", "ae-1", "120000"), cancel("C-1", "2027-01-10", "T-1", "-120000"),
	}})
	// 2026-Q4 paid 12,000 commission and 5,000 + 1,600 accelerator.
	if got := payout(t, res, "ae-1", "clawback/commission").Amount; !got.Equal(d("-12000")) {
		t.Errorf("clawback/commission = %s, want -12000", got)
	}
	if got := payout(t, res, "ae-1", "clawback/accelerator").Amount; !got.Equal(d("-6600")) {
		t.Errorf("clawback/accelerator = %s, want -6600", got)
	}
	if from := engine.TransactionsFrom(plan, quarter(t, "2027-Q2")); from != period.MustDate("2027-01-01") {
		t.Errorf("TransactionsFrom(2027-Q2) = %s, want 2027-01-01", from)
	}
	if from := engine.TransactionsFrom(plan, quarter(t, "2027-Q1")); from != period.MustDate("2026-01-01") {
		t.Errorf("TransactionsFrom(2027-Q1) = %s, want 2026-01-01", from)
	}
}

// A deal dated before the plan took effect was not paid by it: nothing is
// clawed back, and the trace says why.
func TestClawbackBeforeThePlan(t *testing.T) {
	plan := compPlan(t, strings.Replace(clawbackPlan, "effective: {from: 2027-01-01}", "effective: {from: 2027-04-01}", 1))
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: ae1, Transactions: []facts.Transaction{
		txn("T-1", "2027-03-10", "new", "ae-1", "10000"), cancel("C-1", "2027-04-15", "T-1", "-10000"),
	}})
	line := payout(t, res, "ae-1", "clawback/commission")
	if len(line.Trace.Clawbacks) != 1 || !strings.Contains(line.Trace.Clawbacks[0].Note, "2027-Q1 is outside plan test version 1's effective dates (from 2027-04-01): the plan did not pay the deal, so nothing is clawed back") {
		t.Errorf("trace %+v: want a note on the effective dates", line.Trace.Clawbacks)
	}
	if !line.Amount.IsZero() {
		t.Errorf("clawback/commission = %s, want 0", line.Amount)
	}
}

// Split deals claw back from each person by their share; a capped or
// gated component takes back what it actually paid.
func TestClawbackSplitsCapGate(t *testing.T) {
	plan := compPlan(t, planHeader+`credit:
  - name: team
    to: splits
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.10
    cap: 3000
  - name: kicker
    type: per_credit
    amount: credit.amount * 0.01
    gate: measure.bookings >= 50000
clawback:
  window_days: 90
`)
	people := []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "ae-2", Role: "AE"}}
	deal := txn("T-1", "2027-03-01", "new", "ae-1", "40000", "ae-1", "0.75", "ae-2", "0.25")
	c := cancel("C-1", "2027-04-10", "T-1", "-20000")
	c.Splits = []facts.Split{{Person: "ae-2"}, {Person: "ae-1"}} // the same people; shares not needed
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: people, Transactions: []facts.Transaction{deal, c}})
	for _, tt := range []struct{ person, line, want string }{
		// ae-1: credited 30,000, priced 3,000 = the cap, not scaled; half back.
		{"ae-1", "clawback/commission", "-1500"},
		// ae-1's kicker gate (30,000 ≥ 50,000) was shut: nothing paid, nothing back.
		{"ae-1", "clawback/kicker", "0"},
		// ae-2: credited 10,000, priced 1,000; half back.
		{"ae-2", "clawback/commission", "-500"},
	} {
		if got := payout(t, res, tt.person, tt.line).Amount; !got.Equal(d(tt.want)) {
			t.Errorf("%s %s = %s, want %s", tt.person, tt.line, got, tt.want)
		}
	}
	if note := payout(t, res, "ae-1", "clawback/kicker").Trace.Clawbacks[0].Note; !strings.Contains(note, "gate was shut in 2027-Q1") {
		t.Errorf("kicker note %q", note)
	}

	// A cap that applied scales the deal's share: 60,000 credited prices
	// 6,000, capped at 3,000, so the deal earned half its priced amount.
	deal.Amount = d("80000")
	res = mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: people, Transactions: []facts.Transaction{deal, c}})
	if got := payout(t, res, "ae-1", "clawback/commission").Amount; !got.Equal(d("-750")) {
		t.Errorf("capped: ae-1 clawback/commission = %s, want -750 (3,000 paid of 6,000 priced, a quarter returned)", got)
	}
}

// TestClawbackTraceGolden renders the clawback lines' traces (a deal taken
// back in part at its own per-credit rate and at the rate table's
// effective rate, and one cancelled outside the window) and compares them
// with testdata/clawback-trace.golden; -update rewrites it.
func TestClawbackTraceGolden(t *testing.T) {
	res := mustCompute(t, engine.Input{Plan: compPlan(t, clawbackPlan), Period: quarter(t, "2027-Q2"), People: ae1, Transactions: []facts.Transaction{
		txn("T-1", "2027-01-05", "new", "ae-1", "100000"),
		txn("T-2", "2027-03-20", "new", "ae-1", "50000"),
		cancel("C-1", "2027-04-15", "T-2", "-12500"),
		cancel("C-2", "2027-04-30", "T-1", "-100000"), // 115 days
	}})
	var traces []engine.Trace
	for _, p := range res.Payouts {
		if p.Trace.Type == engine.TraceTypeClawback {
			traces = append(traces, p.Trace)
		}
	}
	got, err := json.MarshalIndent(traces, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "clawback-trace.golden")
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

// A per-deal rate table takes back what the deal itself earned, tier part
// by tier part, not the table's blended rate: T-2 straddled the 100,000
// boundary (50,000 at 5% and 50,000 at 8% = 6,500), so returning half of
// it takes back 3,250 (the blended 9,000/150,000 = 6% would take 3,000).
func TestClawbackPerDealTable(t *testing.T) {
	plan := compPlan(t, strings.Replace(clawbackPlan, "    measure: bookings\n", "    measure: bookings\n    per: deal\n", 1))
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: ae1, Transactions: []facts.Transaction{
		txn("T-1", "2027-02-10", "new", "ae-1", "50000"), txn("T-2", "2027-03-20", "new", "ae-1", "100000"),
		cancel("C-1", "2027-04-15", "T-2", "-50000"),
	}})
	line := payout(t, res, "ae-1", "clawback/accelerator")
	if !line.Amount.Equal(d("-3250")) {
		t.Fatalf("clawback/accelerator = %s, want -3250", line.Amount)
	}
	if ct := line.Trace.Clawbacks; len(ct) != 1 || !ct[0].Paid.Equal(d("6500")) || len(ct[0].Tiers) != 2 {
		t.Errorf("trace %+v: want the deal's 6500 paid over two tier parts", ct)
	}
}

// A manager credited with a report's deal by roll-up gives back their part
// when the deal is cancelled, like the report does (regression: reach()
// left roll-up credit out, so managers kept what cancelled deals paid).
func TestClawbackRollup(t *testing.T) {
	plan := compPlan(t, planHeader+`credit:
  - name: direct
    to: owner
  - name: team
    to: managers
    levels: 1
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.10
clawback:
  window_days: 90
`)
	people := []facts.Person{{ID: "ae-1", Role: "AE", Manager: "m-1"}, {ID: "m-1", Role: "AE"}}
	res := mustCompute(t, engine.Input{Plan: plan, Period: quarter(t, "2027-Q2"), People: people, Transactions: []facts.Transaction{
		txn("T-1", "2027-03-10", "new", "ae-1", "100000"), cancel("C-1", "2027-04-15", "T-1", "-50000"),
	}})
	for _, who := range []string{"ae-1", "m-1"} {
		if got := payout(t, res, who, "clawback/commission").Amount; !got.Equal(d("-5000")) {
			t.Errorf("%s: clawback/commission = %s, want -5000 (10%% of the 50,000 returned)", who, got)
		}
	}
}

// TestClawbackAndReleaseAcrossVersions: version 2 of a plan takes effect
// from 2027-04-01 at twice the commission rate; version 1 paid 2027-Q1. A
// Q1 deal cancelled in Q2 is clawed back at what version 1 paid it, and a
// Q1 deal held until its payment in Q2 is released at what version 1
// would have paid, when Input.Versions gives both. Regression test: with
// a run computing only the newest version, nothing was clawed back (the
// period was outside version 2's dates) and the held deal was never
// released.
func TestClawbackAndReleaseAcrossVersions(t *testing.T) {
	t.Parallel()
	v1 := compPlan(t, holdPlan)
	v2 := compPlan(t, strings.NewReplacer(`version: "1"`, `version: "2"`, "effective: {from: 2027-01-01}", "effective: {from: 2027-04-01}",
		"amount: credit.amount * 0.10", "amount: credit.amount * 0.20").Replace(holdPlan))
	txns := []facts.Transaction{
		paid("T-1", "2027-02-10", "100000", "2027-03-01"), // paid in Q1: 10,000 commission, 5,000 steps
		paid("T-2", "2027-03-20", "50000", "2027-05-01"),  // held in Q1 (5,000 and 4,000), paid for in Q2
		cancel("C-1", "2027-04-15", "T-1", "-50000"),      // half of T-1 returned in Q2
	}
	in := engine.Input{Plan: v2, Period: quarter(t, "2027-Q2"), People: ae1, Transactions: txns, Versions: []*plans.CompPlan{v2, v1}}
	res := mustCompute(t, in)
	for line, want := range map[string]string{"clawback/commission": "-5000", "clawback/steps": "-2500", "release/commission": "5000", "release/steps": "4000"} {
		if got := payout(t, res, "ae-1", line).Amount.String(); got != want {
			t.Errorf("%s = %s, want %s (what version 1 paid)", line, got, want)
		}
	}
	// Without the versions, version 2 did not pay Q1: nothing either way.
	in.Versions = nil
	res = mustCompute(t, in)
	if got := payout(t, res, "ae-1", "clawback/commission").Amount; !got.IsZero() {
		t.Errorf("without versions, clawback/commission = %s, want 0", got)
	}
	for _, p := range res.Payouts {
		if p.Component == "release/commission" && !p.Amount.IsZero() {
			t.Errorf("without versions, release/commission = %s, want none", p.Amount)
		}
	}
}

// TestVersionsAcrossTargetsFrequencyAndHold: an earlier period is
// recomputed with its own version's target plan; a quarterly version
// before a monthly one releases what it held in its quarter; and a
// version without hold refuses to drop what an earlier version held.
// Regression tests for the first cut of Input.Versions, which recomputed
// with the current version's target plan (and failed), read the deal's
// period with the current version's calendar (and released nothing), and
// released nothing when the new version had no hold section.
func TestVersionsAcrossTargetsFrequencyAndHold(t *testing.T) {
	t.Parallel()
	withTargets := func(src, name string) string {
		return strings.Replace(src, "period: quarterly\n", "period: quarterly\ntargets: "+name+"\n", 1)
	}
	v1 := compPlan(t, withTargets(holdPlan, "quotas"))
	q1 := []facts.Transaction{paid("T-1", "2027-02-10", "100000", "2027-03-01"), cancel("C-1", "2027-04-15", "T-1", "-50000")}

	t.Run("targets", func(t *testing.T) {
		t.Parallel()
		v2 := compPlan(t, strings.NewReplacer(`version: "1"`, `version: "2"`, "effective: {from: 2027-01-01}", "effective: {from: 2027-04-01}").Replace(withTargets(holdPlan, "quotas-2")))
		in := engine.Input{Plan: v2, Targets: targetPlan(t, strings.Replace(quotas, "name: quotas", "name: quotas-2", 1)), Period: quarter(t, "2027-Q2"), People: ae1, Transactions: q1,
			Versions: []*plans.CompPlan{v2, v1}, VersionTargets: map[string]*plans.TargetPlan{"quotas": targetPlan(t, quotas)}}
		if got := payout(t, mustCompute(t, in), "ae-1", "clawback/commission").Amount.String(); got != "-5000" {
			t.Fatalf("clawback/commission = %s, want -5000 (version 1's 10%% of half of T-1)", got)
		}
		in.VersionTargets = nil
		if _, err := engine.Compute(in); err == nil || !strings.Contains(err.Error(), "quotas") {
			t.Fatalf("without version 1's target plan: %v, want an error naming it", err)
		}
	})

	t.Run("frequency", func(t *testing.T) {
		t.Parallel()
		monthly := compPlan(t, strings.NewReplacer(`version: "1"`, `version: "2"`, "effective: {from: 2027-01-01}", "effective: {from: 2027-07-01}", "period: quarterly", "period: monthly").Replace(holdPlan))
		m07, err := period.Calendar{FiscalYearStartMonth: 1}.Parse("2027-M07")
		if err != nil {
			t.Fatal(err)
		}
		res := mustCompute(t, engine.Input{Plan: monthly, Period: m07, People: ae1, Transactions: []facts.Transaction{paid("T-5", "2027-05-10", "30000", "2027-07-15")},
			Versions: []*plans.CompPlan{monthly, compPlan(t, holdPlan)}})
		if got := payout(t, res, "ae-1", "release/commission").Amount.String(); got != "3000" {
			t.Fatalf("release/commission in 2027-M07 = %s, want 3000 (held in 2027-Q2 by the quarterly version)", got)
		}
	})

	t.Run("hold dropped", func(t *testing.T) {
		t.Parallel()
		noHold := compPlan(t, strings.NewReplacer(`version: "1"`, `version: "2"`, "effective: {from: 2027-01-01}", "effective: {from: 2027-04-01}", "hold:\n  until: paid_on\n", "").Replace(holdPlan))
		_, err := engine.Compute(engine.Input{Plan: noHold, Period: quarter(t, "2027-Q2"), People: ae1, Transactions: []facts.Transaction{paid("T-2", "2027-03-20", "50000", "2027-05-01")},
			Versions: []*plans.CompPlan{noHold, compPlan(t, holdPlan)}})
		if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), "was held in 2027-Q1 under version 1") || !strings.Contains(err.Error(), "keep hold:") {
			t.Fatalf("Compute: %v, want an error: version 1 held T-2 and version 2 has no release line", err)
		}
	})
}

// TestReleaseKeepsTheHoldersMaxDays: a deal held under version 1 (max_days
// 200) and paid for 150 days later is released in full by version 2,
// whose max_days is 90: the hold's terms are the holding version's.
func TestReleaseKeepsTheHoldersMaxDays(t *testing.T) {
	t.Parallel()
	v1 := compPlan(t, strings.Replace(holdPlan, "  until: paid_on\n", "  until: paid_on\n  max_days: 200\n", 1))
	v2 := compPlan(t, strings.NewReplacer(`version: "1"`, `version: "2"`, "effective: {from: 2027-01-01}", "effective: {from: 2027-07-01}", "  until: paid_on\n", "  until: paid_on\n  max_days: 90\n").Replace(holdPlan))
	res := mustCompute(t, engine.Input{Plan: v2, Period: quarter(t, "2027-Q3"), People: ae1, Transactions: []facts.Transaction{paid("T-7", "2027-03-01", "20000", "2027-07-29")},
		Versions: []*plans.CompPlan{v2, v1}})
	if got := payout(t, res, "ae-1", "release/commission").Amount.String(); got != "2000" {
		t.Fatalf("release/commission = %s, want 2000 (version 1 holds for 200 days)", got)
	}
}
