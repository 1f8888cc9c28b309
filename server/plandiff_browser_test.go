package server_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/icomp/icomp/plans"
)

// TestPlanDiffBrowser: an admin compares two versions of a plan from the
// plans page in Chromium, sees the diff, and runs the what-if of the
// newer version from the diff page (a real form post, CSRF token and
// all). Screenshots go to a temporary directory named in the log.
func TestPlanDiffBrowser(t *testing.T) {
	exe := findBrowser(t)
	f := newFixture(t)
	plan, _, _ := lineOf(t, f, repPerson)
	cur, err := f.st.PlanVersionLatest(context.Background(), plans.KindCompPlan, plan)
	if err != nil {
		t.Fatal(err)
	}
	next := regexp.MustCompile(`(?m)^version: .*$`).ReplaceAllString(cur.Source, `version: "diff-test"`)
	next = strings.Replace(next, "\ncomponents:\n", "\n# A comment added by the diff test.\ncomponents:\n", 1)
	publishVersions(t, f, plan, next)

	shots, err := os.MkdirTemp("", "icomp-plandiff-shots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o600)
		})
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	step("admin signs in", chromedp.Navigate(f.ts.URL+"/signin"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), f.users["admin"].Email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("signout")))
	step("plans page", chromedp.Navigate(f.ts.URL+"/admin/plans"), chromedp.WaitVisible(chromedp.ID("plan-compare")), shot("01-plans"))
	step("compare", chromedp.Click(chromedp.ID("compare-"+plan)), chromedp.WaitVisible(chromedp.ID("plandiff")), shot("02-diff"))
	if h := text("h1"); !strings.Contains(h, "→ diff-test") {
		t.Errorf("diff page heading %q", h)
	}
	if added := text("#plandiff tr.added"); !strings.Contains(added, `version: "diff-test"`) {
		t.Errorf("first added line %q", added)
	}
	step("what-if of the new version", chromedp.Click(chromedp.ID("whatif-to")), chromedp.WaitVisible(chromedp.ID("whatif-totals")), shot("03-whatif"))
	if h := text("h2"); !strings.Contains(h, plan+" version diff-test") {
		t.Errorf("what-if heading %q", h)
	}
}
