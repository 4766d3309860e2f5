package kassatest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// ChromiumPath finds Debian's Chromium. Its absence fails the test rather
// than skipping it: `make test` installs it.
func ChromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: the browser tests need it (`scripts/ensure-deps.sh chromium`, which `make test` runs)")
	return ""
}

// ChromiumOption changes how Chromium starts.
type ChromiumOption func(*chromiumOptions)

type chromiumOptions struct {
	width, height int
	timeout       time.Duration
}

// WindowSize sets the browser window's size (default 1280×1000).
func WindowSize(width, height int) ChromiumOption {
	return func(o *chromiumOptions) { o.width, o.height = width, height }
}

// BrowserTimeout ends the browser, and whatever a test runs in it, after d
// (default: when the test ends).
func BrowserTimeout(d time.Duration) ChromiumOption {
	return func(o *chromiumOptions) { o.timeout = d }
}

// Chromium starts a headless Debian Chromium with a fresh profile for t
// (closed when t ends) and returns its root context. lang (e.g. "en-GB")
// is the language it runs in and asks pages for; "" leaves Chromium's
// own. Its absence fails the test: `make test` installs it.
func Chromium(t *testing.T, lang string, options ...ChromiumOption) context.Context {
	t.Helper()
	o := chromiumOptions{width: 1280, height: 1000}
	for _, f := range options {
		f(&o)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(o.width, o.height),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
	}
	if lang != "" {
		opts = append(opts, chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang))
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if o.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for Chromium to exit
		cancel()
	})
	require.NoError(t, chromedp.Do(browser), "start Chromium")
	return browser
}

// Dash is one person at the merchant dashboard in their own browser
// context (their own cookies). Its helpers find controls the way a
// person or a screen reader does: by their visible label or name.
type Dash struct {
	Ctx   context.Context
	E     *Env
	Staff Staff
}

// OpenDashboard opens a fresh browser context for s and logs in through
// /login, landing on the dashboard. window.confirm dialogs are accepted.
func (e *Env) OpenDashboard(t *testing.T, browser context.Context, s Staff) *Dash {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	// A person confirms what they asked for (refund, cancel): accept
	// window.confirm dialogs, as the pages use them before such actions.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	d := &Dash{Ctx: ctx, E: e, Staff: s}
	d.Do(t, "log in",
		chromedp.Navigate(e.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), s.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), s.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#page-title")),
	)
	return d
}

// Do runs browser steps with a bound; on failure it saves a screenshot
// and fails t.
func (d *Dash) Do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(d.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		d.Screenshot(t, "failed-"+strings.ReplaceAll(what, " ", "-")+".png")
		t.Fatalf("%s (%s): %v\npage text:\n%s", what, d.Staff.Email, err, d.bodyText())
	}
}

// Go opens a dashboard address and waits for its page heading.
func (d *Dash) Go(t *testing.T, path string) {
	t.Helper()
	d.Do(t, "open "+path, chromedp.Navigate(d.E.URL+path), chromedp.WaitVisible(chromedp.CSS("#page-title")))
}

// Eval evaluates js in the page and decodes its result into a Go value.
func (d *Dash) Eval(t *testing.T, js string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(d.Ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	require.NoError(t, err, js)
	return v
}

// dashJS finds controls by label and buttons or links by name.
const dashJS = `(() => {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const name = (el) => norm(el.getAttribute('aria-label') || el.innerText || el.value);
  window.__kassa = {
    control(label, n) {
      const hits = [];
      for (const l of document.querySelectorAll('label')) {
        const clone = l.cloneNode(true);
        clone.querySelectorAll('input,select,textarea').forEach((x) => x.remove());
        if (norm(clone.textContent) !== label) continue;
        const el = l.htmlFor ? document.getElementById(l.htmlFor) : l.querySelector('input,select,textarea');
        if (el && visible(el)) hits.push(el);
      }
      return hits[n] || null;
    },
    named(text, n) {
      const hits = Array.from(document.querySelectorAll('button,a,summary,[role=button]')).filter((el) => visible(el) && name(el) === text);
      return hits[n] || null;
    },
    mark(el) {
      if (!el) return '';
      if (!el.dataset.kassaTest) el.dataset.kassaTest = 'k' + Math.random().toString(36).slice(2);
      return '[data-kassa-test="' + el.dataset.kassaTest + '"]';
    },
  };
})()`

// sel waits until find (a JS expression over window.__kassa) gives an
// element and returns a unique CSS selector for it.
func (d *Dash) sel(t *testing.T, what, find string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(d.Ctx, 5*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](dashJS+`; window.__kassa.mark(`+find+`)`))
		cancel()
		if err == nil && s != "" {
			return s
		}
		if time.Now().After(deadline) {
			d.Screenshot(t, "missing.png")
			t.Fatalf("%s: not on the page (%v)\npage text:\n%s", what, err, d.bodyText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Control returns a selector for the n-th (from 0) visible control
// labelled label.
func (d *Dash) Control(t *testing.T, label string, n int) string {
	t.Helper()
	return d.sel(t, fmt.Sprintf("field %q #%d", label, n), fmt.Sprintf("window.__kassa.control(%s, %d)", jsString(label), n))
}

// Fill replaces what the n-th field labelled label holds with value, by
// typing it.
func (d *Dash) Fill(t *testing.T, label string, n int, value string) {
	t.Helper()
	s := d.Control(t, label, n)
	// Empty it as a person would (the page hears an input event), then type.
	clear := `(() => { const el = document.querySelector('` + s + `');
	  const set = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
	  set.call(el, ''); el.dispatchEvent(new Event('input', {bubbles: true})); })()`
	d.Do(t, "fill "+label, chromedp.Evaluate[chromedp.Void](clear), chromedp.SendKeys(chromedp.CSS(s), value))
}

// Set sets the n-th control labelled label to value as a date or color
// picker does (no typing), telling the page with input and change events.
func (d *Dash) Set(t *testing.T, label string, n int, value string) {
	t.Helper()
	s := d.Control(t, label, n)
	d.Do(t, "set "+label, chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector('`+s+`');
	  const set = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
	  set.call(el, `+jsString(value)+`); el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); })()`))
}

// Choose picks the option with value in the n-th select labelled label.
func (d *Dash) Choose(t *testing.T, label string, n int, value string) {
	t.Helper()
	s := d.Control(t, label, n)
	d.Do(t, "choose "+label, chromedp.SetValue(chromedp.CSS(s), value),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+s+`').dispatchEvent(new Event('change', {bubbles: true}))`))
}

// Value is what the n-th field labelled label holds.
func (d *Dash) Value(t *testing.T, label string, n int) string {
	t.Helper()
	s := d.Control(t, label, n)
	ctx, cancel := context.WithTimeout(d.Ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(s)))
	require.NoError(t, err)
	return v
}

// FieldError is the error message shown for the n-th field labelled
// label ("" when none): the text the control's aria-describedby names.
func (d *Dash) FieldError(t *testing.T, label string, n int) string {
	t.Helper()
	s := d.Control(t, label, n)
	v := d.Eval(t, `(() => { const el = document.querySelector('`+s+`');
	  return (el.getAttribute('aria-describedby') || '').split(' ').map((id) => document.getElementById(id))
	    .filter((x) => x && x.classList.contains('field-error')).map((x) => x.textContent.trim()).join(' '); })()`)
	return fmt.Sprint(v)
}

// WaitFieldError waits until the n-th field labelled label shows an error
// and returns it.
func (d *Dash) WaitFieldError(t *testing.T, label string, n int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if msg := d.FieldError(t, label, n); msg != "" {
			return msg
		}
		if time.Now().After(deadline) {
			d.Screenshot(t, "no-field-error.png")
			t.Fatalf("waited for an error beside %q; page text:\n%s", label, d.bodyText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Click clicks the n-th visible button or link named name.
func (d *Dash) Click(t *testing.T, name string, n int) {
	t.Helper()
	s := d.sel(t, fmt.Sprintf("button or link %q #%d", name, n), fmt.Sprintf("window.__kassa.named(%s, %d)", jsString(name), n))
	d.Do(t, "click "+name, chromedp.Click(chromedp.CSS(s)))
}

// Has reports whether a visible button or link named name is on the page.
func (d *Dash) Has(t *testing.T, name string) bool {
	t.Helper()
	v := d.Eval(t, dashJS+`; !!window.__kassa.named(`+jsString(name)+`, 0)`)
	return v == true
}

// WaitText waits until the page's text contains text.
func (d *Dash) WaitText(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(d.bodyText(), text) {
		if time.Now().After(deadline) {
			d.Screenshot(t, "waittext.png")
			t.Fatalf("waited for %q on the page; page text:\n%s", text, d.bodyText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Path is the address shown, without the origin.
func (d *Dash) Path(t *testing.T) string {
	t.Helper()
	return fmt.Sprint(d.Eval(t, `location.pathname + location.search`))
}

func (d *Dash) bodyText() string {
	ctx, cancel := context.WithTimeout(d.Ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	return s
}

// Screenshot saves a full-page PNG in test-artifacts/ and logs its path.
func (d *Dash) Screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(d.Ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := ArtifactPath(t, name)
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot: %s", p)
	return p
}

// FitsWidth reports whether the page is no wider than the window.
func (d *Dash) FitsWidth(t *testing.T) bool {
	t.Helper()
	return d.Eval(t, `document.documentElement.scrollWidth <= window.innerWidth`) == true
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
