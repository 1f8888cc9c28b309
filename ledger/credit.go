package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Credit is one deal-level credit: which transaction version credited whom,
// by which rule. Credits are not ledger lines: each person's credits of a
// plan and period are summed into one credit summary line, whose Basis
// holds their count and hash, and are stored beside it under its key.
type Credit struct {
	// LineKey is the key of the credit summary line the credit belongs to.
	LineKey string
	Txn     string
	// TxnHash is the content hash of the transaction version credited.
	TxnHash string
	Rule    string
	Date    string
	Type    string
	Share   decimal.Decimal
	Amount  decimal.Decimal
}

// SortCredits orders credits by transaction and rule (CompareCredits):
// the canonical order in which they are hashed, listed and stored.
func SortCredits(cs []Credit) { slices.SortStableFunc(cs, CompareCredits) }

// CompareCredits orders two credits by transaction, then rule, in byte
// order.
func CompareCredits(a, b Credit) int {
	if c := strings.Compare(a.Txn, b.Txn); c != 0 {
		return c
	}
	return strings.Compare(a.Rule, b.Rule)
}

// CreditsBasis is the Basis of the credit summary line over cs (sorted
// with SortCredits): their count and a hash of their content, so that a
// changed credit changes the line even when the total does not.
func CreditsBasis(cs []Credit) string {
	h := sha256.New()
	var buf []byte
	for _, c := range cs {
		buf = appendCredit(buf[:0], c)
		h.Write(buf)
	}
	return fmt.Sprintf("credits=%d sha256=%s", len(cs), hex.EncodeToString(h.Sum(nil)[:lineKeyBytes]))
}

// appendCredit appends c's content without its line key.
func appendCredit(buf []byte, c Credit) []byte {
	for _, f := range [...]string{c.Txn, c.TxnHash, c.Rule, c.Date, c.Type, c.Share.String(), c.Amount.String()} {
		buf = append(buf, f...)
		buf = append(buf, '\t')
	}
	return append(buf, '\n')
}

// RowHash hashes the rows a seal covers: ledger lines (full rows, in
// sequence order), then traces or other canonical text.
type RowHash struct {
	h    hash.Hash
	buf  []byte
	Rows int
}

func (r *RowHash) init() {
	if r.h == nil {
		r.h = sha256.New()
	}
}

// AddLine hashes one ledger line's full row.
func (r *RowHash) AddLine(l Line) {
	r.init()
	r.buf = append(appendRow(r.buf[:0], l), '\n')
	r.h.Write(r.buf)
	r.Rows++
}

// AddTrace hashes a trace stored beside a line.
func (r *RowHash) AddTrace(t Trace) {
	r.AddText("trace", t.LineKey, t.Detail)
}

// AddText hashes fields of another sealed row (an export batch).
func (r *RowHash) AddText(fields ...string) {
	r.init()
	r.buf = r.buf[:0]
	for _, f := range fields {
		r.buf = append(r.buf, f...)
		r.buf = append(r.buf, '\t')
	}
	r.buf = append(r.buf, '\n')
	r.h.Write(r.buf)
	r.Rows++
}

// Sum returns the hex hash of the rows added so far.
func (r *RowHash) Sum() string {
	r.init()
	return hex.EncodeToString(r.h.Sum(nil))
}
