package jobs_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/examples/datagen"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/ledger"
)

// table is a CSV file being edited: a header and rows.
type table struct {
	header []string
	rows   [][]string
}

func parseTable(t *testing.T, content string) *table {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return &table{header: rows[0], rows: rows[1:]}
}

func (tb *table) col(name string) int {
	i := slices.Index(tb.header, name)
	if i < 0 {
		panic("no column " + name)
	}
	return i
}

func (tb *table) String() string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(tb.header)
	_ = w.WriteAll(tb.rows)
	return buf.String()
}

// incrementalEdit changes the inputs of both workspaces alike and says
// what it did.
type incrementalEdit func(t *testing.T, rng *rand.Rand, people, txns *table, bs ...*testBundle) string

// incrementalEdits are the changes TestIncrementalMatchesFull makes: to
// transactions (amount, owner, territory, date, split, a new deal, a
// cancellation), to people (manager, territory, termination) and
// adjustments.
var incrementalEdits = []incrementalEdit{
	func(t *testing.T, rng *rand.Rand, _, txns *table, _ ...*testBundle) string {
		r := txns.rows[rng.IntN(len(txns.rows))]
		a := txns.col("amount")
		r[a] = decimal.RequireFromString(r[a]).Add(decimal.New(int64(rng.IntN(200000)-50000), -2)).StringFixed(2)
		return "amount of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, txns *table, _ ...*testBundle) string {
		r := txns.rows[rng.IntN(len(txns.rows))]
		r[txns.col("owner")] = people.rows[rng.IntN(len(people.rows))][0]
		return "owner of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, txns *table, _ ...*testBundle) string {
		r := txns.rows[rng.IntN(len(txns.rows))]
		r[txns.col("territory")] = people.rows[rng.IntN(len(people.rows))][people.col("territory")]
		return "territory of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, _, txns *table, _ ...*testBundle) string {
		r := txns.rows[rng.IntN(len(txns.rows))]
		r[txns.col("date")] = fmt.Sprintf("2027-%02d-%02d", 1+rng.IntN(6), 1+rng.IntN(28))
		return "date of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, txns *table, _ ...*testBundle) string {
		r := txns.rows[rng.IntN(len(txns.rows))]
		if r[txns.col("splits")] != "" {
			return "nothing (" + r[0] + " is split already)"
		}
		other := people.rows[rng.IntN(len(people.rows))][0]
		if other == r[txns.col("owner")] {
			return "nothing (" + r[0] + " would split to its owner)"
		}
		r[txns.col("splits")] = r[txns.col("owner")] + ":0.5;" + other + ":0.5"
		return "split of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, txns *table, _ ...*testBundle) string {
		src := txns.rows[rng.IntN(len(txns.rows))]
		r := slices.Clone(src)
		r[0] = fmt.Sprintf("N%06d", len(txns.rows))
		r[txns.col("owner")] = people.rows[rng.IntN(len(people.rows))][0]
		r[txns.col("splits")] = ""
		r[txns.col("attr.cancels")] = ""
		txns.rows = append(txns.rows, r)
		return "new deal " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, _, txns *table, _ ...*testBundle) string {
		src := txns.rows[rng.IntN(len(txns.rows))]
		if src[txns.col("type")] != "new" || src[txns.col("attr.cancels")] != "" {
			return "nothing (" + src[0] + " is not a new deal)"
		}
		r := slices.Clone(src)
		r[0] = "C" + src[0]
		r[txns.col("type")] = "cancellation"
		r[txns.col("amount")] = decimal.RequireFromString(src[txns.col("amount")]).Neg().StringFixed(2)
		r[txns.col("attr.cancels")] = src[0]
		r[txns.col("date")] = "2027-03-30"
		if slices.ContainsFunc(txns.rows, func(x []string) bool { return x[0] == r[0] }) {
			return "nothing (" + src[0] + " is cancelled already)"
		}
		txns.rows = append(txns.rows, r)
		return "cancellation of " + src[0]
	},
	func(t *testing.T, rng *rand.Rand, people, _ *table, _ ...*testBundle) string {
		r := people.rows[rng.IntN(len(people.rows))]
		var managers []string
		for _, m := range people.rows {
			if m[people.col("manager")] == "" || strings.HasPrefix(m[0], "mgr") || strings.HasPrefix(m[0], "rm") {
				if m[0] != r[0] {
					managers = append(managers, m[0])
				}
			}
		}
		if r[people.col("manager")] == "" || len(managers) == 0 {
			return "nothing (" + r[0] + " has no manager to change)"
		}
		r[people.col("manager")] = managers[rng.IntN(len(managers))]
		return "manager of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, _ *table, _ ...*testBundle) string {
		r := people.rows[rng.IntN(len(people.rows))]
		o := people.rows[rng.IntN(len(people.rows))]
		r[people.col("territory")] = o[people.col("territory")]
		return "territory of " + r[0]
	},
	func(t *testing.T, rng *rand.Rand, people, _ *table, bs ...*testBundle) string {
		r := people.rows[rng.IntN(len(people.rows))]
		amount := decimal.New(int64(rng.IntN(100000)-20000), -2).StringFixed(2)
		for _, b := range bs {
			b.adjust(t, r[0], amount, "property test")
		}
		return "adjustment for " + r[0]
	},
}

// TestIncrementalMatchesFull: after each of a random sequence of edits to
// deals, people and adjustments, an incremental re-run posts exactly what
// a full re-run of the same inputs posts (the same lines, in the same
// order), in the period and in the next one (whose year-to-date figures
// read it). (In this small org, a territory overlay and the managers
// reach most people from any deal; some re-runs recompute fewer.)
func TestIncrementalMatchesFull(t *testing.T) {
	t.Parallel()
	cfg := datagen.Config{Regions: 2, Transactions: 1500, CancelPercent: 3}
	var p, tx bytes.Buffer
	if err := datagen.WritePeople(&p, cfg); err != nil {
		t.Fatal(err)
	}
	if err := datagen.WriteTransactions(&tx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			people, txns := parseTable(t, p.String()), parseTable(t, tx.String())
			inc, full := setup(t), setup(t)
			for _, b := range []*testBundle{inc, full} {
				b.importPeople(t, people.String())
				b.importTxns(t, txns.String())
				b.publish(t, "../examples")
			}
			const next = "2027-Q2"
			rng := rand.New(rand.NewPCG(seed, 14))
			incremental, partial := 0, 0
			for step := range 8 {
				var did []string
				for range 1 + rng.IntN(2) {
					did = append(did, incrementalEdits[rng.IntN(len(incrementalEdits))](t, rng, people, txns, inc, full))
				}
				for _, b := range []*testBundle{inc, full} {
					b.importPeople(t, people.String())
					b.importTxns(t, txns.String())
				}
				// The next quarter runs every other step, so that the
				// period's changes reach it as a run of another period.
				labels := []string{testPeriod}
				if step%2 == 1 {
					labels = append(labels, next)
				}
				for _, label := range labels {
					ri := inc.mustRun(t, jobs.StartParams{Period: label})
					rf := full.mustRun(t, jobs.StartParams{Period: label, Full: true})
					if rf.Incremental() {
						t.Fatalf("step %d (%s): run %d of %s asked full is incremental: %+v", step, strings.Join(did, "; "), rf.ID, label, rf.Scope)
					}
					if ri.Incremental() {
						incremental++
						n, err := inc.st.PersonCount(t.Context())
						if err != nil {
							t.Fatal(err)
						}
						if len(ri.Scope.People) < n {
							partial++
						}
					}
					for _, l := range []string{testPeriod, next} {
						li, lf := inc.lines(t, l), full.lines(t, l)
						if diff := firstLineDifference(li, lf); diff != "" {
							t.Fatalf("step %d (%s), after run %d of %s (scope %+v): %s: the incremental ledger differs from the full one: %s",
								step, strings.Join(did, "; "), ri.ID, label, ri.Scope, l, diff)
						}
					}
					if ri.Digest != rf.Digest || ri.Lines != rf.Lines {
						t.Fatalf("step %d (%s): run %d of %s: incremental digest %s (%d lines), full %s (%d lines)", step, strings.Join(did, "; "), ri.ID, label, ri.Digest, ri.Lines, rf.Digest, rf.Lines)
					}
				}
			}
			if incremental < 6 || partial < 2 {
				t.Fatalf("%d of the re-runs were incremental, %d of them recomputing fewer people than there are: the test compares too few", incremental, partial)
			}
		})
	}
}

// firstLineDifference compares two ledgers line by line, in digest order
// (by logical key, then posting order: batches post in parallel, so the
// order of lines of different keys is not the same twice), by content
// (keys included); "" when they are the same.
func firstLineDifference(a, b []ledger.Line) string {
	order := func(ls []ledger.Line) []ledger.Line {
		ls = slices.Clone(ls)
		slices.SortStableFunc(ls, func(x, y ledger.Line) int {
			if c := strings.Compare(fmt.Sprint(ledger.KeyOf(x)), fmt.Sprint(ledger.KeyOf(y))); c != 0 {
				return c
			}
			return int(x.Seq - y.Seq)
		})
		return ls
	}
	a, b = order(a), order(b)
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) {
			return fmt.Sprintf("%d lines against %d", len(a), len(b))
		}
		x, y := a[i], b[i]
		x.Seq, y.Seq = 0, 0
		if fmt.Sprint(x) != fmt.Sprint(y) {
			return fmt.Sprintf("line %d: %+v against %+v", i, x, y)
		}
	}
	return ""
}

// TestIncrementalScope: a re-run after one changed deal recomputes the
// people who read it and their managers, and says so; a publication makes
// the next re-run full, and so does --full.
func TestIncrementalScope(t *testing.T) {
	t.Parallel()
	people, txns := dataset()
	changed, id := changeAmount(t, txns, "100")
	b := setupWithData(t)
	first := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if first.Incremental() || first.Scope == nil || !strings.Contains(first.Scope.Note, "no earlier complete run") {
		t.Fatalf("first run's scope %+v, want full with no earlier run", first.Scope)
	}
	b.importTxns(t, changed)
	second := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if !second.Incremental() || second.Scope.Base != first.ID || second.Scope.Note != fmt.Sprintf("1 transaction changed since run %d", first.ID) {
		t.Fatalf("re-run after changing %s: scope %+v, want incremental on run %d", id, second.Scope, first.ID)
	}
	pt := parseTable(t, people)
	tt := parseTable(t, changed)
	var owner string
	for _, r := range tt.rows {
		if r[0] == id {
			owner = r[tt.col("owner")]
		}
	}
	manager := ""
	for _, r := range pt.rows {
		if r[0] == owner {
			manager = r[pt.col("manager")]
		}
	}
	for _, want := range []string{owner, manager} {
		if _, ok := slices.BinarySearch(second.Scope.People, want); !ok || want == "" {
			t.Fatalf("re-run after changing %s (owner %s, manager %s) recomputed %v", id, owner, manager, second.Scope.People)
		}
	}
	third := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if !third.Incremental() || len(third.Scope.People) != 0 || third.Lines != 0 || third.Batches != 0 {
		t.Fatalf("re-run with nothing changed: %+v, scope %+v, want no batch", third, third.Scope)
	}
	src, err := os.ReadFile("../examples/account-executive/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), bytes.Replace(src, []byte("name: ae-quarterly\n"), []byte("name: ae-quarterly-copy\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	b.publish(t, dir)
	fourth := b.mustRun(t, jobs.StartParams{Period: testPeriod})
	if fourth.Incremental() || fourth.Scope == nil {
		t.Fatalf("re-run after publishing plans: scope %+v, want full", fourth.Scope)
	}
	fifth := b.mustRun(t, jobs.StartParams{Period: testPeriod, Full: true})
	if fifth.Incremental() || fifth.Scope == nil || fifth.Scope.Note != "a full run was asked for" {
		t.Fatalf("run asked full: scope %+v", fifth.Scope)
	}
	if fifth.Lines != 0 {
		t.Fatalf("a full re-run after an incremental one posted %d lines", fifth.Lines)
	}
}
