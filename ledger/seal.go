package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// Seal kinds: what a seal covers.
const (
	// SealRun covers a finished run's ledger lines and credits.
	SealRun = "run"
	// SealExport covers a payroll batch: its row, file and line keys.
	SealExport = "export"
)

// Seal is one link of the tamper-evident chain: a hash over the rows of a
// finished run or a payroll batch, chained to the previous seal.
type Seal struct {
	Seq int64
	// Kind is SealRun or SealExport; Ref is the run or batch id.
	Kind string
	Ref  int64
	// Rows is how many rows Content covers.
	Rows int
	// Content is the RowHash of the sealed rows.
	Content string
	// Prev is the previous seal's Hash ("" for the first).
	Prev string
	Hash string
}

// SealHash is the hash of a seal: over the previous seal's hash and this
// seal's kind, reference, row count and content hash.
func SealHash(prev, kind string, ref int64, rows int, content string) string {
	h := sha256.New()
	for _, f := range []string{prev, kind, strconv.FormatInt(ref, 10), strconv.Itoa(rows), content} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewSeal links a seal over content after prev.
func NewSeal(prev, kind string, ref int64, rows int, content string) Seal {
	return Seal{Kind: kind, Ref: ref, Rows: rows, Content: content, Prev: prev, Hash: SealHash(prev, kind, ref, rows, content)}
}

// BrokenLink describes the first place a seal chain does not hold.
type BrokenLink struct {
	Seal   Seal
	Reason string
}

func (b *BrokenLink) Error() string {
	return fmt.Sprintf("seal %d (%s %d): %s", b.Seal.Seq, b.Seal.Kind, b.Seal.Ref, b.Reason)
}

// CheckLink checks seal s against the previous seal's hash and the
// content recomputed from storage (rows and their hash); nil when it holds.
func CheckLink(s Seal, prevHash string, rows int, content string) *BrokenLink {
	switch {
	case s.Prev != prevHash:
		return &BrokenLink{s, fmt.Sprintf("links to %.16s…, but the previous seal's hash is %.16s…", s.Prev, prevHash)}
	case s.Hash != SealHash(s.Prev, s.Kind, s.Ref, s.Rows, s.Content):
		return &BrokenLink{s, "its hash does not match its own fields (the seal was edited)"}
	case rows != s.Rows:
		return &BrokenLink{s, fmt.Sprintf("sealed %d rows, %d are stored now (rows were added or removed)", s.Rows, rows)}
	case content != s.Content:
		return &BrokenLink{s, "the stored rows no longer hash to the sealed content (a row was changed or reordered)"}
	}
	return nil
}
