package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMultiCurrencyEndToEnd: exchange rates imported with icomp import fx
// convert a GBP deal into the EUR plan's currency and the EUR earnings into
// the GBP payee's currency; a missing rate fails the run naming the pair
// and month; the statement shows both conversions and payroll pays in GBP.
func TestMultiCurrencyEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "icomp.db")
	write := func(name, content string) string { return writeTemp(t, dir, name, content) }
	mustIcomp(t, "--db", db, "plan", "publish", "../../../examples/emea-account-executive")
	mustIcomp(t, "--db", db, "import", "people", write("people.csv", "id,name,role,territory,currency,plans\nemea-ae-1,Ada,EMEA-AE,emea,GBP,emea-ae-quarterly\n"))
	mustIcomp(t, "--db", db, "import", "transactions", write("txns.csv", "id,date,type,owner,amount,currency\n"+
		"E1,2027-01-10,new,emea-ae-1,10000,EUR\n"+
		"E2,2027-02-14,new,emea-ae-1,1000.00,GBP\n"))

	// No rates yet: the run fails, naming what is missing.
	r := icomp(t, "--db", db, "run", "--period", "2027-Q1")
	if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "no fx rate GBP→EUR for 2027-02 (needed by transaction E2 (1000 GBP) for plan emea-ae-quarterly)") {
		t.Fatalf("run without rates: %s", r)
	}
	// A bad rates file imports nothing.
	if r := icomp(t, "--db", db, "import", "fx", write("bad.csv", "from,to,month,rate\nGBP,EUR,2027-02,-1\n")); r.code == ExitOK || !strings.Contains(r.out, "bad.csv:2: rate") {
		t.Fatalf("bad rates: %s", r)
	}
	// The deal's rate, but not the payee's: settlement fails.
	mustIcomp(t, "--db", db, "import", "fx", write("fx1.csv", "from,to,month,rate\nGBP,EUR,2027-02,1.1905\n"))
	r = icomp(t, "--db", db, "run", "--period", "2027-Q1")
	if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "no fx rate EUR→GBP for 2027-03 (needed by paying emea-ae-1's emea-ae-quarterly commission (783.34 EUR) in GBP") {
		t.Fatalf("run without the payee's rate: %s", r)
	}
	if r := mustIcomp(t, "--db", db, "import", "fx", write("fx2.csv", "from,to,month,rate\nGBP,EUR,2027-02,1.1905\nEUR,GBP,2027-03,0.8567\n")); !strings.Contains(r.out, "fx: 1 inserted, 0 changed, 1 unchanged") {
		t.Fatalf("second rates file: %s", r)
	}
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")

	// Bookings 10,000 + 1,000 GBP × 1.1905 = 11,190.50 EUR; commission 7%
	// = 783.335 → 783.34 EUR; paid 783.34 × 0.8567 = 671.087... → 671.09 GBP.
	s := mustIcomp(t, "--db", db, "statement", "--person", "emea-ae-1", "--period", "2027-Q1").out
	for _, want := range []string{
		"converted: 1000 GBP × 1.1905 (GBP→EUR, 2027-02) = 1190.5 EUR",
		"commission [COMM]: 783.34 EUR",
		"earned                               783.34 EUR",
		"payable commission                   671.09 GBP emea-ae-quarterly: converted to the payee's currency: 783.34 EUR × 0.8567 (EUR→GBP, 2027-03) = 671.09 GBP",
		"payable                              671.09 GBP",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("statement does not show %q:\n%s", want, s)
		}
	}
	mustIcomp(t, "--db", db, "period", "approve", "2027-Q1")
	csvText := mustIcomp(t, "--db", db, "export", "payroll", "--period", "2027-Q1").out
	if !strings.Contains(csvText, ",emea-ae-quarterly,commission,COMM,2027-Q1,671.09,GBP,") {
		t.Fatalf("payroll does not pay 671.09 GBP:\n%s", csvText)
	}
}
