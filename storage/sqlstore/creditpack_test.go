package sqlstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
)

func TestCreditPackRoundTrip(t *testing.T) {
	d := decimal.RequireFromString
	credits := []ledger.Credit{
		{LineKey: "b", Txn: "T2", TxnHash: "h2", Rule: "owner", Date: "2027-01-02", Type: "new", Share: d("1"), Amount: d("10.5")},
		{LineKey: "a", Txn: "T\"q\\\x1e\x1f\n\tü✓", TxnHash: "h", Rule: "split", Date: "2027-01-01", Type: "", Share: d("0.25"), Amount: d("-3")},
		{LineKey: "b", Txn: "T1", TxnHash: "h1", Rule: "split", Date: "2027-01-01", Type: "new", Share: d("0.5"), Amount: d("5")},
		{LineKey: "b", Txn: "T1", TxnHash: "h1", Rule: "owner", Date: "2027-01-01", Type: "new", Share: d("0.5"), Amount: d("5")},
	}
	keys, txns, packs, err := CreditPacks(credits)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "b,a" {
		t.Fatalf("keys %v, want b,a (first appearance)", keys)
	}
	var got []ledger.Credit
	for i := range keys {
		var v map[string][]string
		if err := json.Unmarshal([]byte(packs[i]), &v); err != nil {
			t.Fatalf("pack %s is not JSON: %v\n%s", keys[i], err, packs[i])
		}
		var ids []string
		if err := json.Unmarshal([]byte(txns[i]), &ids); err != nil || len(ids) != len(v["rule"]) {
			t.Fatalf("transactions of %s: %v, %v\n%s", keys[i], ids, err, txns[i])
		}
		if got, err = DecodeCreditPack(got, keys[i], txns[i], packs[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := []ledger.Credit{credits[3], credits[2], credits[0], credits[1]} // b's by txn and rule, then a
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
	if ids, err := decodeStrings(txns[0], true, nil); err != nil || strings.Join(ids, ",") != "T1,T1,T2" {
		t.Fatalf("decodeStrings(%s) = %v, %v", txns[0], ids, err)
	}
}

func TestCreditPackDecode(t *testing.T) {
	const one = `["T1"]`
	tests := []struct {
		name, txns, pack string
		want             int // credits, or -1 for an error
	}{
		{"compact", one, `{"txn_hash":["h"],"rule":["r"],"date":["2027-01-01"],"type":[""],"share":["1"],"amount":["2"]}`, 1},
		{"spaced, as Postgres writes it", `["T1", "T2"] `, `{"txn_hash" : ["h", "h"], "rule" : ["r", "r"], "date" : ["d", "d"], "type" : ["", ""], "share" : ["1", "1"], "amount" : ["2", "3"]} `, 2},
		{"columns in another order", one, `{"amount":["2"],"share":["1"],"type":[""],"date":["d"],"rule":["r"],"txn_hash":["h"]}`, 1},
		{"escaped unicode", `["T\u00fc"]`, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, 1},
		{"no credits", `[]`, `{"txn_hash":[],"rule":[],"date":[],"type":[],"share":[],"amount":[]}`, 0},
		{"a column missing", one, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"]}`, -1},
		{"a column repeated", one, `{"txn_hash":["h"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"an unknown column", one, `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"columns of unequal length", `["T1","T2"]`, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"a number, not a string", one, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":[1],"amount":["2"]}`, -1},
		{"not a decimal", one, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["one"],"amount":["2"]}`, -1},
		{"transactions not an array", `"T1"`, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"unterminated", one, `{"txn_hash":["h`, -1},
		{"trailing text", one, `{"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}x`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCreditPack(nil, "k", tt.txns, tt.pack)
			if tt.want < 0 {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", got)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("decoded %d credits, %v; want %d", len(got), err, tt.want)
			}
		})
	}
	if _, _, _, err := CreditPacks([]ledger.Credit{{LineKey: "k", Txn: "T\xff"}}); err == nil {
		t.Fatal("a transaction id that is not UTF-8 was packed")
	}
}
