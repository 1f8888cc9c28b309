package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
)

// Chain is the state of one logical key after folding its lines in
// posting order.
type Chain struct {
	// Current is the line in force, or nil when the last line was a reversal.
	Current *Line
	// Last is the key of the newest line of the chain.
	Last string
}

// Fold replays lines (in posting order) into the state of each logical key.
func Fold(lines []Line) map[Key]*Chain {
	out := map[Key]*Chain{}
	for i := range lines {
		l := &lines[i]
		k := KeyOf(*l)
		c := out[k]
		if c == nil {
			c = &Chain{}
			out[k] = c
		}
		if l.Kind == KindReversal {
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
func PostKey(l Line, prev string) string {
	return lineHash(KindPost, l.Ledger, l.Plan, l.Period, l.Person, l.Subject, l.Amount.String(), l.Currency, l.EarningCode, l.Basis, prev)
}

// MirrorKey is the key of the line that stands, in another ledger, for the
// line with key: deterministic and distinct from any posting key.
func MirrorKey(ledgerName, key string) string {
	return lineHash("mirror", ledgerName, key)
}

// Reverse returns the reversal of posted line l, posted by p: the same
// line with the amount negated, superseding it, with reason.
func Reverse(l Line, p Posting, reason string) Line {
	r := l
	r.Seq = 0
	r.Kind = KindReversal
	r.Supersedes = l.Key
	r.Amount = l.Amount.Neg()
	r.RunID = p.RunID
	r.PostedPeriod = p.postedPeriod(l)
	r.Reason = reason
	r.Key = lineHash(KindReversal, l.Key)
	return r
}

// Posting says who posts a diff and where.
type Posting struct {
	RunID int64
	// PostedPeriod is the period the lines are posted in; empty means
	// each line's own (earned) period.
	PostedPeriod string
	// Reason labels every new line (before a computed line's own reason)
	// and reversal of a changed line, e.g.
	// "prior-period adjustment: corrects 2027-Q1 (closed)"; empty for a
	// run of an open period.
	Reason string
	// Gone gives the reason written on the reversal of a line no longer
	// computed; nil writes "no longer computed".
	Gone func(Line) string
}

func (p Posting) postedPeriod(l Line) string {
	if p.PostedPeriod != "" {
		return p.PostedPeriod
	}
	return l.Period
}

func joinReasons(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func (p Posting) gone(l Line) string {
	why := "no longer computed"
	if p.Gone != nil {
		why = p.Gone(l)
	}
	if p.Reason != "" {
		return p.Reason + "; " + why
	}
	return why
}

// Diff compares freshly computed lines with the posted ones of the same
// scope and returns what to append: nothing for an unchanged line (see
// SameContent), a reversal plus a new line for a changed one, a new line
// for a new one and a reversal for a line no longer produced. Each new
// line comes right after the reversal it replaces, in the order of
// computed, and the reversals of lines no longer produced come last,
// sorted by logical key: the lines posted, and the order within each
// chain, do not depend on input order.
func Diff(posted map[Key]*Chain, computed []Line, p Posting) []Line {
	out := make([]Line, 0, len(computed))
	var seen map[Key]bool
	if len(posted) > 0 {
		seen = make(map[Key]bool, len(computed))
	}
	for _, l := range computed {
		prev := ""
		if seen != nil {
			k := KeyOf(l)
			seen[k] = true
			if c := posted[k]; c != nil {
				if c.Current != nil && SameContent(*c.Current, l) {
					continue
				}
				prev = c.Last
				if c.Current != nil {
					rev := Reverse(*c.Current, p, p.Reason)
					out = append(out, rev)
					prev = rev.Key
				}
			}
		}
		l.Kind = KindPost
		l.RunID = p.RunID
		l.Supersedes = prev
		l.PostedPeriod = p.postedPeriod(l)
		l.Reason = joinReasons(p.Reason, l.Reason)
		l.Key = PostKey(l, prev)
		out = append(out, l)
	}
	keys := make([]Key, 0)
	for k, c := range posted {
		if !seen[k] && c.Current != nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		cur := *posted[k].Current
		out = append(out, Reverse(cur, p, p.gone(cur)))
	}
	return out
}

// lessKey orders logical keys by period, plan, person, ledger and subject:
// the order of the ledger_line_chain index, so a backend streams a digest
// without sorting.
func lessKey(a, b Key) bool {
	for _, p := range [][2]string{{a.Period, b.Period}, {a.Plan, b.Plan}, {a.Person, b.Person}, {a.Ledger, b.Ledger}, {a.Subject, b.Subject}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}

// Trace is a newer trace of a posted line whose content did not change.
type Trace struct {
	LineKey string
	RunID   int64
	Detail  string
}

// Retrace returns, for each computed line that Diff leaves alone (same
// content as the line in force) but whose trace differs from the one in
// force, the new trace to store beside that line. posted must carry each
// line's newest trace in Detail.
func Retrace(posted map[Key]*Chain, computed []Line, runID int64) []Trace {
	var out []Trace
	for _, l := range computed {
		c := posted[KeyOf(l)]
		if c == nil || c.Current == nil || !SameContent(*c.Current, l) || c.Current.Detail == l.Detail {
			continue
		}
		out = append(out, Trace{LineKey: c.Current.Key, RunID: runID, Detail: l.Detail})
	}
	return out
}
