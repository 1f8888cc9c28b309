package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPublishedName(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	abs := filepath.Join(tmp, "x", "examples")
	cases := []struct {
		name  string
		roots []string
		path  string
		want  string
	}{
		{"absolute directory", []string{abs}, filepath.Join(abs, "golden-ae", "plan.yaml"), "examples/golden-ae/plan.yaml"},
		{"the file itself", []string{filepath.Join(abs, "golden-ae", "plan.yaml")}, filepath.Join(abs, "golden-ae", "plan.yaml"), "golden-ae/plan.yaml"},
		{"relative directory", []string{"testdata/explain/plans"}, "testdata/explain/plans/plan.yaml", "plans/plan.yaml"},
		{"dot-dot in the root", []string{"testdata/explain/../explain/plans"}, "testdata/explain/plans/plan.yaml", "plans/plan.yaml"},
		{"first root that holds it", []string{abs + "-other", abs, filepath.Join(abs, "golden-ae")}, filepath.Join(abs, "golden-ae", "plan.yaml"), "examples/golden-ae/plan.yaml"},
		{"a sibling with the root's name as prefix", []string{abs}, abs + "2/plan.yaml", "examples2/plan.yaml"},
		{"no root holds it", nil, filepath.Join(abs, "plan.yaml"), "examples/plan.yaml"},
		{"the file system root", []string{string(filepath.Separator)}, filepath.Join(abs, "p.yaml"), strings.TrimPrefix(filepath.ToSlash(filepath.Join(abs, "p.yaml")), "/")},
	}
	for _, c := range cases {
		if got := publishedName(c.roots, c.path); got != c.want {
			t.Errorf("%s: publishedName(%q, %q) = %q, want %q", c.name, c.roots, c.path, got, c.want)
		}
	}
	// "." names the working directory by its own name.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := publishedName([]string{"."}, "testdata/explain/plans/plan.yaml"), filepath.Base(wd)+"/testdata/explain/plans/plan.yaml"; got != want {
		t.Errorf("publishedName(., …) = %q, want %q", got, want)
	}
}

// TestExplainSameFromAnyDirectory: the explain plans published by an
// absolute path from another directory explain exactly as the golden
// files (published by a relative path) say: no path of the publishing
// machine shows. And no golden file holds one.
func TestExplainSameFromAnyDirectory(t *testing.T) {
	t.Parallel()
	elsewhere := filepath.Join(t.TempDir(), "somewhere", "plans")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Glob("testdata/explain/plans/*")
	if err != nil || len(src) == 0 {
		t.Fatalf("explain plans: %v", err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(elsewhere, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "icomp.db")
	mustIcomp(t, "--db", db, "import", "people", "testdata/statement/people.csv")
	mustIcomp(t, "--db", db, "import", "transactions", "testdata/statement/transactions.csv")
	mustIcomp(t, "--db", db, "plan", "publish", elsewhere)
	mustIcomp(t, "--db", db, "run", "--period", "2027-Q1")
	for _, tc := range explainLines[:2] {
		for _, format := range []string{"text", "json"} {
			r := mustIcomp(t, "--db", db, "explain", tc.line, "--format", format)
			golden := filepath.Join("testdata", "explain", tc.name+"."+format+".golden")
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if r.out != string(want) {
				t.Errorf("explain %s --format %s published from %s differs from %s:\n%s", tc.line, format, elsewhere, golden, lineDiff(string(want), r.out))
			}
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goldens, err := filepath.Glob("testdata/*/*.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("golden files: %v", err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, machine := range []string{wd, os.TempDir(), "/tmp/", "/home/", "/root/", "/work/"} {
			if strings.Contains(string(b), machine) {
				t.Errorf("%s holds a path of the machine: %q", g, machine)
			}
		}
	}
}
