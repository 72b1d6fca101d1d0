package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The parts of GraphiQL 3's page that the browser test reads and drives.
const (
	queryEditorSel = `.graphiql-query-editor .CodeMirror`
	queryEditorJS  = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	resultJS       = `document.querySelector('.graphiql-response .result-window .CodeMirror').CodeMirror`
	executeSel     = `.graphiql-execute-button`
	addTabSel      = `.graphiql-tab-add`
	tabTitlesJS    = `[...document.querySelectorAll('.graphiql-tab .graphiql-tab-button')].map(b => b.textContent)`
	// storedQueryKey is where GraphiQL stores the query once it has handled an edit (100 ms after it, with the
	// operation name); a query run before that can go out with the previous operation name.
	storedQueryKey = `directory-playground:graphiql:query`
)

// The browser window, and so the size of docs/playground.png.
const windowWidth, windowHeight = 1280, 800

// TestPlayground drives the playground at / in headless Chromium the way a user would: it opens the page, runs
// the example tabs and a query of its own, and checks that the page loads nothing from elsewhere and reports no
// errors. It writes a screenshot; -update writes it to docs/playground.png.
func TestPlayground(t *testing.T) {
	t.Parallel()
	chromium := findChromium(t)
	s := startServer(t, nil)
	b := startBrowser(t, chromium)

	b.do(t,
		chromedp.EmulateViewport(windowWidth, windowHeight),
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(queryEditorSel)),
	)
	var want []string
	for _, tab := range exampleTabs {
		want = append(want, tab.Name)
	}
	if got := tabValue(t, b, chromedp.Evaluate[[]string](tabTitlesJS)); !slices.Equal(got, want) {
		t.Fatalf("tabs = %q, want the example tabs %q", got, want)
	}

	checkIconTitles(t, b)

	// The first tab is open: run it as it is, and keep its result for the screenshot.
	var eastAsia struct {
		Data struct {
			Region struct {
				Name    string
				Offices struct{ TotalCount int }
			}
		}
	}
	b.execute(t, `"totalCount"`, &eastAsia)
	if r := eastAsia.Data.Region; r.Name == "" || r.Offices.TotalCount == 0 {
		t.Errorf("OfficesInEastAsia gave region %q with %d offices, want a named region with offices", r.Name, r.Offices.TotalCount)
	}
	// The page brings its fonts as data: URLs, but Chromium fails to load them when the system has no font at
	// all, and then draws no text.
	failed := tabValue(t, b, chromedp.Evaluate[[]string](`document.fonts.ready.then(fs =>
		[...new Set([...fs].filter(f => f.status === 'error').map(f => f.family + ' ' + f.weight))])`, chromedp.EvalAwaitPromise))
	if len(failed) > 0 {
		t.Errorf("fonts %q failed to load; Chromium needs a system font, such as Debian's fonts-dejavu-core", failed)
	}
	shot := tabValue(t, b, chromedp.FullScreenshot(100))
	writeScreenshot(t, shot)

	// A query of one's own, in a new tab, so that the result pane starts empty.
	before := tabValue(t, b, chromedp.Evaluate[string](queryEditorJS+`.getValue()`))
	b.do(t, chromedp.Click(chromedp.CSS(addTabSel)))
	b.do(t, chromedp.PollFunction[chromedp.Void](`(n, before) => document.querySelectorAll('.graphiql-tab').length === n &&
		[...document.querySelectorAll('.graphiql-tab')].at(-1).classList.contains('graphiql-tab-active') &&
		`+queryEditorJS+`.getValue() !== before`, chromedp.WithPollingArgs(len(exampleTabs)+1, before)))
	b.setQuery(t, `{ office(key: "korea-office") { name address { locality country { code } } } }`)
	var korea struct {
		Data struct {
			Office struct {
				Name    string
				Address struct {
					Locality string
					Country  struct{ Code string }
				}
			}
		}
	}
	b.execute(t, "Korea Office", &korea)
	if a := korea.Data.Office.Address; a.Locality != "Suwon-si" || a.Country.Code != "KR" {
		t.Errorf("Korea Office is in %q, %q; want Suwon-si, KR", a.Locality, a.Country.Code)
	}

	// The third example tab, run as it is.
	b.do(t, chromedp.Click(`//button[contains(concat(' ', @class, ' '), ' graphiql-tab-button ')][normalize-space()='WhichOfficeServesVietnam']`))
	b.do(t, chromedp.PollFunction[chromedp.Void](`() => `+queryEditorJS+`.getValue().includes('query WhichOfficeServesVietnam')`))
	var vietnam struct {
		Data struct {
			ServiceFor struct {
				Contact struct{ Name string }
			}
		}
	}
	b.execute(t, `"serviceFor"`, &vietnam)
	if got := vietnam.Data.ServiceFor.Contact.Name; got != "Southeast Asia Secretariat" {
		t.Errorf("contact for Vietnam = %q, want Southeast Asia Secretariat", got)
	}

	requests, problems := b.seen()
	if len(requests) == 0 {
		t.Error("saw no requests")
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, s.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the page loaded %s, which is not on the server", u)
		}
	}
	for _, p := range problems {
		t.Errorf("the page reported %s", p)
	}
}

// checkIconTitles checks that the page's icons have readable titles. GraphiQL titles each icon after its
// component's name (SvgCopy is "copy icon"), which a minifier renames unless told to keep names (build.sh).
func checkIconTitles(t *testing.T, b *browser) {
	t.Helper()
	bundle, err := os.ReadFile("playground/dist/graphiql.js")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`"Svg([A-Za-z]+)"`).FindAllStringSubmatch(string(bundle), -1) {
		known[strings.ToLower(strings.TrimSpace(regexp.MustCompile(`([A-Z])`).ReplaceAllString(m[1], " $1")))+" icon"] = true
	}
	titles := tabValue(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('svg title')].map(t => t.textContent)`))
	if len(titles) == 0 {
		t.Error("the page shows no titled icons")
	}
	for _, title := range titles {
		if !known[title] {
			t.Errorf("an icon is titled %q, not after a component of the bundle (%d known)", title, len(known))
		}
	}
}

// findChromium returns the Chromium to drive: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else chromium
// on the PATH. Without one the test is skipped, except in CI, which must run it.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("CHROMIUM_PATH: %v", err)
		}
		return path
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const why = "headless Chromium not found; install Debian's chromium package or set CHROMIUM_PATH"
	if os.Getenv("CI") != "" {
		t.Fatal("CI must run the playground browser test: " + why)
	}
	t.Skip("skipping the playground browser test: " + why)
	return ""
}

// browser is a tab of a headless Chromium, with what the page loaded and the errors it reported.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	urls     map[network.RequestID]string
	requests []string // every URL the page requested, in order
	problems []string // console errors, uncaught exceptions, failed loads, errors in the browser log (CSP violations)
}

// startBrowser starts Chromium with a fresh profile, so the playground sees a first visit, and stops it when the
// test ends. The whole browser session has 90 seconds.
func startBrowser(t *testing.T, chromium string) *browser {
	t.Helper()
	output := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(windowWidth, windowHeight),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.CombinedOutput(output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{urls: map[network.RequestID]string{}}
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.record))
	ctx, cancel := context.WithTimeout(tabCtx, 90*time.Second)
	b.ctx = ctx
	t.Cleanup(func() {
		cancel()
		cancelTab()
		cancelAlloc() // waits for Chromium to exit
		if t.Failed() {
			t.Logf("Chromium's output:\n%s", output.String())
		}
	})
	return b
}

// record keeps the requests and the problems that the tab reports. It runs in the loop of the tab.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.urls[ev.RequestID] = ev.Request.URL
		b.requests = append(b.requests, ev.Request.URL)
	case *network.EventLoadingFailed:
		b.problems = append(b.problems, strings.TrimSpace(fmt.Sprintf("a failed load of %s: %s %s", b.urls[ev.RequestID], ev.ErrorText, ev.BlockedReason)))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				var text string
				if a.Description != "" {
					args = append(args, a.Description)
				} else if json.Unmarshal(a.Value, &text) == nil {
					args = append(args, text)
				} else {
					args = append(args, string(a.Value))
				}
			}
			b.problems = append(b.problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, "an uncaught exception: "+text)
	case *cdplog.EventEntryAdded: // among them CSP violations, from the source "security"
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.problems = append(b.problems, "a "+string(ev.Entry.Source)+" error: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	}
}

// seen returns the URLs the page requested and the problems it reported so far.
func (b *browser) seen() (requests, problems []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests), slices.Clone(b.problems)
}

// do runs actions in the tab.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// tabValue runs an action in the tab and returns its value.
func tabValue[T any](t *testing.T, b *browser, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// setQuery replaces the query in the editor and waits until GraphiQL has taken the edit.
func (b *browser) setQuery(t *testing.T, query string) {
	t.Helper()
	literal, err := json.Marshal(query)
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Evaluate[chromedp.Void](queryEditorJS+`.setValue(`+string(literal)+`)`))
	b.do(t, chromedp.PollFunction[chromedp.Void](`(key, q) => localStorage.getItem(key) === q`,
		chromedp.WithPollingArgs(storedQueryKey, query)))
}

// execute runs the open tab, waits for a result that contains want (or holds errors), and decodes it into out.
func (b *browser) execute(t *testing.T, want string, out any) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.CSS(executeSel)))
	result, err := chromedp.Run(b.ctx, chromedp.PollFunction[string](`(want) => {
		const v = `+resultJS+`.getValue();
		return (v.includes(want) || v.includes('"errors"')) && v;
	}`, chromedp.WithPollingArgs(want)))
	if err != nil {
		pane, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](resultJS+`.getValue()`))
		t.Fatalf("no result with %s: %v; the result pane holds %q", want, err, pane)
	}
	var errs struct{ Errors []gqlError }
	if err := json.Unmarshal([]byte(result), &errs); err != nil {
		t.Fatalf("the result pane holds no JSON: %v\n%s", err, result)
	}
	if len(errs.Errors) > 0 || !strings.Contains(result, want) {
		t.Fatalf("want a result with %s, got\n%s", want, result)
	}
	if err := json.Unmarshal([]byte(result), out); err != nil {
		t.Fatalf("decode the result: %v\n%s", err, result)
	}
}

// writeScreenshot checks that shot is a PNG of the whole window and writes it: with -update to
// docs/playground.png, otherwise to a temporary folder, so that every run takes the same path.
func writeScreenshot(t *testing.T, shot []byte) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if cfg.Width != windowWidth || cfg.Height != windowHeight {
		t.Errorf("the screenshot is %d×%d, want %d×%d", cfg.Width, cfg.Height, windowWidth, windowHeight)
	}
	dir := t.TempDir()
	if *update {
		dir = "docs"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "playground.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
