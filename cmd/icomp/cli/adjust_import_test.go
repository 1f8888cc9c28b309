package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportAdjustmentsTwice: importing the same adjustments file again
// records nothing, and says which recorded adjustment each row repeats; a
// row the file holds twice on purpose is recorded twice, once. Regression
// test: every import recorded every row again, and the next payroll paid
// each adjustment once per import.
func TestImportAdjustmentsTwice(t *testing.T) {
	t.Parallel()
	db := fixture(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const header = "person,period,amount,currency,earning_code,reason\n"
	const row = "ae-1,2027-Q1,100.00,USD,ADJ,missed split on T004\n"
	first := write("adj.csv", header+row+row+"ae-2,2027-Q1,-25.50,USD,ADJ,duplicate SPIFF\n")
	for _, tc := range []struct {
		name, path   string
		out, errOut  string
		adjustmentsA int // ae-1's adjustments on the statement after it
	}{
		{"first import", first, "adjustments: 3 recorded, 0 already recorded", "", 2},
		{"the same file again", first, "adjustments: 0 recorded, 3 already recorded", "adj.csv:3: not recorded: the same person, period, amount, currency, earning code and reason as adjustment 2 (from ", 2},
		{"the same content under another name, amount written 100", write("again.csv", header+strings.Replace(row, "100.00", "100", 1)), "adjustments: 0 recorded, 1 already recorded", "again.csv:2: not recorded", 2},
		{"a third one of the same", write("third.csv", header+row+row+row), "adjustments: 1 recorded, 2 already recorded", "third.csv:3: not recorded", 3},
		{"its own reason", write("own.csv", header+strings.Replace(row, "T004", "T005", 1)), "adjustments: 1 recorded, 0 already recorded", "", 4},
	} {
		r := mustIcomp(t, "--db", db, "import", "adjustments", tc.path)
		if !strings.Contains(r.out, tc.out) || (tc.errOut == "" && r.errOut != "") || !strings.Contains(r.errOut, tc.errOut) {
			t.Fatalf("%s: got\n%s\nwant %q and %q", tc.name, r, tc.out, tc.errOut)
		}
		mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
		st := mustIcomp(t, "--db", db, "statement", "--person", "ae-1", "--period", "2027-Q1").out
		if n := strings.Count(st, "missed split on T00"); n != tc.adjustmentsA {
			t.Fatalf("%s: ae-1's statement shows %d adjustments, want %d:\n%s", tc.name, n, tc.adjustmentsA, st)
		}
	}
}
