package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// eventBrowser starts headless Chromium for the event pages' tests (or
// skips the test without it) and returns its context and an action that
// saves a screenshot NAME.png when MAILDX_SCREENSHOTS=DIR is set.
func eventBrowser(t *testing.T) (context.Context, func(name string) chromedp.Action) {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		t.Skip("browser test skipped: Chromium not found at /usr/bin/chromium or as \"chromium\" on PATH (Debian: apt-get install -y chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	profile, err := os.MkdirTemp("", "maildx-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900))
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	shotDir := os.Getenv("MAILDX_SCREENSHOTS")
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if shotDir == "" {
				return nil
			}
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shotDir, name+".png"), buf, 0o644)
		})
	}
	return bctx, shot
}

// TestBrowserSends stores failures through the webhooks, logs in with the
// API token, opens the Sends page and clicks a ⚠️: the diagnosis opens in
// place (<details>, no script). With MAILDX_SCREENSHOTS=DIR it saves
// sends-*.png there.
func TestBrowserSends(t *testing.T) {
	bctx, shot := eventBrowser(t)
	h, _ := newEventServer(t)
	do(t, h, "POST", "/webhooks/mailgun", signMailgun(t, mailgunFailed(t, "kunde@example.de", "b1"), testMailgunKey, testNow.Unix(), ""), nil)
	do(t, h, "POST", "/webhooks/mailgun", signMailgun(t, eventTestdata(t, "mailgun/failed-temporary.json"), testMailgunKey, testNow.Unix(), ""), nil)
	do(t, h, "POST", "/api/v1/events", eventTestdata(t, "generic/gmail.json"), bearer)
	srv := httptest.NewServer(h)
	defer srv.Close()

	var rows int
	var openBefore, openAfter bool
	var steps int
	var title, remote, markerBG string
	err := chromedp.Run(bctx,
		chromedp.Navigate(srv.URL+"/sends?lang=en"),
		chromedp.WaitVisible("#token", chromedp.ByID), // redirected to the login form
		shot("sends-login"),
		chromedp.SendKeys("#token", testToken, chromedp.ByID),
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible("#sends", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#sends details').length`, &rows),
		chromedp.Evaluate(`document.querySelector('#sends details.perm').open`, &openBefore),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#sends .warn.perm')).backgroundColor`, &markerBG),
		shot("sends-list"),
		chromedp.Click("#sends details.perm .warn", chromedp.ByQuery),
		chromedp.WaitVisible("#sends details.perm[open] .diag", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#sends details.perm').open`, &openAfter),
		chromedp.Text("#sends details.perm[open] h2", &title, chromedp.ByQuery),
		chromedp.Text("#sends details.perm[open] pre.remote", &remote, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#sends details.perm[open] ol.steps li').length`, &steps),
		shot("sends-open"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Errorf("Sends page lists %d failures, want 3", rows)
	}
	if openBefore || !openAfter {
		t.Errorf("diagnosis open before click %v, after %v", openBefore, openAfter)
	}
	if !strings.Contains(title, "does not exist") || steps < 1 || remote == "" {
		t.Errorf("opened diagnosis: title %q, %d steps, remote text %q", title, steps, remote)
	}
	if markerBG == "rgba(0, 0, 0, 0)" || markerBG == "" {
		t.Errorf("permanent marker has no background (stylesheet not applied?)")
	}
}

// TestBrowserSuppressions logs in, adds an address with a note through the
// suppression page's form, sees it listed, submits a wrong address (the
// field gets the focus, marked invalid and described by the message), and
// removes the address again. With MAILDX_SCREENSHOTS=DIR it saves
// suppressions-*.png there.
func TestBrowserSuppressions(t *testing.T) {
	bctx, shot := eventBrowser(t)
	h, st := newEventServer(t)
	srv := httptest.NewServer(h)
	defer srv.Close()

	var listed, note, focused, invalid, describedBy, alert, typed string
	var removed bool
	err := chromedp.Run(bctx,
		chromedp.Navigate(srv.URL+"/suppressions?lang=en"),
		chromedp.WaitVisible("#token", chromedp.ByID),
		chromedp.SendKeys("#token", testToken, chromedp.ByID),
		chromedp.Click("#login", chromedp.ByID),
		chromedp.WaitVisible("#add-address", chromedp.ByID),
		shot("suppressions-form"),
		chromedp.SendKeys("#add-address", "kunde@example.de", chromedp.ByID),
		chromedp.SendKeys("#add-note", "asked by phone", chromedp.ByID),
		chromedp.Click("#add-submit", chromedp.ByID),
		chromedp.WaitVisible("#added", chromedp.ByID),
		chromedp.Text("#supps tbody tr td", &listed, chromedp.ByQuery),
		chromedp.Text("#supps tbody tr td .muted", &note, chromedp.ByQuery),
		shot("suppressions-added"),
		chromedp.SendKeys("#add-address", "not an address", chromedp.ByID),
		chromedp.Click("#add-submit", chromedp.ByID),
		chromedp.WaitVisible("#add-error", chromedp.ByID),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
		chromedp.AttributeValue("#add-address", "aria-invalid", &invalid, nil, chromedp.ByID),
		chromedp.AttributeValue("#add-address", "aria-describedby", &describedBy, nil, chromedp.ByID),
		chromedp.Text("#add-error", &alert, chromedp.ByID),
		chromedp.Value("#add-address", &typed, chromedp.ByID),
		shot("suppressions-invalid"),
		chromedp.Navigate(srv.URL+"/suppressions?q=kunde"),
		chromedp.Click("#supps tbody tr button", chromedp.ByQuery),
		chromedp.WaitVisible("#removed", chromedp.ByID),
		chromedp.Evaluate(`document.querySelector('#supps') === null`, &removed),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(listed, "kunde@example.de") || note != "asked by phone" {
		t.Errorf("after adding: row %q, note %q", listed, note)
	}
	if focused != "add-address" || invalid != "true" || !strings.Contains(describedBy, "add-error") ||
		!strings.Contains(alert, "name@example.com") || typed != "not an address" {
		t.Errorf("wrong address: focus %q, aria-invalid %q, aria-describedby %q, alert %q, value kept %q", focused, invalid, describedBy, alert, typed)
	}
	if !removed {
		t.Errorf("the address is still listed after removing it")
	}
	if _, err := st.GetSuppression(context.Background(), "kunde@example.de"); err == nil {
		t.Errorf("the address is still stored after removing it")
	}
}
