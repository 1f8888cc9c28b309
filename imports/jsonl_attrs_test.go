package imports_test

import (
	"testing"
)

// Attribute numbers in JSON Lines keep their exact text, as in a CSV
// attr. column: they never pass through float64.
func TestJSONLAttrNumbersExact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	line := `{"id":"T1","date":"2027-01-05","owner":"ae-1","amount":"10","currency":"USD","attrs":{"big":12345678901234567890.10,"dime":0.10,"huge":1e21,"flag":true}}` + "\n"
	if _, err := b.txns(t, "t.jsonl", line); err != nil {
		t.Fatal(err)
	}
	got, err := b.st.TransactionGet(t.Context(), "T1")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"big": "12345678901234567890.10", "dime": "0.10", "huge": "1e21", "flag": "true"} {
		if got.Attrs[k] != want {
			t.Errorf("attr %s = %q, want %q", k, got.Attrs[k], want)
		}
	}
}

// JSON Lines attributes are read as CSV attr. columns are: space around a
// value is dropped, and an empty or null value is left out (found by
// FuzzJSONL: the same rows as CSV and as JSON Lines differed).
func TestJSONLAttrsLikeCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	line := `{"id":"T1","date":"2027-01-05","owner":"ae-1","amount":"10","currency":"USD","attrs":{"s":" x ","e":"","n":null,"b":false}}` + "\n"
	if _, err := b.txns(t, "t.jsonl", line); err != nil {
		t.Fatal(err)
	}
	got, err := b.st.TransactionGet(t.Context(), "T1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attrs) != 2 || got.Attrs["s"] != "x" || got.Attrs["b"] != "false" {
		t.Fatalf("attrs = %v, want only s=x and b=false", got.Attrs)
	}
}
