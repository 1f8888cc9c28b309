package sqlstore

import "testing"

// TestBulkChunk: the chunks of n rows cover them exactly, largest first,
// in at most four sizes (max, max/10, max/100, 1 for max 500), so each
// table's multi-row INSERTs have a handful of texts.
func TestBulkChunk(t *testing.T) {
	for _, tc := range []struct {
		n, max int
		want   []int
	}{
		{0, 500, nil},
		{1, 500, []int{1}},
		{4, 500, []int{1, 1, 1, 1}},
		{5, 500, []int{5}},
		{500, 500, []int{500}},
		{1234, 500, []int{500, 500, 50, 50, 50, 50, 5, 5, 5, 5, 5, 5, 1, 1, 1, 1}},
		{1001, 1000, []int{1000, 1}},
		{120, 1000, []int{100, 10, 10}},
	} {
		var got []int
		for n := tc.n; n > 0; {
			c := bulkChunk(n, tc.max)
			got = append(got, c)
			n -= c
		}
		if len(got) != len(tc.want) {
			t.Errorf("bulkChunk over %d (max %d) = %v, want %v", tc.n, tc.max, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("bulkChunk over %d (max %d) = %v, want %v", tc.n, tc.max, got, tc.want)
				break
			}
		}
	}
}
