package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium from the distribution (deploy/test
// installs it where missing), with a profile of its own: one per person,
// so each has their own cookies.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("no chromium on PATH: deploy/test installs it (apt-get install -y chromium chromium-l10n)")
	}
	profile, err := os.MkdirTemp("", "elkgezin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A Belgian phone in Dutch: date inputs read dd-mm-jjjj (the
		// language pack of chromium-l10n; on Linux the locale comes from
		// LANGUAGE), and pages are asked for in nl-BE.
		chromedp.Flag("lang", "nl-BE"),
		chromedp.Flag("accept-lang", "nl-BE,nl"),
		chromedp.Env("LANGUAGE=nl-BE"),
		chromedp.UserDataDir(profile),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		// Chromium's helpers may still write to the profile for a moment
		// after it exits (t.TempDir's cleanup then fails the test).
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancelTimeout)
	var lang string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`navigator.language`, &lang)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if !strings.HasPrefix(lang, "nl") {
		t.Fatalf("chromium speaks %q, want Dutch (deploy/test installs chromium-l10n)", lang)
	}
	return ctx
}

// artifactsDir is where screenshots go: ELKGEZIN_ARTIFACTS, or artifacts/
// at the top of the repository (ignored by git).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("ELKGEZIN_ARTIFACTS")
	if dir == "" {
		dir, _ = filepath.Abs("../artifacts/browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshots saves the page at phone width (360 px) and desktop width
// (quality 100: PNG; below 100 Chromium writes JPEG).
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, size := range []struct {
		suffix string
		w, h   int64
	}{{"phone", 360, 780}, {"desktop", 1280, 900}} {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(size.w, size.h), chromedp.FullScreenshot(&png, 100)); err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(artifactsDir(t), name+"-"+size.suffix+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// axeViolations runs axe-core (deploy/test installs it from the npm
// registry; AXE_CORE_JS names its axe.min.js) on the page and returns the
// serious and critical violations.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		path = filepath.Join(os.Getenv("HOME"), ".cache", "elkgezin-npm", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core: %v (deploy/test installs it with npm; or set AXE_CORE_JS)", err)
	}
	var found []string
	err = chromedp.Run(ctx,
		chromedp.Evaluate(string(src), nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}).then(r =>
			r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
			 .map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')'))`,
			&found, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return found
}
