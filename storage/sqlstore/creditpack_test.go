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
	keys, packs, err := CreditPacks(credits)
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
		if got, err = DecodeCreditPack(got, keys[i], packs[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := []ledger.Credit{credits[3], credits[2], credits[0], credits[1]} // b's by txn and rule, then a
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
	var txns []string
	if err := packTxns(packs[0], func(s string) { txns = append(txns, s) }); err != nil || strings.Join(txns, ",") != "T1,T1,T2" {
		t.Fatalf("packTxns = %v, %v", txns, err)
	}
}

func TestCreditPackDecode(t *testing.T) {
	tests := []struct {
		name, pack string
		want       int // credits, or -1 for an error
	}{
		{"compact", `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["2027-01-01"],"type":[""],"share":["1"],"amount":["2"]}`, 1},
		{"spaced, as Postgres writes it", `{"txn" : ["T1", "T2"], "txn_hash" : ["h", "h"], "rule" : ["r", "r"], "date" : ["d", "d"], "type" : ["", ""], "share" : ["1", "1"], "amount" : ["2", "3"]} `, 2},
		{"columns in another order", `{"amount":["2"],"share":["1"],"type":[""],"date":["d"],"rule":["r"],"txn_hash":["h"],"txn":["T1"]}`, 1},
		{"escaped unicode", `{"txn":["T\u00fc"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, 1},
		{"a column missing", `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"]}`, -1},
		{"a column repeated", `{"txn":["T1"],"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"an unknown column", `{"txn":["T1"],"who":["x"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"columns of unequal length", `{"txn":["T1","T2"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}`, -1},
		{"a number, not a string", `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":[1],"amount":["2"]}`, -1},
		{"not a decimal", `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["one"],"amount":["2"]}`, -1},
		{"unterminated", `{"txn":["T1`, -1},
		{"trailing text", `{"txn":["T1"],"txn_hash":["h"],"rule":["r"],"date":["d"],"type":[""],"share":["1"],"amount":["2"]}x`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCreditPack(nil, "k", tt.pack)
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
	if _, _, err := CreditPacks([]ledger.Credit{{LineKey: "k", Txn: "T\xff"}}); err == nil {
		t.Fatal("a transaction id that is not UTF-8 was packed")
	}
}
