package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

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

	b := newBrowserSession(t, exe, "icomp-plandiff-shots-")
	step, shot, text := b.step, b.shot, b.text
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
