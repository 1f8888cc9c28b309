package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// findBrowser returns Chromium's path: $ICOMP_CHROMIUM, /usr/bin/chromium
// (Debian's package) or the first Chromium or Chrome on PATH. Without
// one the browser tests skip, unless ICOMP_REQUIRE_BROWSER=1 (CI).
func findBrowser(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("ICOMP_CHROMIUM"), "/usr/bin/chromium"}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	if os.Getenv("ICOMP_REQUIRE_BROWSER") == "1" {
		t.Fatal("ICOMP_REQUIRE_BROWSER=1 but no Chromium found (apt-get install chromium, or set ICOMP_CHROMIUM)")
	}
	t.Skip("no Chromium (apt-get install chromium); set ICOMP_REQUIRE_BROWSER=1 to fail instead")
	return ""
}

// TestBrowserFlow drives Chromium through the web app: a rep reads a
// statement and drills into a payout line; another rep gets 404 for that
// statement's URL; an admin re-runs the quarter and sees the run finish;
// payroll downloads a batch. Screenshots go to a directory the log names.
func TestBrowserFlow(t *testing.T) {
	exe := findBrowser(t)
	f := newFixture(t)
	b := newBrowserSession(t, exe, "icomp-browser-shots-")
	ctx, shots, step, shot, text := b.ctx, b.shots, b.step, b.shot, b.text
	downloads := filepath.Join(shots, "downloads")
	if err := os.MkdirAll(downloads, 0o700); err != nil {
		t.Fatal(err)
	}
	signIn := func(email string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(f.ts.URL+"/signin"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("signin")),
			chromedp.WaitVisible(chromedp.ID("signout")),
		)
	}
	signOut := chromedp.Steps(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("email")))

	// 1. A rep: their periods, the quarter's statement, one payout line.
	statementURL := f.ts.URL + "/statements/" + repPerson + "/" + quarter
	step("rep signs in", signIn(f.users["rep"].Email), chromedp.WaitVisible(chromedp.ID("periods")), shot("01-rep-periods"))
	step("rep opens the statement", chromedp.Click(chromedp.CSS(`a[href="/statements/`+repPerson+`/`+quarter+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("article.icomp-statement")), shot("02-rep-statement"),
		chromedp.ScrollIntoView(chromedp.CSS("article.icomp-statement svg")), shot("02b-rep-statement-chart"))
	if head := text("article.icomp-statement header"); !strings.Contains(head, repPerson) || !strings.Contains(head, quarter) {
		t.Errorf("statement heading %q", head)
	}
	step("rep drills into a payout's explanation", chromedp.Click(chromedp.CSS(`article.icomp-statement a[href^="/explain?"]`)),
		chromedp.WaitVisible(chromedp.ID("explain")), shot("03-rep-explain"))
	if x := text("#explain"); !strings.Contains(x, "round") {
		t.Errorf("explanation %q does not show the rounding", x)
	}
	step("rep disputes a line", chromedp.Navigate(statementURL), chromedp.WaitVisible(chromedp.ID("dispute-forms")),
		chromedp.Click(chromedp.CSS("#dispute-forms details.dispute summary")),
		chromedp.SendKeys(chromedp.CSS("#dispute-forms details.dispute textarea"), "The Acme renewal is missing from this line."),
		shot("03b-rep-dispute-form"),
		chromedp.Click(chromedp.CSS("#dispute-forms details.dispute button")),
		chromedp.WaitVisible(chromedp.ID("my-disputes")), shot("03c-rep-my-disputes"))
	if mine := text("#my-disputes"); !strings.Contains(mine, "Acme renewal") || !strings.Contains(mine, "open") {
		t.Errorf("my disputes: %q", mine)
	}
	step("rep signs out", signOut)

	// 2. Another rep: the first rep's statement is not found.
	step("other rep signs in", signIn(f.users["other"].Email), chromedp.Navigate(statementURL), chromedp.WaitVisible(chromedp.CSS("h1")), shot("04-other-rep-404"))
	if h1 := text("h1"); !strings.Contains(h1, "404") {
		t.Errorf("another rep opening %s sees %q, want 404", statementURL, h1)
	}
	step("other rep signs out", signOut)

	// A manager's team, with attainment bars.
	step("manager signs in", signIn(f.users["manager"].Email), chromedp.WaitVisible(chromedp.ID("team")), shot("05-manager-team"))
	if team := text("#team"); !strings.Contains(team, repPerson) || strings.Contains(team, otherPerson+" ") {
		t.Errorf("mgr-1's team view: %q", team)
	}
	step("manager signs out", signOut)

	// 3. An admin re-runs the quarter and watches the run to the end.
	step("admin signs in", signIn(f.users["admin"].Email), chromedp.WaitVisible(chromedp.ID("admin-periods")), shot("06-admin-periods"))
	step("admin resolves the dispute with an adjustment", chromedp.Navigate(f.ts.URL+"/admin/disputes?state=open"), chromedp.WaitVisible(chromedp.ID("dispute-queue")),
		shot("06b-admin-dispute-queue"),
		chromedp.SendKeys(chromedp.ID("amount-1"), "125.00"), chromedp.SendKeys(chromedp.ID("code-1"), "ADJ"),
		chromedp.SendKeys(chromedp.ID("note-1"), "Acme renewal split was missed"),
		clickToLoad(chromedp.ID("adjust-1")), chromedp.WaitVisible(chromedp.ID("dispute-queue")), shot("06c-admin-dispute-resolved"))
	if q := text("#dispute-queue"); !strings.Contains(q, "resolved (adjusted)") {
		t.Errorf("dispute queue after resolving: %q", q)
	}
	step("admin goes back to the periods", chromedp.Navigate(f.ts.URL+"/admin"), chromedp.WaitVisible(chromedp.ID("admin-periods")))
	step("admin starts a re-run", chromedp.Click(chromedp.ID("run-"+quarter)), chromedp.WaitVisible(chromedp.ID("run-status")))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// The page reloads itself every second: a read that lands
		// mid-reload finds no node and is tried again.
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		status, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("#run-status")))
		cancel()
		if err != nil && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if status == "done" {
			break
		}
		if status == "failed" || time.Now().After(deadline) {
			step("failed run", shot("07-admin-run-failed"))
			t.Fatalf("run status %q", status)
		}
		time.Sleep(300 * time.Millisecond) // the page refreshes itself every second
	}
	step("admin sees the run done", shot("07-admin-run-done"), chromedp.Navigate(f.ts.URL+"/admin/audit"), chromedp.WaitVisible(chromedp.ID("audit")), shot("08-admin-audit"))
	if audit := text("#audit"); !strings.Contains(audit, "run.start") || !strings.Contains(audit, "dispute.resolve") || !strings.Contains(audit, f.users["admin"].Email) {
		t.Errorf("audit log does not show the admin's run: %q", audit)
	}
	step("admin tries a candidate plan", chromedp.Navigate(f.ts.URL+"/admin/whatif"), chromedp.WaitVisible(chromedp.ID("whatif-form")),
		chromedp.SetValue(chromedp.ID("whatif-plan"), aeCandidate(t, f)), chromedp.SetValue(chromedp.ID("whatif-period"), quarter),
		chromedp.Click(chromedp.ID("whatif-run")), chromedp.WaitVisible(chromedp.ID("whatif-totals")), shot("08a-admin-whatif"))
	if tot := text("#whatif-totals"); !strings.Contains(tot, "Total USD") {
		t.Errorf("what-if totals: %q", tot)
	}
	step("admin signs out", signOut)

	// The rep's statement shows the dispute resolved and the adjustment.
	step("rep sees the resolution", signIn(f.users["rep"].Email), chromedp.Navigate(statementURL),
		chromedp.WaitVisible(chromedp.CSS("article.icomp-statement")), shot("08b-rep-statement-resolved"),
		chromedp.ScrollIntoView(chromedp.CSS(`article.icomp-statement section[aria-label="Disputes"]`)), shot("08c-rep-statement-disputes"))
	if st := text("article.icomp-statement"); !strings.Contains(st, "resolved") || !strings.Contains(st, "125.00") || !strings.Contains(st, "Acme renewal split was missed") {
		t.Errorf("the rep's statement after the resolution and re-run does not show them:\n%s", st)
	}
	step("rep signs out again", signOut)

	// 4. Payroll downloads a batch.
	events := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, time.Minute)
	defer dcancel()
	progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
	step("payroll signs in and downloads", signIn(f.users["payroll"].Email), chromedp.WaitVisible(chromedp.ID("batches")), shot("09-payroll-batches"),
		chromedp.Click(chromedp.CSS("a.download")))
	guid := ""
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
	}
	csvData, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csvData)), "\n"); len(lines) < 2 || !strings.Contains(lines[0], ",") {
		t.Errorf("downloaded batch is not a CSV with rows:\n%.300s", csvData)
	}
	t.Logf("downloaded %s: %d bytes", filepath.Join(downloads, guid), len(csvData))
}
