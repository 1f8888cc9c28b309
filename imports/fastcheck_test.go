package imports

import (
	"regexp"
	"testing"
)

// The hand-written checks agree with the regular expressions they
// replace on the hot path.
func TestFastChecksMatchExpressions(t *testing.T) {
	t.Parallel()
	idRE := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$`)
	for _, s := range []string{
		"", "a", "Z", "0", "T00000001", "ae-1", "a_b.c:d@e/f-g", "_a", "-a", ".a", "a b", "a\n", "a\x00", "é", "aé",
		"a$", "a+b", "A9", "9a", "a/", "a:", "ab\t", " a", "a\u00a0",
	} {
		if got, want := isID(s), idRE.MatchString(s); got != want {
			t.Errorf("isID(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "1e5", "1E5", "1.5e-3", ".5e2", "+1e5", "-1.e5", "e5", "1e", "1.50", "12", "abc", "1e5x", "1ee5", "-"} {
		got := exponentProblem(s, "1") != ""
		if want := exponentRE.MatchString(s); got != want {
			t.Errorf("exponentProblem(%q) reports %v, want %v", s, got, want)
		}
	}
}
