package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRefusesToOverwrite: bench --dir D names the files it would
// write that D holds already and touches nothing; into a fresh D it runs,
// and a second run into the same D is refused (its database exists).
func TestBenchRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := map[string]string{"people.csv": "my people\n", filepath.Join("plans", "sdr", "plan.yaml"): "my plan\n", "notes.txt": "unrelated\n"}
	for name, content := range mine {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"bench", "--dir", dir, "--transactions", "200", "--people", "12"}
	r := icomp(t, args...)
	want := "icomp: --dir " + dir + " already holds people.csv, " + filepath.Join("plans", "sdr", "plan.yaml") + "; bench does not overwrite files: pick another directory or remove them\n"
	if r.code != ExitUsage || r.errOut != want || r.out != "" {
		t.Fatalf("bench into a used directory: %s\nwant exit 2 and stderr %q", r, want)
	}
	for name, content := range mine {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
			t.Fatalf("%s after the refusal: %q, %v; want %q", name, b, err, content)
		}
	}
	for _, name := range []string{"transactions.csv", "icomp.db", "icomp.db.lock", filepath.Join("plans", "account-executive")} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Fatalf("the refused bench made %s (%v)", name, err)
		}
	}

	fresh := filepath.Join(t.TempDir(), "bench")
	args[2] = fresh
	if r := mustIcomp(t, args...); !strings.Contains(r.out, "digest ") {
		t.Fatalf("bench into a fresh directory: %s", r)
	}
	r = icomp(t, args...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "already holds people.csv, transactions.csv, icomp.db, icomp.db.lock, plans") {
		t.Fatalf("second bench into the same directory: %s", r)
	}
}
