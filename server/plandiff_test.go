package server_test

import (
	"context"
	"flag"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/icomp/icomp/plans"
	"github.com/icomp/icomp/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// publishVersions publishes sources as successive versions of the named
// comp plan, straight into the store (the diff page reads sources only).
func publishVersions(t *testing.T, f *fixture, name string, sources ...string) {
	t.Helper()
	err := f.st.InTx(context.Background(), func(tx storage.Tx) error {
		for _, src := range sources {
			label := regexp.MustCompile(`(?m)^version: "?([^"\n]*)"?$`).FindStringSubmatch(src)
			if label == nil {
				t.Fatalf("no version label in\n%s", src)
			}
			v := storage.PlanVersion{Hash: plans.HashSource([]byte(src)), Kind: plans.KindCompPlan, Name: name, Version: label[1],
				File: name + "/plan.yaml", Source: src}
			if _, err := tx.PlanVersionInsert(context.Background(), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// between is the first part of s from start to the end of end, or "".
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return ""
	}
	return s[i : i+j+len(end)]
}

const (
	diffV1 = `kind: comp_plan
name: diff-demo
version: "1"
components:
  - name: commission
    earning_code: COMM
    type: rate_table
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, rate: 0.12}
  - name: spiff
    earning_code: SPIFF
    amount: 500
`
	diffV2 = `kind: comp_plan
name: diff-demo
version: "2"
components:
  - name: commission
    earning_code: COMM
    type: rate_table
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, to: 1.5, rate: 0.12}
      - {from: 1.5, rate: 0.15}
  - name: spiff
    earning_code: SPIFF
    amount: 500
`
	diffV3 = `kind: comp_plan
name: diff-demo
version: "3"
components:
  - name: commission
    earning_code: COMM
    type: rate_table
    tiers:
      - {from: 0, to: 1, rate: 0.08}
      - {from: 1, to: 1.5, rate: 0.12}
      - {from: 1.5, rate: 0.15}
`
)

// TestPlanDiffPage: the plans page offers to compare a plan's versions;
// the diff page shows the version in force against the one before by
// default (golden file), any two picked, added and removed lines marked,
// and refuses unknown plans and versions.
func TestPlanDiffPage(t *testing.T) {
	f := newFixture(t)
	publishVersions(t, f, "diff-demo", diffV1, diffV2, diffV3)
	code, body, _ := f.do(t, "admin", "GET", "/admin/plans", nil)
	if code != 200 || !strings.Contains(body, `action="/admin/plans/diff-demo/diff"`) || !strings.Contains(body, `href="/admin/plans/diff-demo/diff?to=`) {
		t.Fatalf("plans page: %d, no compare form or diff link for diff-demo\n%.3000s", code, body)
	}
	// Version 1 has no earlier version: two diff links, for 2 and 3.
	if n := strings.Count(body, `href="/admin/plans/diff-demo/diff?to=`); n != 2 {
		t.Errorf("plans page: %d diff links for diff-demo, want 2", n)
	}
	code, body, _ = f.do(t, "admin", "GET", "/admin/plans/diff-demo/diff", nil)
	if code != 200 {
		t.Fatalf("diff page: %d\n%.2000s", code, body)
	}
	got := between(body, `<h1>`, `</h1>`) + "\n" + between(body, `<p class="diff-stat"`, `</p>`) + "\n" + between(body, `<table class="plandiff"`, `</table>`) + "\n"
	golden := filepath.Join("testdata", "plandiff.html.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the diff page differs from %s (go test -update rewrites it):\n%s\nwant:\n%s", golden, got, want)
	}
	cases := []struct {
		query string
		want  int
		has   []string
	}{
		// 1 → 2: a tier split in two; nothing removed but the old tier.
		{"?from=1&to=2", 200, []string{`<span class="added">+3</span> <span class="removed">−2</span>`,
			`<tr class="added"><td class="no"></td><td class="no">11</td><td class="op">+</td><td class="text">      - {from: 1.5, rate: 0.15}</td></tr>`}},
		{"?from=" + plans.HashSource([]byte(diffV1))[:10] + "&to=3", 200, []string{"version 1 → 3"}},
		{"?from=2&to=2", 200, []string{`id="diff-same"`, "have the same content"}},
		{"?from=9", 400, []string{"from: plan diff-demo has no version &#34;9&#34;; published versions: 1, 2, 3"}},
		{"?to=1", 400, []string{"from: plan diff-demo has no version published before 1 with other content; " +
			"choose one under Compare versions on the Plans page, or add from=VERSION to this page&#39;s address (published versions: 1, 2, 3)"}},
	}
	for _, c := range cases {
		code, body, _ := f.do(t, "admin", "GET", "/admin/plans/diff-demo/diff"+c.query, nil)
		if code != c.want {
			t.Errorf("diff%s: %d, want %d\n%.2000s", c.query, code, c.want, body)
			continue
		}
		for _, h := range c.has {
			if !strings.Contains(body, h) {
				t.Errorf("diff%s lacks %q\n%.6000s", c.query, h, body)
			}
		}
		if strings.Contains(body, "--from") {
			t.Errorf("diff%s names the command's --from flag on a web page\n%.6000s", c.query, body)
		}
	}
	if code, _, _ := f.do(t, "admin", "GET", "/admin/plans/no-such-plan/diff", nil); code != 404 {
		t.Errorf("diff of no plan: %d, want 404", code)
	}
	if code, _, _ := f.do(t, "rep", "GET", "/admin/plans/diff-demo/diff", nil); code != 403 {
		t.Errorf("diff page as a rep: %d, want 403", code)
	}
}

// TestPlanDiffWhatIf: the diff page's what-if form of a version runs
// that version's source on the what-if page.
func TestPlanDiffWhatIf(t *testing.T) {
	f := newFixture(t)
	plan, _, _ := lineOf(t, f, repPerson)
	cur, err := f.st.PlanVersionLatest(context.Background(), plans.KindCompPlan, plan)
	if err != nil {
		t.Fatal(err)
	}
	label := regexp.MustCompile(`(?m)^version: .*$`)
	if !label.MatchString(cur.Source) {
		t.Fatalf("%s has no version line", plan)
	}
	next := label.ReplaceAllString(cur.Source, `version: "diff-test"`)
	publishVersions(t, f, plan, next)
	code, body, _ := f.do(t, "admin", "GET", "/admin/plans/"+plan+"/diff", nil)
	if code != 200 || !strings.Contains(body, `id="whatif-to"`) || !strings.Contains(body, `id="whatif-from"`) {
		t.Fatalf("diff page of %s: %d, no what-if forms\n%.3000s", plan, code, body)
	}
	forms := regexp.MustCompile(`<input type="hidden" name="plan" value="([^"]*)">`).FindAllStringSubmatch(body, -1)
	if len(forms) != 2 {
		t.Fatalf("%d what-if forms, want 2", len(forms))
	}
	src := html.UnescapeString(forms[1][1])
	if src != next {
		t.Fatalf("the what-if form of the newer version carries another source:\n%s", src)
	}
	code, body, _ = f.do(t, "admin", "POST", "/admin/whatif", url.Values{"period": {quarter}, "plan": {src}})
	if code != 200 || !strings.Contains(body, plan+" version diff-test on "+quarter) {
		t.Errorf("what-if of version diff-test: %d\n%.3000s", code, body)
	}
}
