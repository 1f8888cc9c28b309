package calc_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/engine"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/plans/plantest"
	"github.com/icomp/icomp/storage"
)

// TestSettleBalances runs the settlement tests of testdata/settle: draws
// (limits on recovery, draws from hire, termination), carried deficits
// and their recovery, period by period.
func TestSettleBalances(t *testing.T) {
	t.Parallel()
	files, diags, err := plans.Check([]string{"testdata/settle"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("%s", d)
	}
	cases := 0
	for _, f := range files {
		if f.SettlementTest == nil {
			continue
		}
		for _, r := range plantest.RunSettlement(f.SettlementTest) {
			cases++
			if !r.Passed() {
				t.Errorf("\n%s", plantest.Format(r))
			}
		}
	}
	if cases < 9 {
		t.Fatalf("ran %d settlement test cases, want at least 9", cases)
	}
}

// TestSettleDrawRefusals checks the draws that cannot be settled: a draw
// from hire for a person without a hire date, and a draw that started
// before a period whose previous period was never calculated.
func TestSettleDrawRefusals(t *testing.T) {
	t.Parallel()
	pol := policy(t, `kind: settlement_policy
name: company
version: "1"
currency: USD
draws:
  - {name: from_hire, period: monthly, amount: 1000, recoverable: true, from: hire, periods: 3, on_termination: recover}
`)
	fixed := policy(t, `kind: settlement_policy
name: company
version: "2"
currency: USD
draws:
  - {name: fixed, period: monthly, amount: 1000, recoverable: true, from: 2027-M01, periods: 3, on_termination: recover}
`)
	cal := period.Calendar{}
	m02, _ := cal.Parse("2027-M02")
	tests := []struct {
		name string
		s    calc.Settlement
		want string
	}{
		{"no hire date", calc.Settlement{Period: m02, Calendar: cal, Earned: []ledger.Line{earned("ae-1", "a", "commission", "COMM", "500")},
			Policies: []*plans.SettlementPolicy{pol}, PreviousCalculated: true}, "ae-1 has no hire date"},
		{"previous period never calculated", calc.Settlement{Period: m02, Calendar: cal, Earned: []ledger.Line{earned("ae-1", "a", "commission", "COMM", "500")},
			Policies: []*plans.SettlementPolicy{fixed}}, "2027-M01 was never calculated; run the periods in order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := calc.Settle(tt.s)
			if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Settle: %v, want an input error saying %q", err, tt.want)
			}
		})
	}
}

// balanceStore is the part of storage OpeningBalances reads.
type balanceStore struct {
	storage.LedgerReader
	storage.PeriodReader
	periods []storage.PeriodRecord
	lines   []ledger.Line
	runs    []storage.Run
}

func (b balanceStore) PeriodGet(_ context.Context, label string) (storage.PeriodRecord, error) {
	for _, r := range b.periods {
		if r.Label == label {
			return r, nil
		}
	}
	return storage.PeriodRecord{}, storage.ErrNotFound
}

func (b balanceStore) RunList(context.Context) ([]storage.Run, error) { return b.runs, nil }

func (b balanceStore) PeriodList(context.Context) ([]storage.PeriodRecord, error) {
	return b.periods, nil
}

func (b balanceStore) LedgerLineList(_ context.Context, p storage.LedgerLineListParams) ([]ledger.Line, error) {
	var out []ledger.Line
	for _, l := range b.lines {
		if l.Ledger == p.Ledger && l.Period == p.Period && (len(p.People) == 0 || slices.Contains(p.People, l.Person)) {
			out = append(out, l)
		}
	}
	return out, nil
}

// TestOpeningBalances checks which balances a period opens with, and the
// refusal to settle past a period that was never calculated while a
// balance was carried into it.
func TestOpeningBalances(t *testing.T) {
	t.Parallel()
	cal := period.Calendar{}
	balance := func(periodLabel, person, amount string) ledger.Line {
		l := ledger.Line{Ledger: ledger.BalanceLedger, Period: periodLabel, Person: person, Subject: "deficit/USD", Currency: "USD", Amount: decimal.RequireFromString(amount)}
		l.Key = ledger.PostKey(l, "")
		return l
	}
	calculated := func(labels ...string) []storage.PeriodRecord {
		var out []storage.PeriodRecord
		for _, l := range labels {
			out = append(out, storage.PeriodRecord{Label: l, Status: storage.PeriodCalculated})
		}
		return out
	}
	lines := []ledger.Line{balance("2026-M12", "a", "40"), balance("2027-M01", "a", "25"), balance("2027-M01", "b", "0"), balance("2027-Q1", "a", "99"),
		balance("2027-M03", "a", "10"), balance("2027-M04", "a", "12")}
	lines[4].RunID, lines[5].RunID = 7, 5 // M03 run again (run 7) after M04's run 5
	done := func(ids map[string]int64) []storage.Run {
		var out []storage.Run
		for label, id := range ids {
			out = append(out, storage.Run{ID: id, Period: label, Status: storage.RunDone})
		}
		return out
	}
	tests := []struct {
		name     string
		period   string
		people   []string // default a and b
		periods  []storage.PeriodRecord
		want     string // person=amount of the opening lines
		previous bool
		err      string
		runs     []storage.Run
	}{
		{"the previous month's balances", "2027-M02", nil, calculated("2026-M12", "2027-M01", "2027-Q1"), "a=25 b=0", true, "", nil},
		{"across the fiscal year end", "2027-M01", nil, calculated("2026-M12"), "a=40", true, "", nil},
		{"nothing calculated before", "2027-M01", nil, nil, "", false, "", nil},
		{"a quarter opens with the quarter before", "2027-Q2", nil, calculated("2027-M01", "2027-Q1"), "a=99", true, "", nil},
		{"a gap after zero balances is fine", "2027-M03", []string{"b"}, calculated("2027-M01"), "", false, "", nil},
		{"a gap after a balance is refused", "2027-M02", nil, calculated("2026-M12"), "", false,
			"a carried a deficit/USD balance of 40 USD out of 2026-M12, but 2027-M01 was never calculated; run the periods between in order (icomp run --period 2027-M01)", nil},
		{"the period before the previous one changed its balances since the previous one ran", "2027-M05", []string{"a"}, calculated("2027-M03", "2027-M04"), "", false,
			"run 7 changed the deficit/USD balance 2027-M03 carries out for a (now 10 USD), after 2027-M04's last run (run 5) opened with the old one; run 2027-M04 again first",
			done(map[string]int64{"2027-M03": 7, "2027-M04": 5})},
		{"the previous period ran again after it", "2027-M05", []string{"a"}, calculated("2027-M03", "2027-M04"), "a=12", true, "",
			append(done(map[string]int64{"2027-M03": 7, "2027-M04": 5}), storage.Run{ID: 8, Period: "2027-M04", Status: storage.RunDone})},
		{"a failed run of the previous period does not count", "2027-M05", []string{"a"}, calculated("2027-M03", "2027-M04"), "", false, "run 2027-M04 again first",
			append(done(map[string]int64{"2027-M03": 7, "2027-M04": 5}), storage.Run{ID: 8, Period: "2027-M04", Status: storage.RunFailed})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := cal.Parse(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			people := tt.people
			if people == nil {
				people = []string{"a", "b"}
			}
			opening, previous, err := calc.OpeningBalances(context.Background(), balanceStore{periods: tt.periods, lines: lines, runs: tt.runs}, cal, p, people)
			if tt.err != "" {
				if !errors.Is(err, engine.ErrInput) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("OpeningBalances: %v, want an input error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range opening {
				got = append(got, l.Person+"="+l.Amount.String())
			}
			if strings.Join(got, " ") != tt.want || previous != tt.previous {
				t.Fatalf("opening %v, previous calculated %v; want %q, %v", got, previous, tt.want, tt.previous)
			}
		})
	}
}
