package ledger_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
)

// computed is a freshly computed, unposted line.
func computed(name, person, subject, amount string) ledger.Line {
	return ledger.Line{Ledger: name, Plan: "ae", PlanHash: "h1", Period: "2027-Q1", Person: person, Subject: subject,
		Amount: decimal.RequireFromString(amount), Detail: `{"n":1}`}
}

// ledgerBook is an in-memory ledger: what Diff appends gets the next Seq,
// and a key already posted is skipped, as storage does.
type ledgerBook struct {
	lines []ledger.Line
	keys  map[string]bool
}

func (b *ledgerBook) post(t *testing.T, runID int64, lines ...ledger.Line) []ledger.Line {
	t.Helper()
	if b.keys == nil {
		b.keys = map[string]bool{}
	}
	diff := ledger.Diff(ledger.Fold(b.lines), lines, ledger.Posting{RunID: runID})
	for _, l := range diff {
		if l.Key == "" {
			t.Fatalf("diff line without a key: %+v", l)
		}
		if b.keys[l.Key] {
			t.Fatalf("diff posts key %s twice", l.Key)
		}
		b.keys[l.Key] = true
		l.Seq = int64(len(b.lines) + 1)
		b.lines = append(b.lines, l)
	}
	return diff
}

func TestDiffUnchangedPostsNothing(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	lines := []ledger.Line{
		computed(ledger.CreditLedger, "p1", "T1/owner", "100"),
		computed(ledger.AttainmentLedger, "p1", "bookings", "100"),
		computed(ledger.PayoutLedger, "p1", "commission", "8.00"),
		computed(ledger.PayoutLedger, "p2", "commission", "0"),
	}
	if got := b.post(t, 1, lines...); len(got) != 4 {
		t.Fatalf("first run posted %d lines, want 4", len(got))
	}
	for run := int64(2); run <= 3; run++ {
		if got := b.post(t, run, lines...); len(got) != 0 {
			t.Fatalf("run %d of unchanged input posted %+v, want nothing", run, got)
		}
	}
	// An equal amount written differently (8.00 vs 8) is unchanged too.
	same := slices.Clone(lines)
	same[2].Amount = decimal.RequireFromString("8")
	if got := b.post(t, 4, same...); len(got) != 0 {
		t.Fatalf("8 after 8.00 posted %+v, want nothing", got)
	}
}

func TestDiffFirstPost(t *testing.T) {
	t.Parallel()
	l := computed(ledger.PayoutLedger, "p1", "commission", "10")
	got := ledger.Diff(nil, []ledger.Line{l}, ledger.Posting{RunID: 7})
	if len(got) != 1 {
		t.Fatalf("posted %d lines, want 1", len(got))
	}
	p := got[0]
	if p.Kind != ledger.KindPost || p.Supersedes != "" || p.RunID != 7 || !p.Amount.Equal(l.Amount) || p.Key != ledger.PostKey(l, "") {
		t.Fatalf("first post = %+v", p)
	}
	if len(p.Key) != 32 {
		t.Fatalf("key %q, want 32 hex digits (128 bits of SHA-256)", p.Key)
	}
}

// TestDiffTraceAndPlanVersionPostNothing: a line whose numbers did not
// change is not re-posted because its trace text or plan version did.
func TestDiffTraceAndPlanVersionPostNothing(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	a := computed(ledger.PayoutLedger, "p1", "commission", "10")
	b.post(t, 1, a)
	for _, change := range []func(l *ledger.Line){
		func(l *ledger.Line) { l.Detail = `{"n":2}` },
		func(l *ledger.Line) { l.PlanHash = "h2" },
	} {
		changed := a
		change(&changed)
		if got := b.post(t, 2, changed); len(got) != 0 {
			t.Fatalf("posted %+v after a trace-only change, want nothing", got)
		}
	}
}

func TestDiffChangedPostsReversalAndNewLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(l *ledger.Line)
	}{
		{"amount", func(l *ledger.Line) { l.Amount = decimal.RequireFromString("12.50") }},
		{"currency", func(l *ledger.Line) { l.Currency = "EUR" }},
		{"earning code", func(l *ledger.Line) { l.EarningCode = "BONUS" }},
		{"basis", func(l *ledger.Line) { l.Basis = "target=100 attainment=0.1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b ledgerBook
			a := computed(ledger.PayoutLedger, "p1", "commission", "10")
			other := computed(ledger.PayoutLedger, "p2", "commission", "20")
			first := b.post(t, 1, a, other)
			old := first[0]
			changed := a
			tt.change(&changed)
			got := b.post(t, 2, changed, other)
			if len(got) != 2 {
				t.Fatalf("posted %d lines, want a reversal and a new line: %+v", len(got), got)
			}
			rev, post := got[0], got[1]
			if rev.Kind != ledger.KindReversal || rev.Supersedes != old.Key || !rev.Amount.Equal(old.Amount.Neg()) ||
				rev.RunID != 2 || rev.Person != "p1" || rev.Subject != "commission" || rev.Detail != old.Detail || rev.PlanHash != old.PlanHash {
				t.Fatalf("reversal = %+v, want the negation of %+v", rev, old)
			}
			if post.Kind != ledger.KindPost || post.Supersedes != rev.Key || !post.Amount.Equal(changed.Amount) ||
				post.Detail != changed.Detail || post.PlanHash != changed.PlanHash || post.RunID != 2 {
				t.Fatalf("new line = %+v, want %+v after the reversal", post, changed)
			}
			// The reversal and the new line net to the change.
			if net := rev.Amount.Add(post.Amount); !net.Equal(changed.Amount.Sub(a.Amount)) {
				t.Fatalf("net %s, want %s", net, changed.Amount.Sub(a.Amount))
			}
			cur := ledger.Fold(b.lines)[ledger.KeyOf(a)]
			if cur.Current == nil || cur.Current.Key != post.Key || cur.Last != post.Key {
				t.Fatalf("chain after the change = %+v, want the new line in force", cur)
			}
		})
	}
}

func TestDiffDroppedAndRevivedLines(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	a := computed(ledger.PayoutLedger, "p1", "commission", "10")
	c := computed(ledger.PayoutLedger, "p1", "bonus", "500")
	b.post(t, 1, a, c)

	// c is no longer produced: reversed, nothing else.
	got := b.post(t, 2, a)
	if len(got) != 1 || got[0].Kind != ledger.KindReversal || got[0].Subject != "bonus" || !got[0].Amount.Equal(decimal.NewFromInt(-500)) {
		t.Fatalf("dropping bonus posted %+v, want one reversal of 500", got)
	}
	if ch := ledger.Fold(b.lines)[ledger.KeyOf(c)]; ch.Current != nil || ch.Last != got[0].Key {
		t.Fatalf("bonus chain = %+v, want reversed", ch)
	}
	if got := b.post(t, 3, a); len(got) != 0 {
		t.Fatalf("still dropped: posted %+v, want nothing", got)
	}

	// Produced again: a new line after the reversal, no second reversal.
	got = b.post(t, 4, a, c)
	if len(got) != 1 || got[0].Kind != ledger.KindPost || got[0].Supersedes != b.lines[2].Key {
		t.Fatalf("reviving bonus posted %+v, want one post superseding the reversal", got)
	}
	if got[0].Key == b.lines[1].Key {
		t.Fatal("the revived line reuses the first posting's key")
	}
}

func TestDiffABAGivesDistinctKeys(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	a := computed(ledger.PayoutLedger, "p1", "commission", "10")
	bb := a
	bb.Amount = decimal.RequireFromString("11")
	b.post(t, 1, a)
	b.post(t, 2, bb)
	b.post(t, 3, a)
	b.post(t, 4, bb)
	if len(b.lines) != 7 {
		t.Fatalf("A→B→A→B posted %d lines, want 1+2+2+2", len(b.lines))
	}
	seen := map[string]int{}
	for i, l := range b.lines {
		if j, ok := seen[l.Key]; ok {
			t.Fatalf("lines %d and %d share key %s", j, i, l.Key)
		}
		seen[l.Key] = i
		if i > 0 && l.Supersedes != b.lines[i-1].Key {
			t.Fatalf("line %d supersedes %s, want the previous line %s", i, l.Supersedes, b.lines[i-1].Key)
		}
	}
	// A posted the second time is not the first A: a key-based dedupe of
	// a retried batch cannot swallow it.
	if b.lines[0].Key == b.lines[4].Key || b.lines[2].Key == b.lines[6].Key {
		t.Fatal("reposting the same content got the same key")
	}
	// Net of the whole chain is the content in force.
	net := decimal.Zero
	for _, l := range b.lines {
		net = net.Add(l.Amount)
	}
	if !net.Equal(bb.Amount) {
		t.Fatalf("chain nets to %s, want %s", net, bb.Amount)
	}
}

func TestDiffIsIdempotentAndOrderIndependent(t *testing.T) {
	t.Parallel()
	var base []ledger.Line
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		for _, s := range []string{"commission", "bonus", "spiff"} {
			base = append(base, computed(ledger.PayoutLedger, p, s, "100"))
		}
		base = append(base, computed(ledger.CreditLedger, p, "T1/owner", "1000"))
	}
	var b ledgerBook
	b.post(t, 1, base...)
	next := slices.Clone(base)
	next[1].Amount = decimal.RequireFromString("150")
	next[6].Basis = "target=1"
	next = append(next[:9], next[10:]...) // drop one line
	next = append(next, computed(ledger.PayoutLedger, "p5", "commission", "1"))

	posted := ledger.Fold(b.lines)
	want := ledger.Diff(posted, next, ledger.Posting{RunID: 2})
	if len(want) != 2+2+1+1 {
		t.Fatalf("diff has %d lines, want 6: %+v", len(want), want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := slices.Clone(next)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := byChain(ledger.Diff(posted, shuffled, ledger.Posting{RunID: 2}))
		if !slices.EqualFunc(got, byChain(want), sameLine) {
			t.Fatalf("diff depends on input order:\n got %+v\nwant %+v", got, want)
		}
	}
	// Applying the same diff twice (a retried batch) adds nothing: every
	// key is already there.
	for _, l := range want {
		if b.keys[l.Key] {
			t.Fatalf("diff line %s reuses a posted key", l.Key)
		}
	}
	b.post(t, 2, next...)
	if got := b.post(t, 3, next...); len(got) != 0 {
		t.Fatalf("after posting, the same input posts %+v, want nothing", got)
	}
}

func sameLine(a, b ledger.Line) bool {
	return a.Key == b.Key && a.Kind == b.Kind && a.Supersedes == b.Supersedes && a.RunID == b.RunID && ledger.KeyOf(a) == ledger.KeyOf(b) &&
		a.PlanHash == b.PlanHash && a.Amount.Equal(b.Amount) && a.Detail == b.Detail
}

func TestDigest(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	var in []ledger.Line
	for _, p := range []string{"p1", "p2", "p3"} {
		in = append(in, computed(ledger.PayoutLedger, p, "commission", "10"), computed(ledger.CreditLedger, p, "T9/split", "0.5"))
	}
	b.post(t, 1, in...)
	in[0].Amount = decimal.RequireFromString("20")
	b.post(t, 2, in...)
	lines := slices.Clone(b.lines)
	want := ledger.Digest(lines)
	if len(want) != 64 {
		t.Fatalf("digest %q, want 64 hex digits", want)
	}

	t.Run("input order", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(3, 4))
		for range 20 {
			shuffled := slices.Clone(lines)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := ledger.Digest(shuffled); got != want {
				t.Fatalf("digest of shuffled lines %s, want %s", got, want)
			}
		}
	})
	t.Run("run ids and sequence numbers", func(t *testing.T) {
		t.Parallel()
		// Another database (another backend, or the same run split into
		// other batches) numbers lines differently but keeps each chain's
		// order.
		other := slices.Clone(lines)
		slices.Reverse(other)
		for i := range other {
			other[i].RunID += 100
			other[i].Seq = int64(1000 - i)
		}
		if got := ledger.Digest(other); got != want {
			t.Fatalf("digest with other run ids and seqs %s, want %s", got, want)
		}
	})
	t.Run("content", func(t *testing.T) {
		t.Parallel()
		for i := range lines {
			changed := slices.Clone(lines)
			changed[i].Amount = changed[i].Amount.Add(decimal.RequireFromString("0.01"))
			if ledger.Digest(changed) == want {
				t.Fatalf("changing line %d's amount kept the digest", i)
			}
		}
		if ledger.Digest(lines[:len(lines)-1]) == want {
			t.Fatal("dropping a line kept the digest")
		}
		if ledger.Digest(nil) == want {
			t.Fatal("the empty ledger has the same digest")
		}
	})
	t.Run("chain links", func(t *testing.T) {
		t.Parallel()
		// Within one logical key, each line names the line it supersedes:
		// the links are content, and they pin the chain's order (which the
		// seal chain covers by sequence number too).
		for i, l := range lines {
			if l.Supersedes == "" {
				continue
			}
			relinked := slices.Clone(lines)
			relinked[i].Supersedes = lines[0].Key
			if relinked[i].Supersedes == l.Supersedes {
				relinked[i].Supersedes = lines[1].Key
			}
			if ledger.Digest(relinked) == want {
				t.Fatalf("relinking line %d kept the digest", i)
			}
		}
	})
	t.Run("sums", func(t *testing.T) {
		t.Parallel()
		// A digest kept as per-insert sums (as stores keep it) is the
		// digest of all the lines.
		var total ledger.DigestSum
		for _, part := range [][]ledger.Line{lines[:2], lines[2:5], lines[5:]} {
			var d ledger.Digester
			for _, l := range part {
				d.Add(l)
			}
			back, err := ledger.ParseDigestSum(d.DigestSum().String())
			if err != nil {
				t.Fatal(err)
			}
			total.Add(back)
		}
		if got := ledger.DigestOf(total, len(lines)); got != want {
			t.Fatalf("digest of the parts' sums %s, want %s", got, want)
		}
		// The sum carries across bytes, modulo 2^256.
		var ones, one ledger.DigestSum
		for i := range ones {
			ones[i] = 0xff
		}
		one[len(one)-1] = 1
		ones.Add(one)
		if ones != (ledger.DigestSum{}) {
			t.Fatalf("2^256-1 + 1 = %s, want 0", ones)
		}
	})
}

func TestFold(t *testing.T) {
	t.Parallel()
	var b ledgerBook
	a := computed(ledger.PayoutLedger, "p1", "commission", "10")
	c := computed(ledger.PayoutLedger, "p2", "commission", "5")
	b.post(t, 1, a, c)
	b.post(t, 2, a)
	chains := ledger.Fold(b.lines)
	if len(chains) != 2 {
		t.Fatalf("%d chains, want 2", len(chains))
	}
	if ch := chains[ledger.KeyOf(a)]; ch.Current == nil || ch.Current.Key != b.lines[0].Key || ch.Last != b.lines[0].Key {
		t.Fatalf("p1 chain = %+v, want the first line in force", ch)
	}
	if ch := chains[ledger.KeyOf(c)]; ch.Current != nil || ch.Last != b.lines[2].Key {
		t.Fatalf("p2 chain = %+v, want reversed by the third line", ch)
	}
}

// byChain orders lines by logical key, keeping each chain's order: the
// order that matters, since the digest sorts by key.
func byChain(lines []ledger.Line) []ledger.Line {
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b ledger.Line) int {
		ka, kb := ledger.KeyOf(a), ledger.KeyOf(b)
		for _, p := range [][2]string{{ka.Period, kb.Period}, {ka.Plan, kb.Plan}, {ka.Person, kb.Person}, {ka.Ledger, kb.Ledger}, {ka.Subject, kb.Subject}} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}
