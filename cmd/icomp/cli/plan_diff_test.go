package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// planVersions is the explain plan (testdata/explain/plans) with two
// later versions: 2 raises tier 2's rate and adds a description line, 3
// narrows eligibility and drops the accelerator's gate.
var planVersions = []struct {
	label   string
	replace []string // old, new pairs applied to the previous version
}{
	{"1", nil},
	{"2", []string{
		`version: "1"`, `version: "2"`,
		"{from: 1, to: 1.5, rate: 0.12}", "{from: 1, to: 1.5, rate: 0.13}",
		"  and a per-credit new-logo SPIFF.\n", "  and a per-credit new-logo SPIFF.\n  Version 2 pays 13% in tier 2.\n",
	}},
	{"3", []string{
		`version: "2"`, `version: "3"`,
		`eligibility: person.role == "AE"`, `eligibility: person.role == "AE" && person.attrs.region != "EMEA"`,
		"    gate: attainment.bookings >= 0.5\n", "",
	}},
}

// planDiffFixture publishes the three versions, each from its own
// directory, and returns the database.
func planDiffFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "icomp.db")
	plan, err := os.ReadFile("testdata/explain/plans/plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	targets, err := os.ReadFile("testdata/explain/plans/targets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(plan)
	for _, v := range planVersions {
		for i := 0; i < len(v.replace); i += 2 {
			if !strings.Contains(src, v.replace[i]) {
				t.Fatalf("version %s: the plan has no %q", v.label, v.replace[i])
			}
			src = strings.Replace(src, v.replace[i], v.replace[i+1], 1)
		}
		dir := filepath.Join(t.TempDir(), "v"+v.label, "plans")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string]string{"plan.yaml": src, "targets.yaml": string(targets)} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mustIcomp(t, "--db", db, "plan", "publish", dir)
	}
	return db
}

func TestPlanDiff(t *testing.T) {
	t.Parallel()
	db := planDiffFixture(t)
	show := mustIcomp(t, "--db", db, "plan", "show", "explain-ae", "--version", "1").out
	m := regexp.MustCompile(`hash ([0-9a-f]{64})`).FindStringSubmatch(show)
	if m == nil {
		t.Fatalf("plan show prints no hash:\n%.300s", show)
	}
	hash1 := m[1]
	cases := []struct {
		name   string
		args   []string
		golden string
	}{
		{"the version in force against the one before", nil, "default"},
		{"from a label to a label", []string{"--from", "1", "--to", "3"}, "1-3"},
		{"from a hash prefix", []string{"--from", hash1[:8], "--to", "2"}, "1-2"},
	}
	for _, c := range cases {
		r := mustIcomp(t, append([]string{"--db", db, "plan", "diff", "explain-ae"}, c.args...)...)
		golden := filepath.Join("testdata", "plandiff", c.golden+".diff.golden")
		if *update {
			if err := os.WriteFile(golden, []byte(r.out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if r.out != string(want) {
			t.Errorf("%s: icomp plan diff %v differs from %s (go test -update rewrites it):\n%s", c.name, c.args, golden, lineDiff(string(want), r.out))
		}
	}
	// The default is --from 2 --to 3.
	if a, b := mustIcomp(t, "--db", db, "plan", "diff", "explain-ae").out, mustIcomp(t, "--db", db, "plan", "diff", "explain-ae", "--from", "2", "--to", "3").out; a != b {
		t.Errorf("the default differs from --from 2 --to 3:\n%s", lineDiff(b, a))
	}
	// The same version: nothing on stdout, a note on stderr.
	if r := mustIcomp(t, "--db", db, "plan", "diff", "explain-ae", "--from", "2", "--to", "2"); r.out != "" || !strings.Contains(r.errOut, "versions 2 and 2 have the same content") {
		t.Errorf("a version against itself: %s", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `no published plan named "nope"`},
		{[]string{"explain-ae", "--from", "9"}, `from: plan explain-ae has no version "9"; published versions: 1, 2, 3`},
		{[]string{"explain-ae", "--to", "9"}, `to: plan explain-ae has no version "9"`},
		{[]string{"explain-ae", "--to", "1"}, "from: plan explain-ae has no version published before 1 with other content"},
		// One version only: publishing the same content again changed nothing.
		{[]string{"explain-quotas"}, "from: plan explain-quotas has no version published before"},
	} {
		r := icomp(t, append([]string{"--db", db, "plan", "diff"}, c.args...)...)
		if r.code == ExitOK || !strings.Contains(r.errOut, c.want) {
			t.Errorf("icomp plan diff %v: %s\nwant an error saying %q", c.args, r, c.want)
		}
	}
}
