package sqlstore

import (
	"reflect"
	"testing"
)

// The fast attribute reader must agree with encoding/json on everything
// attrsJSON writes.
func TestParseAttrs(t *testing.T) {
	t.Parallel()
	for _, m := range []map[string]string{
		nil,
		{"stage": "accepted"},
		{"qualified": "true", "term": "multi-year", "empty": ""},
		{"quote": `say "hi"`, "slash": `a\\b`, "comma": "a,b", "colon": "a:b", "brace": "}{"},
		{"unicode": "Ärger ✓", "tab": "a\tb"},
	} {
		got, err := parseAttrs(attrsJSON(m))
		if err != nil {
			t.Fatalf("parseAttrs(%q): %v", attrsJSON(m), err)
		}
		if len(m) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("parseAttrs(%q) = %v, want %v", attrsJSON(m), got, m)
		}
	}
}
