package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/engine/period"
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

// attrsJSON writes what json.Marshal writes, byte for byte: stored
// content hashes cover it.
func TestAttrsJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, m := range []map[string]string{
		{"stage": "accepted"},
		{"qualified": "true", "term": "multi-year", "empty": "", "b": "2", "a": "1", "A": "0"},
		{"html": "<b>&</b>"}, {"quote": `say "hi"`}, {"slash": `a\b`}, {"ctl": "a\tb\x01"},
		{"unicode": "Ärger ✓"}, {"line": "a\u2028b"}, {"bad": "a\xffb"}, {"del": "a\x7fb"},
		{"k<": "v"}, {"": ""}, {"sp ace": " v "},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := attrsJSON(m); got != string(want) {
			t.Errorf("attrsJSON(%q) = %s, want %s", m, got, want)
		}
	}
}

// transactionSum hashes the same text as hashSum of the stored fields:
// hashes stored by earlier imports must still match.
func TestTransactionSumStable(t *testing.T) {
	t.Parallel()
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	date, err := period.ParseDate("2027-02-03")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []facts.Transaction{
		{ID: "T1", Date: date, Amount: d("10.50"), Currency: "USD"},
		{ID: "T2", Date: date, Type: "new", Owner: "ae-1", Territory: "west", Product: "core", Amount: d("-3"), Currency: "EUR",
			Splits: []facts.Split{{Person: "ae-1", Share: d("0.6")}, {Person: "ae-2", Share: d("0.4")}},
			Attrs:  map[string]string{"stage": "won", "close": "2027-02-01", "note": "<&>"}},
		{ID: "T3", Date: date, Amount: d("1"), Currency: "JPY", Attrs: map[string]string{"x": "é"}},
	} {
		want := hashSum(tr.ID, tr.Date.String(), tr.Type, tr.Owner, tr.Territory, tr.Product, tr.Amount.String(), tr.Currency, splitsText(tr.Splits), attrsJSON(tr.Attrs))
		if got := transactionSum(tr); got != want {
			t.Errorf("transactionSum(%s) = %x, want %x", tr.ID, got, want)
		}
	}
}
