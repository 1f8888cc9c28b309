package storagetest

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// V14Credits is SQL that stores credits of two lines in a schema v14
// database (one row per credit, in no particular order), for a backend's
// upgrade test: after the upgrade to v15 (one pack per line),
// CheckV14Credits must find them all.
const V14Credits = `INSERT INTO credit (line_key, txn, txn_hash, rule, date, type, share, amount) VALUES
	('k-a', 'T2', 'h2', 'owner', '2027-01-06', 'new', '1', '20.00'),
	('k-b', 'T3', 'h3', 'owner', '2027-02-01', 'renewal', '1', '-5'),
	('k-a', 'T1', 'h1', 'split', '2027-01-05', 'new', '0.50', '5.5'),
	('k-a', 'Tü', 'hu', 'owner', '2027-01-07', '', '1', '1'),
	('k-a', 'T"1\', 'hq', 'owner', '2027-01-05', 'new', '1', '0'),
	('k-a', 'T1', 'h1', 'owner', '2027-01-05', 'new', '0.5', '5.5')`

// CheckV14Credits checks that st, upgraded from a schema v14 database
// holding V14Credits, lists each line's credits in canonical order
// (transaction, then rule, in byte order) with the same values.
func CheckV14Credits(t *testing.T, st storage.Store) {
	t.Helper()
	c := func(key, txn, hash, rule, date, typ, share, amount string) ledger.Credit {
		return ledger.Credit{LineKey: key, Txn: txn, TxnHash: hash, Rule: rule, Date: date, Type: typ,
			Share: decimal.RequireFromString(share), Amount: decimal.RequireFromString(amount)}
	}
	want := []ledger.Credit{
		c("k-a", `T"1\`, "hq", "owner", "2027-01-05", "new", "1", "0"),
		c("k-a", "T1", "h1", "owner", "2027-01-05", "new", "0.5", "5.5"),
		c("k-a", "T1", "h1", "split", "2027-01-05", "new", "0.50", "5.5"),
		c("k-a", "T2", "h2", "owner", "2027-01-06", "new", "1", "20.00"),
		c("k-a", "Tü", "hu", "owner", "2027-01-07", "", "1", "1"),
		c("k-b", "T3", "h3", "owner", "2027-02-01", "renewal", "1", "-5"),
	}
	got, err := st.CreditList(t.Context(), []string{"k-b", "k-a"})
	if err != nil {
		t.Fatal(err)
	}
	if show(got) != show(want) {
		t.Fatalf("credits after the upgrade:\n%s\nwant:\n%s", show(got), show(want))
	}
	if ledger.CreditsBasis(got[:5]) != ledger.CreditsBasis(want[:5]) {
		t.Fatal("the upgraded credits hash to another basis")
	}
}

func show(cs []ledger.Credit) string {
	var s string
	for _, c := range cs {
		s += fmt.Sprintf("%s %q %s %s %s %q %s %s\n", c.LineKey, c.Txn, c.TxnHash, c.Rule, c.Date, c.Type, c.Share, c.Amount)
	}
	return s
}
