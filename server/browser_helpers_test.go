package server_test

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
)

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
