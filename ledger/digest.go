package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// Digest is the digest of a ledger's content: the SHA-256 of the sum,
// modulo 2^256, of each line's SHA-256 (over its content without its run
// id or sequence number), and of the number of lines. A line's key and the
// key it supersedes are in its content, so the sum pins each chain's order
// as well as the lines. The same ledger content gives the same digest
// whatever the batch size, worker count, backend or order the lines are
// read in; and a store keeps it by adding up each insert's lines
// (DigestSum), never re-reading the period.
func Digest(lines []Line) string {
	var d Digester
	for _, l := range lines {
		d.Add(l)
	}
	return d.Sum()
}

// DigestSum is the sum, modulo 2^256, of some lines' SHA-256 (big-endian).
type DigestSum [sha256.Size]byte

// Add adds o to s, modulo 2^256.
func (s *DigestSum) Add(o DigestSum) {
	carry := uint16(0)
	for i := len(s) - 1; i >= 0; i-- {
		v := uint16(s[i]) + uint16(o[i]) + carry
		s[i] = byte(v)
		carry = v >> 8
	}
}

// String returns the sum in hex.
func (s DigestSum) String() string { return hex.EncodeToString(s[:]) }

// ParseDigestSum reads a DigestSum's String.
func ParseDigestSum(h string) (DigestSum, error) {
	var s DigestSum
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return s, fmt.Errorf("digest sum %q: want %d hex bytes", h, len(s))
	}
	copy(s[:], b)
	return s, nil
}

// DigestOf is Digest of lines whose sum is sum.
func DigestOf(sum DigestSum, lines int) string {
	h := sha256.New()
	fmt.Fprintf(h, "icomp ledger digest v2\n%s\n%d\n", sum, lines)
	return hex.EncodeToString(h.Sum(nil))
}

// Digester computes Digest over lines in any order, so that a backend can
// stream a whole ledger through it without holding it in memory.
type Digester struct {
	sum   DigestSum
	buf   []byte
	Lines int
}

// Add adds one line.
func (d *Digester) Add(l Line) {
	d.buf = appendContent(d.buf[:0], l)
	d.sum.Add(sha256.Sum256(d.buf))
	d.Lines++
}

// DigestSum returns the sum of the lines added so far.
func (d *Digester) DigestSum() DigestSum { return d.sum }

// Sum returns the digest of the lines added so far.
func (d *Digester) Sum() string { return DigestOf(d.sum, d.Lines) }

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
