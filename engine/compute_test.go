package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/plans"
)

// planHeader starts every test plan: a quarterly USD plan for role AE.
const planHeader = `kind: comp_plan
name: test
version: "1"
effective: {from: 2027-01-01}
currency: USD
period: quarterly
eligibility: person.role == "AE"
`

// quotas gives every AE a bookings target of 100,000 a quarter.
const quotas = `kind: target_plan
name: quotas
version: "1"
period: quarterly
targets:
  - role: AE
    measure: bookings
    periods: {2027-Q1: 100000, 2027-Q2: 100000, 2027-Q3: 100000, 2027-Q4: 100000}
`

// ownerBookings credits owners and sums their bookings over the period.
const ownerBookings = `credit:
  - name: direct
    to: owner
measures:
  - name: bookings
`

var ae1 = []facts.Person{{ID: "ae-1", Role: "AE"}}

// posOf returns the 1-based line and column of the first needle in src.
func posOf(tb testing.TB, src, needle string) (line, col int) {
	tb.Helper()
	i := strings.Index(src, needle)
	if i < 0 {
		tb.Fatalf("%q not in source", needle)
	}
	line = strings.Count(src[:i], "\n") + 1
	col = i - strings.LastIndex(src[:i], "\n")
	return line, col
}

// bookings makes one "new" transaction per amount for ae-1 in 2027-Q1.
func bookings(amounts ...string) []facts.Transaction {
	out := make([]facts.Transaction, len(amounts))
	for i, a := range amounts {
		out[i] = txn(fmt.Sprintf("T%d", i+1), "2027-02-01", "new", "ae-1", a)
	}
	return out
}

func TestRateTables(t *testing.T) {
	t.Parallel()
	// Tiers keyed on the amount: 0-100k at 5%, 100k and up at 10%; keyed
	// on attainment the same tiers are 0-1 and 1 up, against a 100,000
	// target, except where the case says otherwise.
	amountTiers := `
      - {from: 0, to: 100000, rate: 0.05}
      - {from: 100000, rate: 0.10}`
	attainmentTiers := `
      - {from: 0, to: 1, rate: 0.05}
      - {from: 1, rate: 0.10}`
	for _, tc := range []struct {
		name      string
		key, mode string
		target    string // bookings target for Q1; default 100000
		amounts   []string
		want      string
		// wantTiers lists the tiers that paid: tier, basis, amount.
		wantTiers [][3]string
	}{
		// 100,000 × 5% + 50,000 × 10% = 5,000 + 5,000 = 10,000.
		{name: "marginal on amount", key: "amount", mode: "marginal", amounts: []string{"100000", "50000"}, want: "10000",
			wantTiers: [][3]string{{"1", "100000", "5000"}, {"2", "50000", "5000"}}},
		// The whole 150,000 at the 10% of the tier it reaches: 15,000.
		{name: "retroactive on amount", key: "amount", mode: "retroactive", amounts: []string{"100000", "50000"}, want: "15000",
			wantTiers: [][3]string{{"2", "150000", "15000"}}},
		// Attainment 150,000 / 100,000 = 1.5: the same split as on amount.
		{name: "marginal on attainment", key: "attainment", mode: "marginal", amounts: []string{"150000"}, want: "10000",
			wantTiers: [][3]string{{"1", "100000", "5000"}, {"2", "50000", "5000"}}},
		{name: "retroactive on attainment", key: "attainment", mode: "retroactive", amounts: []string{"150000"}, want: "15000",
			wantTiers: [][3]string{{"2", "150000", "15000"}}},
		// Against an 80,000 target the break moves to 80,000 bookings:
		// 80,000 × 5% + 70,000 × 10% = 4,000 + 7,000 = 11,000.
		{name: "marginal on attainment, other target", key: "attainment", mode: "marginal", target: "80000", amounts: []string{"150000"}, want: "11000",
			wantTiers: [][3]string{{"1", "80000", "4000"}, {"2", "70000", "7000"}}},
		// Below the break both modes pay 80,000 × 5% = 4,000.
		{name: "marginal below the break", key: "amount", mode: "marginal", amounts: []string{"80000"}, want: "4000"},
		{name: "retroactive below the break", key: "amount", mode: "retroactive", amounts: []string{"80000"}, want: "4000"},
		// Exactly at the break: tiers are [from, to), so 100,000 is in
		// tier 2. Marginal: 100,000 × 5% = 5,000 and nothing above;
		// retroactive: 100,000 × 10% = 10,000.
		{name: "marginal at the break", key: "amount", mode: "marginal", amounts: []string{"100000"}, want: "5000"},
		{name: "retroactive at the break", key: "amount", mode: "retroactive", amounts: []string{"100000"}, want: "10000"},
		{name: "retroactive at the break on attainment", key: "attainment", mode: "retroactive", amounts: []string{"100000"}, want: "10000"},
		// Net refunds: -20,000 falls in the first tier: -1,000 either way.
		{name: "marginal on net refunds", key: "amount", mode: "marginal", amounts: []string{"10000", "-30000"}, want: "-1000"},
		{name: "retroactive on net refunds", key: "amount", mode: "retroactive", amounts: []string{"10000", "-30000"}, want: "-1000"},
		{name: "nothing booked", key: "attainment", mode: "marginal", amounts: nil, want: "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tiers := amountTiers
			if tc.key == "attainment" {
				tiers = attainmentTiers
			}
			src := planHeader + "targets: quotas\n" + ownerBookings + fmt.Sprintf(`components:
  - name: commission
    type: rate_table
    measure: bookings
    key: %s
    mode: %s
    tiers:%s
`, tc.key, tc.mode, tiers)
			targets := quotas
			if tc.target != "" {
				targets = strings.Replace(quotas, "2027-Q1: 100000", "2027-Q1: "+tc.target, 1)
			}
			res := mustCompute(t, engine.Input{
				Plan: compPlan(t, src), Targets: targetPlan(t, targets), Period: quarter(t, "2027-Q1"),
				People: ae1, Transactions: bookings(tc.amounts...),
			})
			line := payout(t, res, "ae-1", "commission")
			if !line.Amount.Equal(d(tc.want)) {
				t.Errorf("commission = %s, want %s", line.Amount, tc.want)
			}
			if tc.wantTiers == nil {
				return
			}
			var got [][3]string
			for _, tr := range line.Trace.Tiers {
				got = append(got, [3]string{fmt.Sprint(tr.Tier), tr.Basis.String(), tr.Amount.String()})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantTiers) {
				t.Errorf("tiers = %v, want %v", got, tc.wantTiers)
			}
		})
	}
}

func TestCapsAndGates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		extra   string // keys added to the commission component
		amounts []string
		want    string
		check   func(t *testing.T, tr engine.Trace)
	}{
		// 100,000 × 5% + 50,000 × 10% = 10,000, capped at 8,000.
		{name: "cap binds", extra: "cap: 8000", amounts: []string{"150000"}, want: "8000", check: func(t *testing.T, tr engine.Trace) {
			if !tr.Capped || tr.Cap == nil || !tr.Cap.Equal(d("8000")) || !tr.Computed.Equal(d("10000")) {
				t.Errorf("trace: capped %v, cap %v, computed %s; want capped at 8000 from 10000", tr.Capped, tr.Cap, tr.Computed)
			}
		}},
		// A cap of 12,000 leaves 10,000 alone; the trace still shows it.
		{name: "cap does not bind", extra: "cap: 12000", amounts: []string{"150000"}, want: "10000", check: func(t *testing.T, tr engine.Trace) {
			if tr.Capped || tr.Cap == nil || !tr.Cap.Equal(d("12000")) {
				t.Errorf("trace: capped %v, cap %v; want not capped, cap 12000", tr.Capped, tr.Cap)
			}
		}},
		// A cap computed by a rule: 5% of 150,000 bookings = 7,500.
		{name: "cap from a rule", extra: "cap: measure.bookings * 0.05", amounts: []string{"150000"}, want: "7500"},
		// Exactly at the cap is not capped: 10,000 with a cap of 10,000.
		{name: "cap equal to the amount", extra: "cap: 10000", amounts: []string{"150000"}, want: "10000", check: func(t *testing.T, tr engine.Trace) {
			if tr.Capped {
				t.Errorf("trace: capped, want not capped at equality")
			}
		}},
		// Attainment 49,999.99 / 100,000 < 0.5: the gate fails and the
		// component pays 0 without running its tiers.
		{name: "gate below threshold", extra: "gate: attainment.bookings >= 0.5", amounts: []string{"49999.99"}, want: "0", check: func(t *testing.T, tr engine.Trace) {
			if tr.Gate == nil || tr.Gate.Passed || tr.Gate.Rule != "attainment.bookings >= 0.5" || len(tr.Tiers) != 0 {
				t.Errorf("trace: gate %+v, tiers %v; want a failed gate and no tiers", tr.Gate, tr.Tiers)
			}
			// The trace shows what the gate read, so a statement can say why.
			var att string
			for _, in := range tr.Inputs {
				if in.Name == "attainment.bookings" {
					att = in.Value.String()
				}
			}
			if att != "0.4999999" {
				t.Errorf("trace inputs %v: want attainment.bookings 0.4999999", tr.Inputs)
			}
		}},
		// Exactly at the threshold the gate opens: 50,000 × 5% = 2,500.
		{name: "gate at threshold", extra: "gate: attainment.bookings >= 0.5", amounts: []string{"50000"}, want: "2500", check: func(t *testing.T, tr engine.Trace) {
			if tr.Gate == nil || !tr.Gate.Passed {
				t.Errorf("trace: gate %+v, want passed", tr.Gate)
			}
		}},
		// Above it: 75,000 × 5% = 3,750.
		{name: "gate above threshold", extra: "gate: attainment.bookings >= 0.5", amounts: []string{"75000"}, want: "3750"},
		// A failed gate with a cap: still 0.
		{name: "gate fails under a cap", extra: "gate: measure.bookings > 200000\n    cap: 1000", amounts: []string{"150000"}, want: "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := planHeader + "targets: quotas\n" + ownerBookings + `components:
  - name: commission
    type: rate_table
    measure: bookings
    tiers:
      - {from: 0, to: 100000, rate: 0.05}
      - {from: 100000, rate: 0.10}
    ` + tc.extra + "\n"
			res := mustCompute(t, engine.Input{
				Plan: compPlan(t, src), Targets: targetPlan(t, quotas), Period: quarter(t, "2027-Q1"),
				People: ae1, Transactions: bookings(tc.amounts...),
			})
			line := payout(t, res, "ae-1", "commission")
			if !line.Amount.Equal(d(tc.want)) {
				t.Errorf("commission = %s, want %s", line.Amount, tc.want)
			}
			if tc.check != nil {
				tc.check(t, line.Trace)
			}
		})
	}
}

// TestExactDecimalsInRules shows that numbers in rules are exact decimals:
// in float64, 0.1 + 0.2 is 0.30000000000000004 and the bonus would be 0.
func TestExactDecimalsInRules(t *testing.T) {
	t.Parallel()
	src := planHeader + ownerBookings + `components:
  - name: bonus
    type: formula
    amount: "0.1 + 0.2 == 0.3 ? 100 : 0"
  - name: dimes
    type: formula
    amount: "measure.bookings == 0.3 ? 7 : 0"
  - name: tenths
    type: per_credit
    amount: "credit.amount * 3 == 0.3 ? 1 : 0"
`
	// Three bookings of 0.1 sum to exactly 0.3 (float64 gives
	// 0.30000000000000004), and each 0.1 × 3 is exactly 0.3.
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"),
		People: ae1, Transactions: bookings("0.1", "0.1", "0.1"),
	})
	for comp, want := range map[string]string{"bonus": "100", "dimes": "7", "tenths": "3"} {
		if got := payout(t, res, "ae-1", comp).Amount; !got.Equal(d(want)) {
			t.Errorf("%s = %s, want %s", comp, got, want)
		}
	}
}

func TestSplitCredit(t *testing.T) {
	t.Parallel()
	people := []facts.Person{{ID: "a", Role: "AE"}, {ID: "b", Role: "AE"}, {ID: "c", Role: "AE"}}
	for _, tc := range []struct {
		name     string
		currency string
		amount   string
		splits   []string // person, share pairs
		want     map[string]string
	}{
		// 100.00 × 0.3333333334 = 33.33333334 and 100.00 × 0.3333333333 =
		// 33.33333333 all truncate to 33.33: 99.99 handed out; the cent
		// left goes to the first listed.
		{"thirds", "USD", "100.00", []string{"a", "0.3333333334", "b", "0.3333333333", "c", "0.3333333333"},
			map[string]string{"a": "33.34", "b": "33.33", "c": "33.33"}},
		// The cent goes by listed order, not to the largest share.
		{"thirds, largest share last", "USD", "100.00", []string{"a", "0.3333333333", "b", "0.3333333333", "c", "0.3333333334"},
			map[string]string{"a": "33.34", "b": "33.33", "c": "33.33"}},
		// 999.99 × 0.6 = 599.994 → 599.99; × 0.4 = 399.996 → 399.99;
		// 999.98 handed out, the cent left goes to a.
		{"sixty forty", "USD", "999.99", []string{"a", "0.6", "b", "0.4"},
			map[string]string{"a": "600.00", "b": "399.99"}},
		// A refund truncates toward zero too: -33.33 each, and the
		// leftover -0.01 goes to a.
		{"refund in thirds", "USD", "-100.00", []string{"a", "0.3333333334", "b", "0.3333333333", "c", "0.3333333333"},
			map[string]string{"a": "-33.34", "b": "-33.33", "c": "-33.33"}},
		// 0.02 × 0.34 = 0.0068, × 0.33 = 0.0066: all truncate to 0; the
		// two cents go one each to a and b.
		{"two cents three ways", "USD", "0.02", []string{"a", "0.34", "b", "0.33", "c", "0.33"},
			map[string]string{"a": "0.01", "b": "0.01", "c": "0"}},
		// Yen have no minor unit: 100 in thirds is 33 + 33 + 33 and one
		// yen to a.
		{"yen thirds", "JPY", "100", []string{"a", "0.3333333334", "b", "0.3333333333", "c", "0.3333333333"},
			map[string]string{"a": "34", "b": "33", "c": "33"}},
		{"whole to one", "USD", "250.00", []string{"b", "1"}, map[string]string{"b": "250.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(planHeader, "USD", tc.currency, 1) + `credit:
  - name: team
    to: splits
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`
			tx := txn("T1", "2027-02-01", "new", "a", tc.amount, tc.splits...)
			tx.Currency = tc.currency
			res := mustCompute(t, engine.Input{
				Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: people,
				Transactions: []facts.Transaction{tx},
			})
			got := map[string]string{}
			sum := decimal.Zero
			for _, c := range res.Credits {
				got[c.Person] = c.Amount.String()
				sum = sum.Add(c.Amount)
				if c.TxnID != "T1" || c.Rule != "team" {
					t.Errorf("credit %+v, want T1 by rule team", c)
				}
			}
			for p, want := range tc.want {
				if g, ok := got[p]; !ok || !d(g).Equal(d(want)) {
					t.Errorf("credit of %s = %q, want %s", p, g, want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("credits %v, want %v", got, tc.want)
			}
			// Split credit divides, never doubles.
			if !sum.Equal(d(tc.amount)) {
				t.Errorf("credits sum to %s, want the transaction's %s", sum, tc.amount)
			}
		})
	}
}

func TestSplitShareErrors(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: team
    to: splits
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`
	people := []facts.Person{{ID: "a", Role: "AE"}, {ID: "b", Role: "AE"}}
	for _, tc := range []struct {
		name   string
		splits []string
		want   string
	}{
		{"shares below 1", []string{"a", "0.5", "b", "0.4"}, "split shares sum to 0.9; want 1"},
		{"shares above 1", []string{"a", "0.6", "b", "0.6"}, "split shares sum to 1.2; want 1"},
		{"negative share", []string{"a", "1.5", "b", "-0.5"}, "split share -0.5 for b is negative"},
		{"person twice", []string{"a", "0.5", "a", "0.5"}, "a appears twice in the splits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Compute(engine.Input{
				Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: people,
				Transactions: []facts.Transaction{txn("T9", "2027-02-01", "new", "a", "100", tc.splits...)},
			})
			if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), "transaction T9") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInput about T9: %s", err, tc.want)
			}
		})
	}
}

func TestTerritoryCredit(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: overlay
    to: territory
measures:
  - name: bookings
components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.01
`
	people := []facts.Person{
		{ID: "a", Role: "AE", Territory: "west"},
		{ID: "b", Role: "AE", Territory: "west"},
		{ID: "c", Role: "AE", Territory: "east"},
		{ID: "s", Role: "SE", Territory: "west"}, // not eligible
		{ID: "n", Role: "AE"},                    // no territory
	}
	west := txn("T1", "2027-02-01", "new", "x", "1000")
	west.Territory = "west"
	none := txn("T2", "2027-02-01", "new", "a", "500") // no territory: nobody
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: people,
		Transactions: []facts.Transaction{west, none},
	})
	// Overlay credit: every eligible person of the territory gets the
	// whole 1,000 (1% = 10); nobody else gets anything.
	var got []string
	for _, c := range res.Credits {
		got = append(got, fmt.Sprintf("%s:%s:%s:%s", c.Person, c.TxnID, c.Amount, c.Share))
	}
	if want := "[a:T1:1000:1 b:T1:1000:1]"; fmt.Sprint(got) != want {
		t.Errorf("credits %v, want %s", got, want)
	}
	for p, want := range map[string]string{"a": "10", "b": "10", "c": "0", "n": "0"} {
		if g := payout(t, res, p, "commission").Amount; !g.Equal(d(want)) {
			t.Errorf("commission of %s = %s, want %s", p, g, want)
		}
	}
	for _, l := range res.Payouts {
		if l.Person == "s" {
			t.Errorf("ineligible person s has a payout line %+v", l)
		}
	}
}

func TestPerCreditWhere(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: direct
    to: owner
    when: txn.product != "enterprise"
  - name: team
    to: splits
    when: txn.product == "enterprise"
measures:
  - name: bookings
components:
  - name: spiff
    type: per_credit
    where: txn.type == "new" && txn.amount >= 50000
    amount: 250 * credit.share
`
	people := []facts.Person{{ID: "a", Role: "AE"}, {ID: "b", Role: "AE"}}
	ent := txn("T4", "2027-03-01", "new", "a", "50000", "a", "0.6", "b", "0.4")
	ent.Product = "enterprise"
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: people,
		Transactions: []facts.Transaction{
			txn("T1", "2027-01-15", "new", "a", "60000"),    // pays 250
			txn("T2", "2027-01-20", "new", "a", "49999.99"), // below 50,000
			txn("T3", "2027-02-10", "upsell", "a", "70000"), // not new
			ent, // split: a 250 × 0.6 = 150, b 250 × 0.4 = 100
			txn("T5", "2026-12-20", "new", "a", "90000"), // last fiscal year
			txn("T6", "2027-04-02", "new", "a", "90000"), // next quarter
		},
	})
	// a: 250 + 150 = 400 from two credits, on a basis of 60,000 + 30,000.
	a := payout(t, res, "a", "spiff")
	if !a.Amount.Equal(d("400")) || a.Trace.Credits == nil || a.Trace.Credits.Count != 2 || !a.Trace.Credits.Basis.Equal(d("90000")) {
		t.Errorf("a: spiff %s, trace %+v; want 400 from 2 credits on 90000", a.Amount, a.Trace.Credits)
	}
	if b := payout(t, res, "b", "spiff"); !b.Amount.Equal(d("100")) {
		t.Errorf("b: spiff %s, want 100", b.Amount)
	}
}

func TestCountMeasure(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: direct
    to: owner
measures:
  - name: new_logos
    aggregate: count
    where: txn.type == "new"
  - name: bookings
components:
  - name: logo_bonus
    type: formula
    amount: measure.new_logos * 100
`
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: ae1,
		Transactions: []facts.Transaction{
			txn("T1", "2027-01-15", "new", "ae-1", "60000"),
			txn("T2", "2027-01-20", "new", "ae-1", "0.01"),
			txn("T3", "2027-02-10", "upsell", "ae-1", "70000"),
			txn("T4", "2027-02-11", "refund", "ae-1", "-100"),
			txn("T5", "2027-03-31", "new", "ae-1", "5"),
		},
	})
	// Three new deals, whatever their size: 3 × 100 = 300.
	m := measure(t, res, "ae-1", "new_logos")
	if !m.Value.Equal(d("3")) || m.Credits != 3 {
		t.Errorf("new_logos = %s from %d credits, want 3 from 3", m.Value, m.Credits)
	}
	if b := measure(t, res, "ae-1", "bookings"); !b.Value.Equal(d("129905.01")) || b.Credits != 5 {
		t.Errorf("bookings = %s from %d credits, want 129905.01 from 5", b.Value, b.Credits)
	}
	if p := payout(t, res, "ae-1", "logo_bonus"); !p.Amount.Equal(d("300")) {
		t.Errorf("logo_bonus = %s, want 300", p.Amount)
	}
}

func TestWindows(t *testing.T) {
	t.Parallel()
	src := strings.Replace(planHeader, "quarterly", "monthly", 1) + `credit:
  - name: direct
    to: owner
measures:
  - name: month
  - name: qtd
    window: qtd
  - name: ytd
    window: ytd
components:
  - name: bonus
    type: formula
    amount: measure.month + measure.qtd + measure.ytd
`
	may, err := period.Calendar{}.Parse("2027-M05")
	if err != nil {
		t.Fatal(err)
	}
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: may, People: ae1,
		Transactions: []facts.Transaction{
			txn("T0", "2026-12-31", "new", "ae-1", "10000"), // last fiscal year: ignored
			txn("T1", "2027-01-10", "new", "ae-1", "1"),     // ytd
			txn("T2", "2027-04-01", "new", "ae-1", "10"),    // qtd, ytd
			txn("T3", "2027-05-31", "new", "ae-1", "100"),   // month, qtd, ytd
			txn("T4", "2027-06-01", "new", "ae-1", "1000"),  // after the period: ignored
		},
	})
	for _, tc := range []struct{ measure, value, span string }{
		{"month", "100", "2027-05-01..2027-05-31"},
		{"qtd", "110", "2027-04-01..2027-05-31"},
		{"ytd", "111", "2027-01-01..2027-05-31"},
	} {
		m := measure(t, res, "ae-1", tc.measure)
		if !m.Value.Equal(d(tc.value)) || m.Range.String() != tc.span {
			t.Errorf("%s = %s over %s, want %s over %s", tc.measure, m.Value, m.Range, tc.value, tc.span)
		}
	}
	// 100 + 110 + 111 = 321.
	if p := payout(t, res, "ae-1", "bonus"); !p.Amount.Equal(d("321")) {
		t.Errorf("bonus = %s, want 321", p.Amount)
	}
	// The credit ledger holds only the period's credits.
	if len(res.Credits) != 1 || res.Credits[0].TxnID != "T3" {
		t.Errorf("credits %+v, want only T3", res.Credits)
	}
}

func TestCumulative(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: direct
    to: owner
measures:
  - name: bookings
    window: ytd
components:
  - name: commission
    type: rate_table
    measure: bookings
    cumulative: true
    tiers:
      - {from: 0, to: 100000, rate: 0.05}
      - {from: 100000, rate: 0.10}
  - name: spiff
    type: per_credit
    cumulative: true
    where: txn.type == "new"
    amount: "100"
`
	txns := []facts.Transaction{
		txn("T1", "2027-02-01", "new", "ae-1", "50000"),
		txn("T2", "2027-03-01", "new", "ae-1", "30000"),
		txn("T3", "2027-05-01", "new", "ae-1", "70000"),
	}
	// Q1 paid 80,000 × 5% = 4,000 commission and 2 × 100 SPIFF.
	prior := []facts.PriorPayout{
		{Person: "ae-1", Component: "commission", Amount: d("4000")},
		{Person: "ae-1", Component: "spiff", Amount: d("200")},
		{Person: "ae-2", Component: "commission", Amount: d("99999")}, // someone else's
	}
	for _, tc := range []struct {
		name                    string
		prior                   []facts.PriorPayout
		wantCommission, wantSpf string
	}{
		// YTD bookings 150,000: 100,000 × 5% + 50,000 × 10% = 10,000,
		// less the 4,000 paid in Q1 = 6,000. SPIFF: 3 × 100 - 200 = 100.
		{"nets prior payouts", prior, "6000", "100"},
		// With nothing paid before, the whole year to date.
		{"no prior payouts", nil, "10000", "300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, engine.Input{
				Plan: compPlan(t, src), Period: quarter(t, "2027-Q2"), People: ae1,
				Transactions: txns, Prior: tc.prior,
			})
			c := payout(t, res, "ae-1", "commission")
			if !c.Amount.Equal(d(tc.wantCommission)) || !c.Trace.Rounded.Equal(d("10000")) || c.Trace.Prior == nil {
				t.Errorf("commission %s (rounded %s, prior %v), want %s from 10000", c.Amount, c.Trace.Rounded, c.Trace.Prior, tc.wantCommission)
			}
			if s := payout(t, res, "ae-1", "spiff"); !s.Amount.Equal(d(tc.wantSpf)) {
				t.Errorf("spiff %s, want %s", s.Amount, tc.wantSpf)
			}
		})
	}
}

func TestCapTotal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit, wantStep, wantTotal string
		capped                     bool
	}{
		// 10,000 + 2,000 = 12,000 over 11,000: the step takes off 1,000.
		{"11000", "-1000", "11000", true},
		{"20000", "0", "12000", false},
		{"12000", "0", "12000", false},
	} {
		src := planHeader + ownerBookings + `components:
  - name: commission
    type: rate_table
    measure: bookings
    tiers:
      - {from: 0, to: 100000, rate: 0.05}
      - {from: 100000, rate: 0.10}
  - name: bonus
    type: formula
    amount: "2000"
steps:
  - name: total_cap
    type: cap_total
    amount: "` + tc.limit + `"
`
		res := mustCompute(t, engine.Input{
			Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: ae1, Transactions: bookings("150000"),
		})
		step := payout(t, res, "ae-1", "total_cap")
		if !step.Amount.Equal(d(tc.wantStep)) || step.Trace.Capped != tc.capped {
			t.Errorf("limit %s: step %s capped %v, want %s capped %v", tc.limit, step.Amount, step.Trace.Capped, tc.wantStep, tc.capped)
		}
		if got := res.TotalFor("ae-1"); !got.Equal(d(tc.wantTotal)) {
			t.Errorf("limit %s: total %s, want %s", tc.limit, got, tc.wantTotal)
		}
		if got := fmt.Sprint(step.Trace.Inputs); got != "[{payout.bonus 2000} {payout.commission 10000}]" {
			t.Errorf("limit %s: step inputs %s", tc.limit, got)
		}
	}
}

func TestRefunds(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: direct
    to: owner
    when: txn.type in ["new", "refund"]
measures:
  - name: bookings
components:
  - name: commission
    type: rate_table
    measure: bookings
    tiers:
      - {from: 0, rate: 0.05}
  - name: per_deal
    type: per_credit
    amount: credit.amount * 0.01
`
	for _, tc := range []struct {
		name           string
		period         string
		txns           []facts.Transaction
		want, wantDeal string
	}{
		// 100,000 - 30,000 = 70,000 × 5% = 3,500; per deal 1,000 - 300 = 700.
		{"refund nets in the period", "2027-Q1", []facts.Transaction{
			txn("T1", "2027-01-10", "new", "ae-1", "100000"),
			txn("T2", "2027-02-10", "refund", "ae-1", "-30000"),
		}, "3500", "700"},
		// A refund alone claws back: -30,000 × 5% = -1,500; -300.
		{"refund alone claws back", "2027-Q2", []facts.Transaction{
			txn("T1", "2027-01-10", "new", "ae-1", "100000"),
			txn("T2", "2027-04-10", "refund", "ae-1", "-30000"),
		}, "-1500", "-300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, engine.Input{Plan: compPlan(t, src), Period: quarter(t, tc.period), People: ae1, Transactions: tc.txns})
			if got := payout(t, res, "ae-1", "commission").Amount; !got.Equal(d(tc.want)) {
				t.Errorf("commission %s, want %s", got, tc.want)
			}
			if got := payout(t, res, "ae-1", "per_deal").Amount; !got.Equal(d(tc.wantDeal)) {
				t.Errorf("per_deal %s, want %s", got, tc.wantDeal)
			}
		})
	}
}

func TestRounding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, currency string
		amounts        []string
		rate           string
		want, computed string
	}{
		// 1,050 × 3% = 31.5: yen have no minor unit; the half rounds away
		// from zero to 32.
		{"yen half up", "JPY", []string{"1050"}, "0.03", "32", "31.5"},
		{"yen half down for refunds", "JPY", []string{"-1050"}, "0.03", "-32", "-31.5"},
		{"yen below half", "JPY", []string{"1049"}, "0.03", "31", "31.47"},
		// 2.50 × 5% = 0.125 → 0.13 in dollars, -0.125 → -0.13.
		{"cents half up", "USD", []string{"2.50"}, "0.05", "0.13", "0.125"},
		{"cents negative", "USD", []string{"-2.50"}, "0.05", "-0.13", "-0.125"},
		// Dinars have three places: 0.01 × 5% = 0.0005 → 0.001.
		{"dinar three places", "KWD", []string{"0.01"}, "0.05", "0.001", "0.0005"},
		// Rounding happens once per line, not per credit: three credits
		// of 0.10 × 5% = 0.005 each sum to 0.015 → 0.02 (rounding each
		// first would give 0.03).
		{"once per line", "USD", []string{"0.10", "0.10", "0.10"}, "0.05", "0.02", "0.015"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(planHeader, "USD", tc.currency, 1) + ownerBookings + `components:
  - name: commission
    type: per_credit
    amount: credit.amount * ` + tc.rate + `
`
			res := mustCompute(t, engine.Input{Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: ae1, Transactions: bookings(tc.amounts...)})
			line := payout(t, res, "ae-1", "commission")
			if !line.Amount.Equal(d(tc.want)) || !line.Trace.Computed.Equal(d(tc.computed)) {
				t.Errorf("commission %s from %s, want %s from %s", line.Amount, line.Trace.Computed, tc.want, tc.computed)
			}
		})
	}
}

func TestRuleErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		src     string
		needle  string // the rule's source, whose position the error names
		subject string
	}{
		{"formula", planHeader + ownerBookings + `  - name: new_logos
    aggregate: count
    where: txn.type == "upsell"
components:
  - name: average
    type: formula
    amount: measure.bookings / measure.new_logos
`, "measure.bookings / measure.new_logos", "person ae-1, component average"},
		{"per credit", planHeader + ownerBookings + `components:
  - name: odd
    type: per_credit
    amount: credit.amount / (credit.share - 1)
`, "credit.amount / (credit.share - 1)", "person ae-1, transaction T1"},
		{"measure where", planHeader + `credit:
  - name: direct
    to: owner
measures:
  - name: bookings
    where: credit.amount / 0 > 1
components:
  - name: c
    type: formula
    amount: measure.bookings
`, "credit.amount / 0 > 1", "person ae-1, transaction T1"},
		{"credit amount", planHeader + `credit:
  - name: direct
    to: owner
    amount: |
      txn.amount
        / 0
measures:
  - name: bookings
components:
  - name: c
    type: formula
    amount: measure.bookings
`, "|", "transaction T1"},
		{"gate", planHeader + ownerBookings + `components:
  - name: c
    type: formula
    gate: measure.bookings / 0 > 1
    amount: "1"
`, "measure.bookings / 0 > 1", "person ae-1, component c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Compute(engine.Input{
				Plan: compPlan(t, tc.src), Period: quarter(t, "2027-Q1"), People: ae1,
				Transactions: bookings("100", "200"),
			})
			var re *engine.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), want a *engine.RuleError", err, err)
			}
			line, col := posOf(t, tc.src, tc.needle)
			want := plans.Pos{File: "plan.yaml", Line: line, Column: col}
			if re.Pos != want {
				t.Errorf("error at %s, want %s", re.Pos, want)
			}
			prefix := fmt.Sprintf("plan.yaml:%d:%d: %s: ", line, col, tc.subject)
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), "division by zero") {
				t.Errorf("err = %q, want it to start %q and say division by zero", err, prefix)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	t.Parallel()
	src := planHeader + "targets: quotas\n" + ownerBookings + `components:
  - name: commission
    type: rate_table
    measure: bookings
    key: attainment
    tiers:
      - {from: 0, rate: 0.05}
`
	plan := compPlan(t, src)
	targets := targetPlan(t, quotas)
	q1 := quarter(t, "2027-Q1")
	euro := txn("T1", "2027-02-01", "new", "ae-1", "100")
	euro.Currency = "EUR"
	for _, tc := range []struct {
		name string
		in   engine.Input
		want string
	}{
		{"person twice", engine.Input{Plan: plan, Targets: targets, Period: q1, People: []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "ae-1", Role: "AE"}}}, "person ae-1 appears twice"},
		{"person twice, once ineligible", engine.Input{Plan: plan, Targets: targets, Period: q1, People: []facts.Person{{ID: "ae-1", Role: "SE"}, {ID: "ae-1", Role: "AE"}}}, "person ae-1 appears twice"},
		{"transaction twice", engine.Input{Plan: plan, Targets: targets, Period: q1, People: ae1, Transactions: []facts.Transaction{
			txn("T1", "2027-02-01", "new", "ae-1", "100"), txn("T2", "2027-02-01", "new", "ae-1", "5"), txn("T1", "2027-03-01", "new", "ae-1", "100"),
		}}, "transaction T1 appears twice"},
		{"other currency", engine.Input{Plan: plan, Targets: targets, Period: q1, People: ae1, Transactions: []facts.Transaction{euro}}, "no fx rate EUR→USD for 2027-02 (needed by transaction T1 (100 EUR) for plan test)"},
		{"no target plan", engine.Input{Plan: plan, Period: q1, People: ae1}, "needs target plan quotas"},
		{"another target plan", engine.Input{Plan: plan, Targets: targetPlan(t, strings.Replace(quotas, "name: quotas", "name: other", 1)), Period: q1, People: ae1},
			`names target plan "quotas", not "other"`},
		{"a month for a quarterly plan", engine.Input{Plan: plan, Targets: targets, Period: quarter(t, "2027-M02"), People: ae1}, "pays quarterly; 2027-M02 is a monthly period"},
		{"no target for the person", engine.Input{Plan: plan, Targets: targetPlan(t, strings.Replace(quotas, "role: AE", "person: ae-1", 1)), Period: q1, People: []facts.Person{{ID: "ae-1", Role: "AE"}, {ID: "x", Role: "AE"}}},
			"measure bookings: 1 person(s) without a target: x"},
		{"zero target for the person", engine.Input{Plan: plan, Targets: targetPlan(t, strings.Replace(quotas, "2027-Q1: 100000", "2027-Q1: 0", 1)), Period: q1, People: ae1},
			"person ae-1 has no positive target for measure bookings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Compute(tc.in)
			if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInput containing %q", err, tc.want)
			}
		})
	}
}

// A transaction in another currency that credits none of the plan's
// payees is ignored, not an error.
func TestForeignCurrencyNotCredited(t *testing.T) {
	t.Parallel()
	plan := compPlan(t, planHeader+ownerBookings+`components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`)
	euro := txn("T1", "2027-02-01", "new", "someone-else", "100")
	euro.Currency = "EUR"
	res, err := engine.Compute(engine.Input{Plan: plan, Period: quarter(t, "2027-Q1"), People: ae1,
		Transactions: []facts.Transaction{euro, txn("T2", "2027-02-01", "new", "ae-1", "50")}})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if len(res.Credits) != 1 || res.Credits[0].TxnID != "T2" {
		t.Fatalf("credits %+v, want only T2", res.Credits)
	}
}

// TestFirstErrorIsDeterministic checks that with several bad transactions
// the error names the same one (the first by ID) in any input order.
func TestFirstErrorIsDeterministic(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: team
    to: splits
measures:
  - name: bookings
components:
  - name: c
    type: formula
    amount: measure.bookings
`
	txns := []facts.Transaction{
		txn("T3", "2027-02-01", "new", "ae-1", "100", "ae-1", "0.5"),
		txn("T1", "2027-02-01", "new", "ae-1", "100", "ae-1", "1"),
		txn("T2", "2027-02-01", "new", "ae-1", "100", "ae-1", "0.7"),
	}
	for i := range txns {
		rotated := append(append([]facts.Transaction{}, txns[i:]...), txns[:i]...)
		_, err := engine.Compute(engine.Input{Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: ae1, Transactions: rotated})
		if err == nil || !strings.Contains(err.Error(), "transaction T2:") {
			t.Errorf("rotation %d: err = %v, want the error of T2", i, err)
		}
	}
}

func TestEligibility(t *testing.T) {
	t.Parallel()
	src := planHeader + ownerBookings + `components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
`
	res := mustCompute(t, engine.Input{
		Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"),
		People: []facts.Person{{ID: "se-1", Role: "SE"}, {ID: "ae-1", Role: "AE"}},
		Transactions: []facts.Transaction{
			txn("T1", "2027-02-01", "new", "se-1", "1000"),
			txn("T2", "2027-02-01", "new", "ae-1", "500"),
		},
	})
	for _, c := range res.Credits {
		if c.Person != "ae-1" {
			t.Errorf("credit for ineligible %s", c.Person)
		}
	}
	if len(res.Payouts) != 1 || !res.Payouts[0].Amount.Equal(d("50")) {
		t.Errorf("payouts %+v, want ae-1's 50 only", res.Payouts)
	}
}

// TestClosedGateSkipsPerCreditRules checks that a per-credit component
// behind a closed gate runs none of its rules: a rule that would fail
// fails only when the gate opens.
func TestClosedGateSkipsPerCreditRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gate    string
		wantErr bool
	}{
		{"measure.bookings > 1000000", false},
		{"measure.bookings > 0", true},
	} {
		src := planHeader + ownerBookings + `components:
  - name: odd
    type: per_credit
    gate: ` + tc.gate + `
    amount: credit.amount / (credit.share - 1)
`
		res, err := engine.Compute(engine.Input{Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: ae1, Transactions: bookings("100")})
		var re *engine.RuleError
		switch {
		case tc.wantErr && !errors.As(err, &re):
			t.Errorf("gate %s: err = %v, want a RuleError", tc.gate, err)
		case !tc.wantErr && err != nil:
			t.Errorf("gate %s: %v", tc.gate, err)
		case !tc.wantErr && !payout(t, res, "ae-1", "odd").Amount.IsZero():
			t.Errorf("gate %s: odd pays %s, want 0", tc.gate, payout(t, res, "ae-1", "odd").Amount)
		}
	}
}

// TestFirstRuleErrorIsDeterministic checks that when a rule fails for
// several people and transactions, the error names the first person by
// ID and that person's first transaction by ID, in any input order.
func TestFirstRuleErrorIsDeterministic(t *testing.T) {
	t.Parallel()
	src := planHeader + `credit:
  - name: direct
    to: owner
measures:
  - name: bookings
  - name: odd
    where: credit.amount / (txn.amount - 7) > 0
components:
  - name: c
    type: formula
    amount: measure.bookings
`
	people := []facts.Person{{ID: "b", Role: "AE"}, {ID: "a", Role: "AE"}, {ID: "c", Role: "AE"}}
	txns := []facts.Transaction{
		txn("T5", "2027-02-01", "new", "c", "7"),
		txn("T4", "2027-02-01", "new", "a", "7"),
		txn("T3", "2027-02-01", "new", "b", "7"),
		txn("T2", "2027-02-01", "new", "a", "7"),
		txn("T1", "2027-02-01", "new", "a", "8"), // fine
	}
	for i := range txns {
		rotated := append(append([]facts.Transaction{}, txns[i:]...), txns[:i]...)
		_, err := engine.Compute(engine.Input{Plan: compPlan(t, src), Period: quarter(t, "2027-Q1"), People: people, Transactions: rotated})
		if err == nil || !strings.Contains(err.Error(), "person a, transaction T2:") {
			t.Errorf("rotation %d: err = %v, want the error of a on T2", i, err)
		}
	}
}

// TestComputedCapBelowZero: a cap rule that comes out below 0 for a
// person (plan check refuses only a constant one) stops the calculation
// naming the rule and the person, for a component cap and a cap_total
// step alike. Regression test: a cap of 100 - measure.bookings turned a
// 50 commission into a -400 deduction.
func TestComputedCapBelowZero(t *testing.T) {
	t.Parallel()
	for name, tail := range map[string]string{
		"component": `components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
    cap: 100 - measure.bookings
`,
		"step": `components:
  - name: commission
    type: per_credit
    amount: credit.amount * 0.1
steps:
  - name: headroom
    type: cap_total
    amount: 100 - measure.bookings
`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Compute(engine.Input{Plan: compPlan(t, planHeader+ownerBookings+tail), Period: quarter(t, "2027-Q1"), People: ae1, Transactions: bookings("500")})
			var re *engine.RuleError
			if !errors.Is(err, engine.ErrNegativeCap) || !errors.As(err, &re) || !strings.Contains(err.Error(), "person ae-1") || !strings.Contains(err.Error(), "came out -400, below 0") {
				t.Fatalf("Compute: %v, want a rule error naming the cap of -400 and ae-1", err)
			}
		})
	}
}
