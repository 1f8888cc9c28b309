package datagen

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	c := Config{Transactions: 2000}
	if err := WriteTransactions(&a, c); err != nil {
		t.Fatal(err)
	}
	if err := WriteTransactions(&b, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same config wrote different transactions")
	}
	rows, err := csv.NewReader(&a).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rows) - 1; got != 2000 {
		t.Fatalf("got %d transactions, want 2000", got)
	}
}

func TestOrg(t *testing.T) {
	t.Parallel()
	people := People(Config{})
	roles := map[string]int{}
	ids := map[string]bool{}
	for _, p := range people {
		roles[p.Role]++
		if ids[p.ID] {
			t.Fatalf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if p.Manager != "" && !ids[p.Manager] {
			t.Fatalf("%s's manager %s is not listed before them", p.ID, p.Manager)
		}
	}
	want := map[string]int{"VP": 1, "Manager": 4, "AE": 20, "SDR": 8, "SE": 4, "RM": 4}
	for role, n := range want {
		if roles[role] != n {
			t.Errorf("%d %s, want %d", roles[role], role, n)
		}
	}
}
