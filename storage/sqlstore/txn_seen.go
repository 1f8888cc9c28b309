package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/icomp/icomp/storage"
)

// A transaction import compares each row with the stored row of its id and
// stages only the new and changed ones; it also refuses an id that the
// file repeats, whether or not its rows changed. Both need, per row, a
// look-up that a database round trip makes too slow (a probe by id costs
// about 10 µs here, 10 s at a million rows) and that a Go map of every id
// makes too big (about 80 bytes an id, most of a GiB at ten million). So
// an import keeps two compact tables, neither holding an id's text:
//
//   - storedTxns: each stored transaction's id fingerprint and content
//     hash, read in one pass over txn, and the line of the file row found
//     equal to it: 24 bytes a stored row;
//   - fileIDs: the fingerprint and line of each row staged (new or
//     changed), 16 bytes a slot; kept only when something is stored (a
//     first load stages every row, and the staging table refuses a
//     repeated id).
//
// Fingerprints only narrow the search: "unchanged" needs the row's content
// hash (which covers its id) to equal a stored one, and a fingerprint seen
// before is a duplicate only once the database confirms that the earlier
// row has the same id (tx.seenBefore). A fingerprint collision costs a
// look-up, never a wrong answer.

// hashPrefixBytes is how much of a content hash the import keeps per
// stored row: 128 bits decide "unchanged" as surely as 256 here.
const hashPrefixBytes = 16

// storedTxn is one stored transaction: the low 32 bits of its id's
// fingerprint, the first bytes of its content hash and the line of the
// file row found equal to it (0 until one is).
type storedTxn struct {
	fp   uint32
	line int32
	hash [hashPrefixBytes]byte
}

// storedTxns holds the stored transactions grouped by fingerprint bucket, with a
// bucket index: bucket b (the top bits of a fingerprint) is
// rows[start[b]:start[b+1]].
type storedTxns struct {
	rows  []storedTxn
	start []uint32
	shift uint
}

// storedRowsPerBucket is the bucket index's average bucket size: four
// rows of 24 bytes, about one cache line, per 4-byte index entry.
const storedRowsPerBucket = 4

// index groups rows by bucket (the top bits of their fingerprint) and
// builds the bucket index: a counting sort in place, linear in the rows,
// where a comparison sort of a million rows is not. Look-ups walk a bucket (a few
// rows) whole, so the rows of a bucket stay in the order read.
func (s *storedTxns) index() {
	n := len(s.rows) / storedRowsPerBucket
	b := 0
	if n > 1 {
		b = bits.Len(uint(n - 1))
	}
	s.shift = 32 - uint(b)
	s.start = make([]uint32, (1<<b)+1)
	for _, r := range s.rows {
		s.start[(r.fp>>s.shift)+1]++
	}
	for k := 1; k < len(s.start); k++ {
		s.start[k] += s.start[k-1]
	}
	// In place (American flag sort): next[k] is bucket k's first slot
	// not yet holding one of its rows; a row out of place is swapped into
	// its bucket's next slot, and the row it displaces goes on.
	next := slices.Clone(s.start[:len(s.start)-1])
	for k := range uint32(1 << b) {
		for end := s.start[k+1]; next[k] < end; next[k]++ {
			i := next[k]
			r := s.rows[i]
			for kk := r.fp >> s.shift; kk != k; kk = r.fp >> s.shift {
				j := next[kk]
				next[kk]++
				s.rows[j], r = r, s.rows[j]
			}
			s.rows[i] = r
		}
	}
}

// bucket returns the rows that may have fingerprint fp: rows[lo:hi].
func (s *storedTxns) bucket(fp uint32) (lo, hi uint32) {
	if len(s.rows) == 0 {
		return 0, 0
	}
	k := fp >> s.shift
	return s.start[k], s.start[k+1]
}

// find returns the index of the stored row whose id has fingerprint fp
// and whose content hash starts with hash, or -1.
func (s *storedTxns) find(fp uint32, hash *[sha256.Size]byte) int {
	if len(s.rows) == 0 {
		return -1
	}
	k := fp >> s.shift
	for i := s.start[k]; i < s.start[k+1]; i++ {
		r := &s.rows[i]
		if r.fp == fp && [hashPrefixBytes]byte(hash[:hashPrefixBytes]) == r.hash {
			return int(i)
		}
	}
	return -1
}

// fileID is one slot of fileIDs: the fingerprint of the id of a row
// staged (0 marks an empty slot) and the line it was read on.
type fileID struct {
	fp   uint64
	line int32
}

// fileIDs is an open-addressing set of the ids of the rows staged so far,
// by fingerprint; a fingerprint may have several slots (distinct ids that
// collide).
type fileIDs struct {
	slots []fileID
	n     int
}

// fileIDsMin is the smallest table fileIDs allocates.
const fileIDsMin = 1 << 10

// reserve sizes the table for n ids, at most 3/4 full.
func (f *fileIDs) reserve(n int) {
	size := fileIDsMin
	for size*3/4 < n {
		size *= 2
	}
	if size <= len(f.slots) {
		return
	}
	old := f.slots
	f.slots = make([]fileID, size)
	f.n = 0
	for _, s := range old {
		if s.fp != 0 {
			f.add(s)
		}
	}
}

// home is the first slot to look at for fingerprint fp; next the one
// after i. A look-up goes on until an empty slot.
func (f *fileIDs) home(fp uint64) uint64 { return fp & uint64(len(f.slots)-1) }

func (f *fileIDs) next(i uint64) uint64 { return (i + 1) & uint64(len(f.slots)-1) }

// add inserts e, growing the table when it is 3/4 full.
func (f *fileIDs) add(e fileID) {
	if (f.n+1)*4 > len(f.slots)*3 {
		f.reserve(max(2*len(f.slots), fileIDsMin))
	}
	i := f.home(e.fp)
	for f.slots[i].fp != 0 {
		i = f.next(i)
	}
	f.slots[i] = e
	f.n++
}

// idPrint fingerprints transaction ids for one import. The seed is random:
// no file can be made to collide on purpose.
type idPrint struct{ seed maphash.Seed }

// of returns id's fingerprint, never 0 (0 marks an empty slot).
func (p idPrint) of(id string) uint64 {
	if fingerprintForTest != nil {
		if h, ok := fingerprintForTest(id); ok {
			return h
		}
	}
	h := maphash.String(p.seed, id)
	if h == 0 {
		h = 1
	}
	return h
}

// fingerprintForTest, when set, replaces the fingerprint of the ids it
// answers for: a test makes ids collide to exercise the confirmations.
var fingerprintForTest func(id string) (uint64, bool)

// txnSeen is what a transaction import knows of the ids: the stored rows,
// marked when read unchanged, and the ids of the rows staged.
type txnSeen struct {
	// empty says that txn held no row when the import read it (under
	// the inputs lock): the merge is then a first load (firstLoad).
	empty  bool
	print  idPrint
	stored storedTxns
	file   fileIDs
}

// loadTxnSeen reads the id and hash of every stored transaction, in one
// pass.
func (t *tx) loadTxnSeen(ctx context.Context) (*txnSeen, error) {
	s := &txnSeen{print: idPrint{seed: maphash.MakeSeed()}}
	s.file.reserve(fileIDsMin)
	// No COUNT first, to size the table: on Postgres that is a second
	// pass over txn. The table grows as read.
	// Only the hash's prefix is read. A hash this code does not write (of
	// another length, or not hex) is never equal: the row is restaged.
	rows, err := t.query(ctx, `SELECT id, substr(hash, 1, ?) FROM txn WHERE length(hash) = ?`, 2*hashPrefixBytes, 2*sha256.Size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var prefix [hashPrefixBytes]byte
	for rows.Next() {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, t.d.err(err)
		}
		if len(h) != 2*hashPrefixBytes {
			continue
		}
		if _, err := hex.Decode(prefix[:], []byte(h)); err != nil {
			continue
		}
		s.stored.rows = append(s.stored.rows, storedTxn{fp: uint32(s.print.of(id)), hash: prefix})
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.err(err)
	}
	rows.Close()
	if len(s.stored.rows) == 0 {
		// Rows of a hash this code does not write are left out above:
		// empty only if txn has no row at all.
		var one int
		err := t.queryRow(ctx, `SELECT 1 FROM txn LIMIT 1`, nil, &one)
		if errors.Is(err, storage.ErrNotFound) {
			s.empty = true
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s.stored.index()
	return s, nil
}
