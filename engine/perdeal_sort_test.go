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

// TestSortDealsByDay checks that a dealList, chunked as the credit pass
// fills it, gives back its credits in the order a stable sort by day of
// the credits as added gives: by counting (days within the year) or,
// when a day is outside it, by sorting.
func TestSortDealsByDay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	c := calc{days: make([]string, 181)}
	for _, tc := range []struct {
		n, total   int
		outOfRange bool
	}{{0, 10, false}, {1, 10, false}, {31, 100, false}, {33, 100, false}, {5000, 20_000, false}, {5000, 20_000, true}, {300, 300, false}} {
		var l dealList
		var want []dealCredit
		for i := range tc.n {
			d := dealCredit{day: int32(rng.IntN(181)), txn: int32(i), rule: int32(rng.IntN(3)), c: int64(i), e: -2, fok: true}
			if tc.outOfRange && i%97 == 0 {
				d.day = 181 + int32(rng.IntN(5))
			}
			done := i*tc.total/max(tc.n, 1) + 1
			l.add(d, done, tc.total)
			want = append(want, d)
		}
		slices.SortStableFunc(want, func(a, b dealCredit) int { return int(a.day - b.day) })
		if l.n != tc.n {
			t.Errorf("%+v: list holds %d credits", tc, l.n)
		}
		for range 2 { // a second read gives them again
			if got := c.sortDealsByDay(&l); !slices.Equal(got, want) {
				t.Errorf("%+v: sorted differently", tc)
			}
		}
	}
}
