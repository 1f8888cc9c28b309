package sqlstore

import (
	"strings"
	"testing"
)

func TestSplitNul(t *testing.T) {
	tests := []struct {
		row  string
		n    int
		want string // fields joined by "|", or "error"
	}{
		{"a\x00b\x00c", 3, "a|b|c"},
		{"\x00\x00", 3, "||"},
		{"a\x00{\"x\":\"1\\u0000\"}\x00c", 3, `a|{"x":"1\u0000"}|c`},
		{"a\x00b", 3, "error"},
		{"a\x00b\x00c\x00d", 3, "error"},
		{"", 1, ""},
	}
	for _, tt := range tests {
		f := make([]string, tt.n)
		err := splitNul(tt.row, f)
		got := strings.Join(f, "|")
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("splitNul(%q, %d) = %q (%v), want %q", tt.row, tt.n, got, err, tt.want)
		}
	}
}
