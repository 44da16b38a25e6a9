package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium: /usr/bin/chromium or "chromium" on
// PATH.
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// TestBrowser drives the web UI in headless Chromium: paste an error and see
// the diagnosis, switch the language, paste markup and see it as text,
// search the library, open an entry, upload a bounce. With
// MAILDX_SCREENSHOTS=DIR it saves PNG screenshots there.
func TestBrowser(t *testing.T) {
	exe := chromiumPath()
	if exe == "" {
		t.Skip("browser test skipped: Chromium not found at /usr/bin/chromium or as \"chromium\" on PATH (Debian: apt-get install -y chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := httptestServer(t)
	base := srv.URL
	// A fresh profile; not t.TempDir, whose cleanup fails when Chromium's
	// helpers are still writing to it as the test ends.
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
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var dialogs atomic.Int32
	chromedp.ListenTarget(bctx, func(ev any) {
		if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	})
	shotDir := os.Getenv("MAILDX_SCREENSHOTS")
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if shotDir == "" {
				return nil
			}
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100 = PNG
				return err
			}
			return os.WriteFile(filepath.Join(shotDir, name+".png"), buf, 0o644)
		})
	}
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}

	// 1. Paste an error, submit, see the diagnosis.
	var title, badge, htmlLang, buttonBG string
	var steps int
	run("explain",
		chromedp.Navigate(base+"/?lang=en"),
		chromedp.WaitVisible("#text", chromedp.ByID),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#explain')).backgroundColor`, &buttonBG),
		shot("home-en"),
		chromedp.SendKeys("#text", userUnknown, chromedp.ByID),
		chromedp.Click("#explain", chromedp.ByID),
		chromedp.WaitVisible("#diagnosis", chromedp.ByID),
		chromedp.Text("#diagnosis h2", &title, chromedp.ByQuery),
		chromedp.Text("#diagnosis .badge.hard", &badge, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#diagnosis ol.steps li').length`, &steps),
		shot("diagnosis-en"),
	)
	if buttonBG != "rgb(11, 87, 208)" {
		t.Errorf("stylesheet not applied under the CSP: button background = %q", buttonBG)
	}
	if !strings.Contains(title, "Recipient address does not exist") {
		t.Errorf("diagnosis title = %q", title)
	}
	if !strings.Contains(badge, "Hard bounce") {
		t.Errorf("hard/soft badge = %q", badge)
	}
	if steps < 1 {
		t.Errorf("no numbered steps in the diagnosis")
	}

	// 2. Switch to German on the result page; the cookie keeps it.
	run("switch to German",
		chromedp.Click(`a[hreflang="de"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="de"] #diagnosis`, chromedp.ByQuery),
		chromedp.Text("#diagnosis h2", &title, chromedp.ByQuery),
		shot("diagnosis-de"),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#text", chromedp.ByID),
		chromedp.Evaluate(`document.documentElement.lang`, &htmlLang),
		shot("home-de"),
	)
	if !strings.Contains(title, "Empfängeradresse existiert nicht") {
		t.Errorf("German diagnosis title = %q", title)
	}
	if htmlLang != "de" {
		t.Errorf("after switching, home page lang = %q, want de (cookie)", htmlLang)
	}

	// 3. Markup pasted into the form comes back as text.
	const evil = `<script>alert(1)</script>`
	var echoed, textarea string
	var scripts int
	run("paste markup",
		chromedp.Navigate(base+"/?lang=en"),
		chromedp.WaitVisible("#text", chromedp.ByID),
		chromedp.SetValue("#text", evil, chromedp.ByID),
		chromedp.Click("#explain", chromedp.ByID),
		chromedp.WaitVisible("#diagnosis", chromedp.ByID),
		chromedp.Text("#input", &echoed, chromedp.ByID),
		chromedp.Value("#text", &textarea, chromedp.ByID),
		chromedp.Evaluate(`document.scripts.length`, &scripts),
	)
	if echoed != evil {
		t.Errorf("echoed input = %q, want %q shown as text", echoed, evil)
	}
	if textarea != evil {
		t.Errorf("textarea value = %q, want %q", textarea, evil)
	}
	if scripts != 0 || dialogs.Load() != 0 {
		t.Errorf("pasted script ran or was inserted: %d script elements, %d dialogs", scripts, dialogs.Load())
	}

	// 4. Library: search in German, open an entry at its stable URL.
	var results int
	var loc, entryTitle string
	run("library",
		chromedp.Navigate(base+"/codes?lang=de"),
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.SendKeys("#q", "Postfach voll", chromedp.ByID),
		chromedp.Submit("#q", chromedp.ByID),
		chromedp.WaitVisible("#results", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#results li').length`, &results),
		chromedp.Click("#results li a", chromedp.ByQuery),
		chromedp.WaitVisible("#entry", chromedp.ByID),
		chromedp.Location(&loc),
		chromedp.Text("#entry h1", &entryTitle, chromedp.ByQuery),
		shot("entry-de"),
	)
	if results == 0 {
		t.Errorf("search for \"Postfach voll\" found nothing")
	}
	if !strings.HasPrefix(loc, base+"/codes/") || entryTitle == "" {
		t.Errorf("entry page %q has title %q", loc, entryTitle)
	}

	// 5. Upload a bounce email.
	eml, err := filepath.Abs("testdata/bounce.eml")
	if err != nil {
		t.Fatal(err)
	}
	var recipient string
	run("upload",
		chromedp.Navigate(base+"/?lang=en"),
		chromedp.WaitVisible("#file", chromedp.ByID),
		chromedp.SetUploadFiles("#file", []string{eml}, chromedp.ByID),
		chromedp.Submit("#file", chromedp.ByID),
		chromedp.WaitVisible("#parse .result", chromedp.ByQuery),
		chromedp.Text("#parse .recipient", &recipient, chromedp.ByQuery),
		shot("parse-en"),
	)
	if !strings.Contains(recipient, "jane@example.com") {
		t.Errorf("parse result recipient = %q", recipient)
	}

	// 6. Phone width: the page does not scroll sideways.
	var overflow bool
	run("phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/explain?lang=de&text="+strings.ReplaceAll(userUnknown, " ", "+")),
		chromedp.WaitVisible("#diagnosis", chromedp.ByID),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
		shot("diagnosis-de-phone"),
	)
	if overflow {
		t.Errorf("page is wider than a 390 px phone screen")
	}
}
