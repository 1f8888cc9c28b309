package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/storage"
)

// planHistory is a storage.PlanReader over one plan's publications.
type planHistory []storage.PlanVersion

func (h planHistory) PlanVersionGet(context.Context, string) (storage.PlanVersion, error) {
	return storage.PlanVersion{}, storage.ErrNotFound
}
func (h planHistory) PlanVersionLatest(context.Context, string, string) (storage.PlanVersion, error) {
	return h[len(h)-1], nil
}
func (h planHistory) PlanVersionListLatest(context.Context, string) ([]storage.PlanVersion, error) {
	return h[len(h)-1:], nil
}
func (h planHistory) PlanVersionHistory(_ context.Context, name string) ([]storage.PlanVersion, error) {
	var out []storage.PlanVersion
	for _, v := range h {
		if v.Name == name {
			out = append(out, v)
		}
	}
	return out, nil
}
func (h planHistory) PlanVersionListByLabel(context.Context, string, string, string) ([]storage.PlanVersion, error) {
	return nil, nil
}

func version(seq int64, label, hash, src string) storage.PlanVersion {
	return storage.PlanVersion{Seq: seq, Name: "p", Kind: "comp_plan", Version: label, Hash: hash + strings.Repeat("0", 64-len(hash)), File: "p/plan.yaml", Source: src}
}

// TestDiffPlanVersions: which versions are compared by default (a
// republished older version is the one in force, and the one before it
// with other content is compared), and the hunks' lines and numbers.
func TestDiffPlanVersions(t *testing.T) {
	t.Parallel()
	v1 := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	v2 := "a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk\n"
	h := planHistory{version(1, "1", "aaaaaa11", v1), version(2, "2", "bbbbbb22", v2), version(3, "1", "aaaaaa11", v1)}
	cases := []struct {
		name, from, to string
		want           string // hunks as "@@ from,count to,count" then op+text lines
		err            string
	}{
		// 1 republished is in force: compared with 2, the newest other content.
		{"default", "", "", "@@ 1,6 1,6| a| b|-C|+c| d| e| f|@@ 8,4 8,3| h| i| j|-k", ""},
		// Changes 8 lines apart: two hunks of 3 context lines each.
		{"forward", "1", "2", "@@ 1,6 1,6| a| b|-c|+C| d| e| f|@@ 8,3 8,4| h| i| j|+k", ""},
		{"hash prefix", "bbbbbb", "aaaaaa11", "@@ 1,6 1,6| a| b|-C|+c| d| e| f|@@ 8,4 8,3| h| i| j|-k", ""},
		{"same", "1", "1", "", ""},
		{"no such version", "7", "", "", `from: plan p has no version "7"; published versions: 1, 2, 1`},
		{"short hash prefix", "aaa", "", "", `from: plan p has no version "aaa"`},
	}
	for _, c := range cases {
		d, err := DiffPlanVersions(context.Background(), h, "p", c.from, c.to)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, hk := range d.Hunks {
			got = append(got, fmt.Sprintf("@@ %d,%d %d,%d", hk.FromLine, hk.FromCount, hk.ToLine, hk.ToCount))
			for _, l := range hk.Lines {
				got = append(got, string(l.Op)+l.Text)
			}
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("%s: hunks\n%s\nwant\n%s", c.name, strings.Join(got, "|"), c.want)
		}
	}
	// Line numbers of each side, and the counts.
	d, err := DiffPlanVersions(context.Background(), h, "p", "1", "2")
	if err != nil {
		t.Fatal(err)
	}
	ls := d.Hunks[0].Lines
	if d.Added != 2 || d.Removed != 1 || ls[2].FromNo != 3 || ls[2].ToNo != 0 || ls[3].ToNo != 3 || ls[3].FromNo != 0 || ls[4].FromNo != 4 || ls[4].ToNo != 4 ||
		d.Hunks[1].Lines[3].ToNo != 11 || d.Hunks[1].Lines[3].Op != '+' || ls[2].Kind() != "removed" || ls[3].Kind() != "added" || ls[4].Kind() != "same" {
		t.Errorf("lines %+v, +%d -%d", ls, d.Added, d.Removed)
	}
	u, err := d.Unified()
	if err != nil {
		t.Fatal(err)
	}
	// Label 1's newest publication is the third.
	want := "--- p version 1 (aaaaaa110000, publication 3) p/plan.yaml\n+++ p version 2 (bbbbbb220000, publication 2) p/plan.yaml\n" +
		"@@ -1,6 +1,6 @@\n a\n b\n-c\n+C\n d\n e\n f\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n"
	if u != want {
		t.Errorf("unified:\n%s\nwant\n%s", u, want)
	}
}
