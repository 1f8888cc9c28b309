package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/icomp/icomp/server"
)

// TestBrowserUsers drives Chromium through /admin/users: the admin
// disables a rep, who then cannot sign in (the wrong-password message),
// revokes the rep's API token, and enables the rep again, who signs in.
// Screenshots go to a directory the log names.
func TestBrowserUsers(t *testing.T) {
	exe := findBrowser(t)
	f := newFixture(t)
	tok, err := server.NewLabeledAPIToken(context.Background(), f.st, server.NewTokenParams{Email: f.users["rep"].Email, Label: "reporting script", By: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowserSession(t, exe, "icomp-browser-users-")
	step, shot, text := b.step, b.shot, b.text
	fillSignIn := func(email string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(f.ts.URL+"/signin"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("signin")),
		)
	}
	signOut := chromedp.Steps(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("email")))
	rep := strconv.FormatInt(f.users["rep"].ID, 10)
	admin := strconv.FormatInt(f.users["admin"].ID, 10)

	step("admin opens the users page", fillSignIn(f.users["admin"].Email), chromedp.WaitVisible(chromedp.ID("signout")),
		chromedp.Click(chromedp.CSS(`header a[href="/admin/users"]`)), chromedp.WaitVisible(chromedp.ID("users")), shot("01-users"))
	if row := text("#user-" + admin); !strings.Contains(row, "you") || strings.Contains(row, "Disable") {
		t.Errorf("the admin's own row %q: want no Disable button", row)
	}
	step("admin disables the rep", chromedp.Click(chromedp.ID("disable-"+rep)), chromedp.WaitVisible(chromedp.ID("enable-"+rep)), shot("02-rep-disabled"))
	if row := text("#user-" + rep); !strings.Contains(row, "disabled") {
		t.Errorf("the rep's row after Disable: %q", row)
	}
	step("admin revokes the rep's token", clickToLoad(chromedp.ID("revoke-"+strconv.FormatInt(tok.ID, 10))),
		chromedp.WaitVisible(chromedp.ID("tokens")), shot("03-token-revoked"))
	if row := text("#token-" + strconv.FormatInt(tok.ID, 10)); !strings.Contains(row, "revoked") || !strings.Contains(row, "reporting script") {
		t.Errorf("the token's row after Revoke: %q", row)
	}
	step("admin reads the audit log", chromedp.Click(chromedp.CSS(`header a[href="/admin/audit"]`)), chromedp.WaitVisible(chromedp.ID("audit")), shot("04-audit"))
	if log := text("#audit"); !strings.Contains(log, "user.disable") || !strings.Contains(log, "token.revoke") {
		t.Errorf("audit log: %q", log)
	}
	step("admin signs out", signOut)

	step("the disabled rep tries to sign in", fillSignIn(f.users["rep"].Email), chromedp.WaitVisible(chromedp.ID("signin-error")), shot("05-rep-refused"))
	if msg := text("#signin-error"); msg != "Wrong email or password." {
		t.Errorf("the disabled rep is told %q", msg)
	}

	step("admin enables the rep", fillSignIn(f.users["admin"].Email), chromedp.WaitVisible(chromedp.ID("signout")),
		chromedp.Navigate(f.ts.URL+"/admin/users"), chromedp.Click(chromedp.ID("enable-"+rep)), chromedp.WaitVisible(chromedp.ID("disable-"+rep)), signOut)
	step("the rep signs in again", fillSignIn(f.users["rep"].Email), chromedp.WaitVisible(chromedp.ID("signout")), shot("06-rep-back"))
}
