package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOnlyCommandsNeedADatabase: a command that only reads (or, for
// payroll, exports what is there) refuses a SQLite file that does not
// exist, exit 2, and creates nothing: no empty database, no lock file.
func TestReadOnlyCommandsNeedADatabase(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"statement", "--person", "ae-1", "--period", "2027-Q1"},
		{"ledger", "digest"},
		{"ledger", "digest", "--period", "2027-Q1"},
		{"ledger", "verify"},
		{"export", "list"},
		{"export", "show", "1"},
		{"export", "payroll", "--period", "2027-Q1", "--out", "payroll.csv"},
		{"export", "statements", "--period", "2027-Q1", "--dir", "statements"},
		{"period", "list"},
		{"runs", "list"},
		{"runs", "diff", "1", "2"},
		{"plan", "list"},
		{"plan", "show", "golden-ae"},
		{"period", "approve", "2027-Q1"},
		{"period", "close", "2027-Q1"},
		{"adjust", "--person", "ae-1", "--period", "2027-Q1", "--amount", "1", "--earning-code", "ADJ", "--reason", "r"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := filepath.Join(dir, "icomp.db")
			for i, a := range args {
				if a == "payroll.csv" || a == "statements" && i > 0 && args[i-1] == "--dir" {
					args[i] = filepath.Join(dir, a)
				}
			}
			r := icomp(t, append([]string{"--db", db}, args...)...)
			want := "icomp: no icomp database at " + db + "; import data first or pass --db\n"
			if r.code != ExitUsage || r.errOut != want || r.out != "" {
				t.Fatalf("%s\nwant exit 2 and stderr %q", r, want)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Fatalf("%s holds %v after the refusal, want nothing", dir, entries)
			}
		})
	}
}
