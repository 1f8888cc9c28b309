package sqlstore

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStoredTxnsIndex: every row lands in the bucket of its fingerprint,
// and none is lost or repeated.
func TestStoredTxnsIndex(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 17, 1000, 100_003} {
		var s storedTxns
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for i := range n {
			s.rows = append(s.rows, storedTxn{fp: r.Uint32(), line: int32(i)})
		}
		if n == 17 {
			for i := range s.rows {
				s.rows[i].fp = 7 // all in one bucket
			}
		}
		s.index()
		var lines []int32
		for k := 0; k+1 < len(s.start); k++ {
			for _, row := range s.rows[s.start[k]:s.start[k+1]] {
				if lo, hi := s.bucket(row.fp); lo != s.start[k] || hi != s.start[k+1] {
					t.Fatalf("n=%d: row with fingerprint %x in bucket %d, want [%d,%d)", n, row.fp, k, lo, hi)
				}
				lines = append(lines, row.line)
			}
		}
		slices.Sort(lines)
		for i, l := range lines {
			if l != int32(i) {
				t.Fatalf("n=%d: rows after index: %d rows, line %d at %d", n, len(lines), l, i)
			}
		}
	}
}
