package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// page is one person's browser, signed in as themselves.
type page struct {
	t    testing.TB
	name string
	ctx  context.Context
	base string
	// downloads is where the browser saves downloaded files.
	downloads string
}

// chromium is the browser the tests drive.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// openBrowser starts a headless Chromium at an office PC's screen size
// (1366×768). When the test fails, a screenshot of what the browser showed
// is saved beside the test (e2e/failures/<test>-<name>.png).
func openBrowser(t testing.TB, name string) *page {
	t.Helper()
	// Not t.TempDir: Chromium may still be writing its profile as it exits,
	// which would fail the test in TempDir's cleanup.
	profile, err := os.MkdirTemp("", "gongjian-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	p := &page{t: t, name: name, ctx: ctx, base: sys.base, downloads: t.TempDir()}
	t.Cleanup(func() {
		if t.Failed() {
			p.screenshot()
		}
		cancel()
		cancelAlloc()
		for range 10 {
			if os.RemoveAll(profile) == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).
		WithDownloadPath(p.downloads).WithEventsEnabled(true), stillPages); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return p
}

// stillPages turns off CSS transitions and animations in every page the
// browser opens: a test reads what the page settles on, and a check made
// half-way through a fade (a message still empty, a tag still pale to
// the contrast checker) would make it flaky.
var stillPages = chromedp.ActionFunc(func(ctx context.Context) error {
	_, err := cdppage.AddScriptToEvaluateOnNewDocument(`document.addEventListener('DOMContentLoaded', () => {
		const s = document.createElement('style');
		s.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
		document.head.appendChild(s);
	});`).Do(ctx)
	return err
})

// screenshot saves the page as it is now, for a failed test.
func (p *page) screenshot() {
	var png []byte
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		p.t.Logf("no screenshot of %s: %v", p.name, err)
		return
	}
	dir := filepath.Join(sys.root, "services", "console", "e2e", "failures")
	_ = os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(p.t.Name())+"-"+p.name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Logf("screenshot of %s not saved: %v", p.name, err)
		return
	}
	var where string
	_ = chromedp.Run(ctx, chromedp.Location(&where))
	p.t.Logf("screenshot of %s's browser at %s: %s", p.name, where, file)
	// What the page says is wrong, in words, for a log read without the
	// picture: its alerts and the errors beside its fields.
	var said []string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll('.el-alert__title, .gj-field-error, .el-form-item__error, .el-message')]
		.map(e => e.textContent.trim()).filter(Boolean)`, &said))
	if len(said) > 0 {
		p.t.Logf("the page of %s says: %s", p.name, strings.Join(said, " | "))
	}
}

// run runs actions, failing the test when they do not complete in 30 s.
func (p *page) run(what string, actions ...chromedp.Action) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		p.t.Fatalf("%s (%s): %v", what, p.name, err)
	}
}

// open navigates to a console path and waits for the page to be there.
func (p *page) open(path, waitFor string) {
	p.t.Helper()
	p.run("open "+path, chromedp.Navigate(p.base+path), chromedp.WaitVisible(waitFor, chromedp.ByQuery))
}

// eval evaluates JavaScript, awaiting a promise, into out.
func (p *page) eval(what, js string, out any) {
	p.t.Helper()
	p.run(what, chromedp.Evaluate(js, out, func(e *runtime.EvaluateParams) *runtime.EvaluateParams { return e.WithAwaitPromise(true) }))
}

// waitJS waits until a JavaScript condition holds.
func (p *page) waitJS(what, cond string) {
	p.t.Helper()
	p.run(what, chromedp.Poll(cond, nil, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second)))
}

// text is the text content of the first element sel selects.
func (p *page) text(sel string) string {
	p.t.Helper()
	var s string
	p.run("read "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// chooseText picks the option whose text is text in a native select, once
// it has been loaded, and fires its change event as a person's choice does.
func (p *page) chooseText(sel, text string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		const o = [...s.options].find(o => o.text.trim() === %q); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, sel, text)
	p.waitJS("choose "+text+" in "+sel, js)
}

// chooseListed picks the option whose text is text in a listed select
// (Element Plus's, whose options open in a list of their own): it opens the
// list, clicks the option and waits until the select shows it, opening
// the list again if a click was lost while it was still being placed.
func (p *page) chooseListed(sel, text string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q)?.closest('.el-select'); if (!s) return 'no select';
		const shown = [...s.querySelectorAll('.el-select__selected-item')].map(e => e.textContent.trim()).filter(Boolean).join('|');
		if (shown === %q) return 'ok';
		const open = [...document.querySelectorAll('.el-select-dropdown')].some(d => d.getClientRects().length > 0);
		const o = [...document.querySelectorAll('li.el-select-dropdown__item')].find(o => o.getClientRects().length > 0 && o.textContent.trim() === %q);
		if (o) o.click(); else if (!open) s.querySelector('.el-select__wrapper')?.click();
		return 'shown ' + shown + ', list ' + (open ? 'open' : 'closed') + ', option ' + (o ? 'clicked' : 'not there'); })()`, sel, text, text)
	var state string
	for deadline := time.Now().Add(25 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		p.eval("choose "+text+" in "+sel, js, &state)
		if state == "ok" {
			return
		}
	}
	p.t.Fatalf("choose %s in %s (%s): %s", text, sel, p.name, state)
}

// chooseIndex picks the n-th real option (1 is the first after the blank).
func (p *page) chooseIndex(sel string, n int) string {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s || s.options.length <= %d) return false;
		s.value = s.options[%d].value; s.dispatchEvent(new Event('change', { bubbles: true })); return s.options[%d].text; })()`, sel, n, n, n)
	var got string
	p.waitJS("choose option "+fmt.Sprint(n)+" in "+sel, js)
	p.eval("read the choice", fmt.Sprintf(`document.querySelector(%q).selectedOptions[0].text`, sel), &got)
	return got
}

// settled waits until the element sel selects has loaded what it was
// loading (aria-busy), so that the page does not move under a click.
func (p *page) settled(sel string) {
	p.t.Helper()
	p.waitJS("wait for "+sel+" to settle", fmt.Sprintf(`document.querySelector(%q)?.getAttribute('aria-busy') === 'false'`, sel))
}

// typeInto replaces the value of an input as typing does.
func (p *page) typeInto(sel, value string) {
	p.t.Helper()
	// Emptied the way a person's deleting does, with an input event, so that
	// the page's model follows; then typed key by key.
	clear := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.value = '';
		e.dispatchEvent(new Event('input', { bubbles: true })); return true; })()`, sel)
	var ok bool
	p.run("type into "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Evaluate(clear, &ok),
		chromedp.SendKeys(sel, value, chromedp.ByQuery))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.loaded()
	p.run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
}

// loaded waits until no table is masked as loading (v-loading), as a
// person waits before clicking in it: the mask takes the clicks while it
// is there, and fades out after the rows arrive.
func (p *page) loaded() {
	p.t.Helper()
	p.waitJS("the tables loaded", `![...document.querySelectorAll('.el-loading-mask')]
		.some(m => m.isConnected && getComputedStyle(m).display !== 'none')`)
}

// expandNode opens a node of the organisation tree by its name, as a
// click on its arrow does, and waits for its children.
func (p *page) expandNode(name string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const c = [...document.querySelectorAll('.el-tree-node__content')]
		.find(c => c.querySelector('a')?.textContent.trim() === %q); if (!c) return false;
		const n = c.closest('.el-tree-node');
		if (n.getAttribute('aria-expanded') !== 'true') {
			if (!c.dataset.opened) { c.dataset.opened = '1'; c.querySelector('.el-tree-node__expand-icon').click(); }
			return false;
		}
		return n.querySelector('.el-tree-node__children .el-tree-node') !== null; })()`, name)
	p.waitJS("open "+name+" in the tree", js)
}

// signIn signs in on the development sign-in page, picking the scope level
// by level by the organisations' names; then, for a unit contact, the
// resident unit by its name (unit), or for a member, the member found by
// name and picked by id (unit: the name, memberID: the id).
func (p *page) signIn(roleLabel string, scope []string, memberID string, unit ...string) {
	p.t.Helper()
	p.open("/sign-in", "#signin-submit")
	p.chooseText("#signin-role", roleLabel)
	for i, name := range scope {
		p.chooseText(fmt.Sprintf("#scope-%d", i), name)
		p.settled("fieldset.scope")
	}
	switch {
	case memberID != "":
		p.typeInto("#signin-member-q", unit[0])
		p.pickID("#signin-member", memberID)
	case len(unit) > 0:
		p.chooseText("#signin-unit", unit[0])
	}
	p.click("#signin-submit")
	p.run("reach the console", chromedp.WaitVisible("#main", chromedp.ByQuery))
}

// pickID picks the option whose value is id in a native select, once it
// is offered, and fires its change event as a person's choice does.
func (p *page) pickID(sel, id string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		const o = [...s.options].find(o => o.value === %q); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, sel, id)
	p.waitJS("pick "+id+" in "+sel, js)
}

// axeViolation is one violation axe-core reports.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the page as it is and fails the test
// on any serious or critical violation of WCAG 2.1 A and AA.
func (p *page) checkAccessibility(what string) {
	p.t.Helper()
	src, err := os.ReadFile(axePath(sys.root))
	if err != nil {
		p.t.Fatal(err)
	}
	var loaded bool
	p.eval("inject axe-core", string(src)+"\n;typeof axe === 'object'", &loaded)
	var raw string
	p.eval("run axe-core on "+what, `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
		.then(r => JSON.stringify(r.violations))`, &raw)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		p.t.Fatal(err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var targets []string
			for _, n := range v.Nodes {
				targets = append(targets, fmt.Sprint(n.Target...))
			}
			p.t.Errorf("%s: %s violation %s (%s) at %s", what, v.Impact, v.ID, v.Help, strings.Join(targets, ", "))
		}
	}
}

// download waits for the next download the page makes to complete and
// returns the file's path.
func (p *page) download(start func()) string {
	p.t.Helper()
	done := make(chan string, 1)
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- filepath.Join(p.downloads, e.GUID):
			default:
			}
		}
	})
	chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- filepath.Join(p.downloads, e.GUID):
			default:
			}
		}
	})
	start()
	select {
	case f := <-done:
		return f
	case <-time.After(60 * time.Second):
		p.t.Fatal("no download completed within 60 s")
		return ""
	}
}
