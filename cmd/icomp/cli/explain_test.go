package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// explainFixture is a workspace with the statement test's people and
// transactions, the explain plans (testdata/explain/plans) published, and
// 2027-Q1 and 2027-Q2 run.
func explainFixture(t *testing.T) (db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", "testdata/explain/plans")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q2")
	return db
}

// explainLines are the lines of the golden tests: one of each kind the
// issue names.
var explainLines = []struct {
	name, line string
}{
	{"tiered", "explain-ae/2027-Q1/ae-1/commission"},
	{"capped", "explain-ae/2027-Q1/ae-1/accelerator"},
	{"cumulative", "explain-ae/2027-Q2/ae-1/ytd_commission"},
	{"per-credit", "explain-ae/2027-Q1/ae-1/new_logo_spiff"},
}

func TestExplainGolden(t *testing.T) {
	t.Parallel()
	db := explainFixture(t)
	for _, tc := range explainLines {
		for _, format := range []string{"text", "json"} {
			r := mustIcomp(t, "--db", db, "explain", tc.line, "--format", format)
			golden := filepath.Join("testdata", "explain", tc.name+"."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(r.out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if r.out != string(want) {
				t.Errorf("explain %s --format %s differs from %s (go test -update rewrites it):\n%s", tc.line, format, golden, lineDiff(string(want), r.out))
			}
		}
	}
	// The statement prints each line's handle.
	st := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q2")
	if want := "(icomp explain explain-ae/2027-Q2/ae-1/ytd_commission)"; !strings.Contains(st.out, want) {
		t.Errorf("the statement lacks %q:\n%s", want, st.out)
	}
	// The flags name the same line as the handle.
	byFlags := mustIcomp(t, "--db", db, "explain", "--plan", "explain-ae", "--period", "2027-Q1", "--person", "ae-1", "--component", "commission")
	if byHandle := mustIcomp(t, "--db", db, "explain", "explain-ae/2027-Q1/ae-1/commission"); byFlags.out != byHandle.out {
		t.Errorf("explain by flags differs from explain by handle:\n%s", lineDiff(byHandle.out, byFlags.out))
	}
}

func TestExplainErrors(t *testing.T) {
	t.Parallel()
	db := explainFixture(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explain"}, ExitUsage, "name the line"},
		{[]string{"explain", "explain-ae/2027-Q1"}, ExitUsage, "want PLAN/PERIOD/PERSON/COMPONENT"},
		{[]string{"explain", "explain-ae/2027-Q1/ae-1/commission", "--plan", "x"}, ExitUsage, "not both"},
		{[]string{"explain", "explain-ae/2027-Q1/ae-1/commission", "--format", "xml"}, ExitUsage, "want text or json"},
		{[]string{"explain", "explain-ae/2027-Q1/ae-1/bonus"}, ExitUsage, "no payout line explain-ae/2027-Q1/ae-1/bonus in force; the person's lines of the plan are: explain-ae/2027-Q1/ae-1/accelerator, explain-ae/2027-Q1/ae-1/commission,"},
		{[]string{"explain", "explain-ae/2027-Q1/mgr-1/commission"}, ExitUsage, "has the period been run?"},
	} {
		r := icomp(t, append([]string{"--db", db}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("icomp %s: %s\nwant exit %d and %q on stderr", strings.Join(tc.args, " "), r, tc.code, tc.want)
		}
	}
}

// explained is the part of `icomp explain --format json` the recomputation
// reads. It is decoded here, not with the reports types, so that the test
// relies on the JSON alone.
type explained struct {
	Type       string          `json:"type"`
	Amount     decimal.Decimal `json:"amount"`
	Definition struct {
		Measure    string `json:"measure"`
		Key        string `json:"key"`
		Mode       string `json:"mode"`
		Cumulative bool   `json:"cumulative"`
		Tiers      []struct {
			From decimal.Decimal  `json:"from"`
			To   *decimal.Decimal `json:"to"`
			Rate decimal.Decimal  `json:"rate"`
		} `json:"tiers"`
		Rules []struct {
			Role   string `json:"role"`
			Source string `json:"source"`
		} `json:"rules"`
	} `json:"definition"`
	Measures []struct {
		Measure    string          `json:"measure"`
		Value      decimal.Decimal `json:"value"`
		Target     string          `json:"target"`
		Attainment string          `json:"attainment"`
		Credits    []struct {
			Amount decimal.Decimal `json:"amount"`
			Value  decimal.Decimal `json:"value"`
		} `json:"credits"`
	} `json:"measures"`
	Deals []struct {
		Share  decimal.Decimal `json:"share"`
		Amount decimal.Decimal `json:"amount"`
		Value  decimal.Decimal `json:"value"`
	} `json:"deals"`
	Prior []struct {
		Amount decimal.Decimal `json:"amount"`
	} `json:"prior"`
	Trace struct {
		Prior *decimal.Decimal `json:"prior"`
	} `json:"trace"`
}

func (x *explained) rule(role string) string {
	for _, r := range x.Definition.Rules {
		if r.Role == role {
			return r.Source
		}
	}
	return ""
}

// TestExplainRecomputes recomputes each golden line by hand from the
// numbers its JSON explanation gives: each measure is the sum of the
// credits it lists, attainment is measure ÷ target, the tiers pay on the
// measure, the cap and the gate are applied, the amount rounded half up
// to cents and what earlier periods paid netted. The result must be the
// line's amount.
func TestExplainRecomputes(t *testing.T) {
	t.Parallel()
	db := explainFixture(t)
	dec := func(s string) decimal.Decimal {
		t.Helper()
		d, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return d
	}
	mulRule := regexp.MustCompile(`^measure\.(\w+) \* ([0-9.]+)$`)
	gateRule := regexp.MustCompile(`^attainment\.(\w+) >= ([0-9.]+)$`)
	perCreditRule := regexp.MustCompile(`^([0-9.]+) \* credit\.share$`)
	for _, tc := range explainLines {
		t.Run(tc.name, func(t *testing.T) {
			r := mustIcomp(t, "--db", db, "explain", tc.line, "--format", "json")
			var x explained
			if err := json.Unmarshal([]byte(r.out), &x); err != nil {
				t.Fatal(err)
			}
			measure := map[string]decimal.Decimal{}
			attainment := map[string]decimal.Decimal{}
			target := map[string]decimal.Decimal{}
			for _, m := range x.Measures {
				sum := decimal.Zero
				for _, c := range m.Credits {
					sum = sum.Add(c.Value)
				}
				if !sum.Equal(m.Value) {
					t.Fatalf("measure %s: its credits sum to %s, the explanation says %s", m.Measure, sum, m.Value)
				}
				measure[m.Measure] = sum
				target[m.Measure] = dec(m.Target)
				attainment[m.Measure] = dec(m.Attainment)
				if got := sum.DivRound(target[m.Measure], 7); !got.Equal(attainment[m.Measure]) {
					t.Fatalf("measure %s: %s ÷ %s = %s, the explanation says %s", m.Measure, sum, m.Target, got, m.Attainment)
				}
			}
			var computed decimal.Decimal
			switch x.Type {
			case "rate_table":
				if x.Definition.Key != "attainment" {
					t.Fatalf("key %s: the test knows attainment keys", x.Definition.Key)
				}
				v, tg := measure[x.Definition.Measure], target[x.Definition.Measure]
				for i, tier := range x.Definition.Tiers {
					from := tier.From.Mul(tg)
					switch x.Definition.Mode {
					case "marginal":
						hi := v
						if tier.To != nil && hi.GreaterThan(tier.To.Mul(tg)) {
							hi = tier.To.Mul(tg)
						}
						if hi.GreaterThan(from) {
							computed = computed.Add(hi.Sub(from).Mul(tier.Rate))
						}
					case "retroactive":
						if (i == 0 || !v.LessThan(from)) && (tier.To == nil || v.LessThan(tier.To.Mul(tg))) {
							computed = v.Mul(tier.Rate)
						}
					default:
						t.Fatalf("mode %s", x.Definition.Mode)
					}
				}
			case "formula":
				m := mulRule.FindStringSubmatch(x.rule("amount"))
				if m == nil {
					t.Fatalf("amount rule %q: the test reads measure.M * R", x.rule("amount"))
				}
				computed = measure[m[1]].Mul(dec(m[2]))
			case "per_credit":
				m := perCreditRule.FindStringSubmatch(x.rule("amount"))
				if m == nil || len(x.Deals) == 0 {
					t.Fatalf("amount rule %q, %d deals: the test reads N * credit.share over the deals", x.rule("amount"), len(x.Deals))
				}
				for _, d := range x.Deals {
					if want := dec(m[1]).Mul(d.Share); !d.Value.Equal(want) {
						t.Fatalf("deal priced %s, want %s × %s", d.Value, m[1], d.Share)
					}
					computed = computed.Add(d.Value)
				}
			default:
				t.Fatalf("type %s", x.Type)
			}
			if g := x.rule("gate"); g != "" {
				m := gateRule.FindStringSubmatch(g)
				if m == nil {
					t.Fatalf("gate %q: the test reads attainment.M >= N", g)
				}
				if attainment[m[1]].LessThan(dec(m[2])) {
					computed = decimal.Zero
				}
			}
			if c := x.rule("cap"); c != "" && computed.GreaterThan(dec(c)) {
				computed = dec(c)
			}
			computed = computed.Round(2) // half away from zero, as money.RoundHalfUp
			if x.Definition.Cumulative {
				// What earlier periods paid: the sum of their lines.
				prior := decimal.Zero
				for _, p := range x.Prior {
					prior = prior.Add(p.Amount)
				}
				if len(x.Prior) == 0 || x.Trace.Prior == nil || !prior.Equal(*x.Trace.Prior) {
					t.Fatalf("cumulative: earlier lines sum to %s over %d periods; the trace nets %v", prior, len(x.Prior), x.Trace.Prior)
				}
				computed = computed.Sub(prior)
			}
			if !computed.Equal(x.Amount) {
				t.Fatalf("recomputed %s from the explanation, the line pays %s\n%s", computed, x.Amount, r.out)
			}
			t.Logf("%s: recomputed %s", tc.line, computed)
		})
	}
}
