package calc

import (
	"strings"
	"testing"
)

// below walks the reporting graph breadth first, each person once, to the
// depth asked: a graph with a loop (a report who later managed their
// manager, in different versions) ends. A root in another root's team is
// in the result (regression: a batch holding a manager and their report
// read the override team without the report, and paid the override on
// nothing).
func TestBelow(t *testing.T) {
	reports := map[string][]string{
		"vp":  {"m1", "m2"},
		"m1":  {"a1", "a2"},
		"m2":  {"a3", "m1"}, // m1 moved under m2 in a later version
		"a3":  {"m2"},       // and a loop across versions
		"out": {"x"},
	}
	for _, tt := range []struct {
		roots  []string
		levels int
		want   string
	}{
		{[]string{"vp"}, 1, "m1,m2"},
		{[]string{"vp"}, 2, "a1,a2,a3,m1,m2"},
		{[]string{"vp"}, -1, "a1,a2,a3,m1,m2"},
		{[]string{"m2"}, -1, "a1,a2,a3,m1"},
		{[]string{"m1", "m2"}, 1, "a1,a2,a3,m1"}, // m1 is in m2's team
		{[]string{"m1", "vp"}, 1, "a1,a2,m1,m2"}, // a batch with a manager and theirs
		{[]string{"m1", "vp"}, 2, "a1,a2,a3,m1,m2"},
		{[]string{"a1"}, 3, ""},
	} {
		if got := strings.Join(below(reports, tt.roots, tt.levels), ","); got != tt.want {
			t.Errorf("below(%v, %d) = %q, want %q", tt.roots, tt.levels, got, tt.want)
		}
	}
}
