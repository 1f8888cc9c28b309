package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortPaidDeals checks sortPaidDeals against the plain sort by
// (txn, pos), for deals in trace order (the packed-key path) and not.
func TestSortPaidDeals(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var c calc
	for _, tc := range []struct {
		n, txns  int
		shuffled bool
	}{{0, 1, false}, {1, 5, false}, {7, 3, false}, {200, 50, false}, {1000, 100_000, false}, {200, 50, true}, {1000, 30, true}} {
		pds := make([]paidDeal, tc.n)
		for i := range pds {
			pds[i] = paidDeal{txn: int32(rng.IntN(tc.txns)), pos: int32(i), rounded: fix{int64(i), -2}, ok: i%3 != 0}
		}
		if tc.shuffled {
			rng.Shuffle(len(pds), func(i, j int) { pds[i], pds[j] = pds[j], pds[i] })
		}
		want := slices.Clone(pds)
		slices.SortStableFunc(want, func(a, b paidDeal) int {
			if a.txn != b.txn {
				return int(a.txn - b.txn)
			}
			return int(a.pos - b.pos)
		})
		c.sortPaidDeals(pds)
		if !slices.Equal(pds, want) {
			t.Errorf("%+v: sorted differently", tc)
		}
	}
}
