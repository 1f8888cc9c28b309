package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
)

// LogicalKey identifies what a ledger line is about: the same credit,
// measure or payout line across runs.
type LogicalKey struct {
	Ledger, Plan, Period, Person, Subject string
}

// KeyOf returns l's logical key.
func KeyOf(l LedgerLine) LogicalKey {
	return LogicalKey{l.Ledger, l.Plan, l.Period, l.Person, l.Subject}
}

// Chain is the state of one logical key after folding its lines in
// posting order.
type Chain struct {
	// Current is the line in force, or nil when the last line was a reversal.
	Current *LedgerLine
	// Last is the key of the newest line of the chain.
	Last string
}

// Fold replays lines (in posting order) into the state of each logical key.
func Fold(lines []LedgerLine) map[LogicalKey]*Chain {
	out := map[LogicalKey]*Chain{}
	for i := range lines {
		l := &lines[i]
		k := KeyOf(*l)
		c := out[k]
		if c == nil {
			c = &Chain{}
			out[k] = c
		}
		if l.Kind == LineReversal {
			c.Current = nil
		} else {
			c.Current = l
		}
		c.Last = l.Key
	}
	return out
}

// lineKeyBytes is the length of an idempotency key: 128 bits of SHA-256,
// printed as 32 hex digits. Keys only need to be unique among one
// ledger's lines; shorter keys make the unique index cheaper to maintain.
const lineKeyBytes = 16

func lineHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:lineKeyBytes])
}

// PostKey is the idempotency key of posting l after the line prev of the
// same chain ("" for the first): the same content after the same history
// always gets the same key, so a retried batch cannot post twice, while
// posting A again after A was replaced by B gets a new key.
func PostKey(l LedgerLine, prev string) string {
	return lineHash(LinePost, l.Ledger, l.Plan, l.Period, l.Person, l.Subject, l.Amount.String(), l.Detail, prev)
}

// Reverse returns the reversal of posted line l: the same line with the
// amount negated, superseding it.
func Reverse(l LedgerLine, runID int64) LedgerLine {
	r := l
	r.Seq = 0
	r.Kind = LineReversal
	r.Supersedes = l.Key
	r.Amount = l.Amount.Neg()
	r.RunID = runID
	r.Key = lineHash(LineReversal, l.Key)
	return r
}

// Diff compares freshly computed lines with the posted ones of the same
// scope and returns what to append: nothing for an unchanged line, a
// reversal plus a new line for a changed one, a new line for a new one and
// a reversal for a line no longer produced. Each new line comes right after
// the reversal it replaces, in the order of computed, and the reversals of
// lines no longer produced come last, sorted by logical key: the lines
// posted, and the order within each chain, do not depend on input order.
// (Diff used to sort computed first; the digest orders lines by logical
// key anyway, and sorting a large batch cost more than its hashing.)
func Diff(posted map[LogicalKey]*Chain, computed []LedgerLine, runID int64) []LedgerLine {
	out := make([]LedgerLine, 0, len(computed))
	var seen map[LogicalKey]bool
	if len(posted) > 0 {
		seen = make(map[LogicalKey]bool, len(computed))
	}
	for _, l := range computed {
		prev := ""
		if seen != nil {
			k := KeyOf(l)
			seen[k] = true
			if c := posted[k]; c != nil {
				if c.Current != nil && c.Current.Amount.Equal(l.Amount) && c.Current.Detail == l.Detail && c.Current.PlanHash == l.PlanHash {
					continue
				}
				prev = c.Last
				if c.Current != nil {
					rev := Reverse(*c.Current, runID)
					out = append(out, rev)
					prev = rev.Key
				}
			}
		}
		l.Kind = LinePost
		l.RunID = runID
		l.Supersedes = prev
		l.Key = PostKey(l, prev)
		out = append(out, l)
	}
	keys := make([]LogicalKey, 0)
	for k, c := range posted {
		if !seen[k] && c.Current != nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		out = append(out, Reverse(*posted[k].Current, runID))
	}
	return out
}

// lessKey orders logical keys by period, plan, person, ledger and subject:
// the order of the ledger_line_chain index, so a backend streams a digest
// without sorting.
func lessKey(a, b LogicalKey) bool {
	for _, p := range [][2]string{{a.Period, b.Period}, {a.Plan, b.Plan}, {a.Person, b.Person}, {a.Ledger, b.Ledger}, {a.Subject, b.Subject}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}

// Digest is a SHA-256 over the canonical text of lines: sorted by logical
// key and, within one key, in posting order, each line's content without
// its run id or sequence number. The same ledger content gives the same
// digest whatever the batch size, worker count or backend.
func Digest(lines []LedgerLine) string {
	sorted := append([]LedgerLine(nil), lines...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ki, kj := KeyOf(sorted[i]), KeyOf(sorted[j])
		if ki != kj {
			return lessKey(ki, kj)
		}
		return sorted[i].Seq < sorted[j].Seq
	})
	var d Digester
	for _, l := range sorted {
		d.Add(l)
	}
	return d.Sum()
}

// Digester computes Digest incrementally over lines that arrive already in
// digest order (by logical key, then posting order), so a backend can
// stream a whole ledger through it without holding it in memory.
type Digester struct {
	h     hash.Hash
	buf   []byte
	Lines int
}

// Add hashes one line's canonical text.
func (d *Digester) Add(l LedgerLine) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.buf = d.buf[:0]
	for _, f := range []string{l.Key, l.Ledger, l.Kind, l.Supersedes, l.Plan, l.PlanHash, l.Period, l.Person, l.Subject, l.Amount.String(), l.Detail} {
		d.buf = append(d.buf, f...)
		d.buf = append(d.buf, '\t')
	}
	d.buf = append(d.buf, '\n')
	d.h.Write(d.buf)
	d.Lines++
}

// Sum returns the hex digest of the lines added so far.
func (d *Digester) Sum() string {
	if d.h == nil {
		d.h = sha256.New()
	}
	return hex.EncodeToString(d.h.Sum(nil))
}
