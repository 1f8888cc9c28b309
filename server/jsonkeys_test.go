package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDecodeJSONBodyKeys: a body's keys must be exactly the field names,
// each once. encoding/json alone matched "AMOUNT" to amount and kept the
// last of two, so {"amount": "5.00", …, "AMOUNT": "5000.00"} resolved a
// dispute with 5000.00.
func TestDecodeJSONBodyKeys(t *testing.T) {
	const fields = "action, amount, earning_code, currency, note"
	for _, c := range []struct {
		name, body string
		status     int    // 0: decoded
		msg        string // the error, or the amount decoded
	}{
		{"exact", `{"action": "adjust", "amount": "5.00", "earning_code": "ADJ", "note": "n"}`, 0, `"5.00"`},
		{"escaped key is the same key", `{"\u0061mount": "5.00"}`, 0, `"5.00"`},
		{"case variant repeats", `{"action": "adjust", "amount": "5.00", "earning_code": "ADJ", "note": "n", "AMOUNT": "5000.00"}`, 400,
			`AMOUNT: given twice (as "amount" and "AMOUNT"); give each field once, spelled exactly`},
		{"case variant first", `{"Amount": "5000.00", "amount": "5.00"}`, 400,
			"Amount: unknown field (field names are case-sensitive: amount); the fields are " + fields},
		{"case variant alone", `{"action": "adjust", "AMOUNT": "5000.00"}`, 400,
			"AMOUNT: unknown field (field names are case-sensitive: amount); the fields are " + fields},
		{"Unicode case variant", `{"\u00c1CTION": "adjust"}`, 400, "\u00c1CTION: unknown field; the fields are " + fields},
		{"exact repeat", `{"amount": "5.00", "amount": "5000.00"}`, 400, "amount: given twice; give each field once"},
		{"escaped repeat", `{"amount": "5.00", "\u0061mount": "5000.00"}`, 400, "amount: given twice; give each field once"},
		{"repeat after an object value", `{"note": {"a": 1, "a": 2}, "note": "x"}`, 400, "note: given twice"},
		{"unknown", `{"comment": "x"}`, 400, "comment: unknown field; the fields are " + fields},
		{"array", `[]`, 400, "body: want a JSON object with the fields " + fields + ", not a JSON array"},
		{"empty", ``, 400, "body: empty"},
		{"broken", `{"amount": "5.00",`, 400, "body: the JSON ends too early"},
		{"a second value", `{"amount": "5.00"} {"amount": "5000.00"}`, 400, "body: send one JSON object, nothing after it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/disputes/1/resolve", strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			var body apiDisputeResolveBody
			err := decodeJSONBody(r, &body)
			if c.status == 0 {
				if err != nil || string(body.Amount) != c.msg {
					t.Fatalf("%v, amount %s; want amount %s", err, body.Amount, c.msg)
				}
				return
			}
			be, ok := err.(*bodyError)
			if !ok || be.status != c.status || !strings.HasPrefix(be.msg, c.msg) {
				t.Fatalf("%#v, want %d %q", err, c.status, c.msg)
			}
		})
	}
}

// TestFoldKey: keys fold as encoding/json folds them, which matches the
// Kelvin sign to k and the long s to s.
func TestFoldKey(t *testing.T) {
	for _, p := range [][2]string{{"amount", "AMOUNT"}, {"task", "ta\u017f\u212a"}, {"\u00e1", "\u00c1"}} {
		if foldKey(p[0]) != foldKey(p[1]) {
			t.Errorf("%q and %q fold apart", p[0], p[1])
		}
	}
	if foldKey("amount") == foldKey("amounts") {
		t.Error("amount and amounts fold together")
	}
}

// TestJSONFields: the names the bodies may have, in the order the
// messages list them.
func TestJSONFields(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{&apiDisputeOpenBody{}, "plan, component, txn, text"},
		{&apiDisputeReviewBody{}, "note"},
		{&apiDisputeResolveBody{}, "action, amount, earning_code, currency, note"},
	} {
		if got := strings.Join(jsonFields(c.v), ", "); got != c.want {
			t.Errorf("%T: %q, want %q", c.v, got, c.want)
		}
	}
}
