package engine

import (
	"slices"
	"testing"
)

// TestGrowFor checks that growFor keeps the elements, leaves room for
// one more, and grows within its bounds: by a quarter (and 8) at least,
// to four times the length at most.
func TestGrowFor(t *testing.T) {
	for _, tc := range []struct {
		n, capacity, done, total int
		wantMin, wantMax         int
	}{
		{n: 0, capacity: 0, done: 1, total: 100, wantMin: 8, wantMax: 16},
		{n: 3, capacity: 5, done: 1, total: 100, wantMin: 5, wantMax: 5},         // room left: unchanged
		{n: 8, capacity: 8, done: 800, total: 100_000, wantMin: 32, wantMax: 48}, // estimate 1000, held to 4×
		{n: 600, capacity: 600, done: 60_000, total: 100_000, wantMin: 1037, wantMax: 1200},
		{n: 100, capacity: 100, done: 100, total: 100, wantMin: 133, wantMax: 144}, // done: grow by a quarter
		{n: 100, capacity: 100, done: 0, total: 0, wantMin: 133, wantMax: 144},
	} {
		s := make([]int, tc.n, tc.capacity)
		for i := range s {
			s[i] = i * 7
		}
		want := slices.Clone(s)
		got := growFor(s, tc.done, tc.total)
		if !slices.Equal(got, want) {
			t.Errorf("%+v: elements changed", tc)
		}
		if c := cap(got); c < tc.wantMin || c > tc.wantMax || c <= len(got) {
			t.Errorf("%+v: capacity %d, want %d to %d", tc, c, tc.wantMin, tc.wantMax)
		}
	}
}
