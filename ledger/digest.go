package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
	"strconv"
)

// Digest is a SHA-256 over the canonical text of lines: sorted by logical
// key and, within one key, in posting order, each line's content without
// its run id or sequence number. The same ledger content gives the same
// digest whatever the batch size, worker count or backend.
func Digest(lines []Line) string {
	sorted := append([]Line(nil), lines...)
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
func (d *Digester) Add(l Line) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.buf = appendContent(d.buf[:0], l)
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

// appendContent appends l's content, tab-separated, without run id or seq.
func appendContent(buf []byte, l Line) []byte {
	for _, f := range [...]string{l.Key, l.Ledger, l.Kind, l.Supersedes, l.Plan, l.PlanHash, l.Period, l.PostedPeriod, l.Person, l.Subject,
		l.Currency, l.EarningCode, l.Amount.String(), l.Basis, l.Reason, l.Detail} {
		buf = append(buf, f...)
		buf = append(buf, '\t')
	}
	return buf
}

// appendRow appends l's full row: its content plus seq and run id, which
// the seal covers so that reordering or moving a line is evident.
func appendRow(buf []byte, l Line) []byte {
	buf = strconv.AppendInt(buf, l.Seq, 10)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, l.RunID, 10)
	buf = append(buf, '\t')
	return appendContent(buf, l)
}
