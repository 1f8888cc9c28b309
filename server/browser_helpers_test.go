package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserSession is one Chromium (Debian's, see findBrowser) driven by a
// browser test, with its screenshots in a temporary directory the log
// names.
type browserSession struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// newBrowserSession starts Chromium at exe; shots are saved under a
// temporary directory named prefix…, which the log names.
func newBrowserSession(t *testing.T, exe, prefix string) *browserSession {
	t.Helper()
	shots, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first call starts the browser, with no timeout on its context;
	// every step after it has one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return &browserSession{t: t, ctx: ctx, shots: shots}
}

// step runs actions, failing the test (named by name) when one fails or
// they take more than 30 seconds.
func (b *browserSession) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// shot saves the whole page as name.png; a long page (a trace of many
// deals), only its first screenful.
func (b *browserSession) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		h, err := chromedp.Run(ctx, chromedp.Evaluate[float64]("document.documentElement.scrollHeight"))
		if err != nil {
			return err
		}
		capture := chromedp.FullScreenshot(100)
		if h > 3000 {
			capture = chromedp.CaptureScreenshot()
		}
		png, err := chromedp.Run(ctx, capture)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o600)
	})
}

// text is the text of the element sel (CSS) finds.
func (b *browserSession) text(sel string) string {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// clickToLoad clicks what sel finds (a link or a form's button) and waits
// until the page it loads is complete. Waiting for an element instead
// ends at once when the old page has it too (a form that posts back to
// its own page), and the next action then meets the old page
// mid-navigation (a screenshot found no document).
func clickToLoad[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void]("window.icompOldPage = true; undefined"),
		chromedp.Click(sel),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			for {
				// An evaluation during the navigation fails: try again.
				loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!window.icompOldPage && document.readyState === 'complete'"))
				if err == nil && loaded {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		}),
	)
}
