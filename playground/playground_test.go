package playground_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/iclei/directory/playground"
)

var testOpts = playground.Options{
	Title:    "Directory <API> playground",
	Endpoint: "/graphql",
	Tabs: []playground.Tab{
		{Name: "Cities", Query: "query Cities($first: Int) { cities(first: $first) { name } }", Variables: `{"first": 10}`},
		{Name: "Break out", Query: "# </script><script>alert(1)</script>\n{ __typename }"},
	},
}

type pageConfig struct {
	Endpoint string `json:"endpoint"`
	Tabs     []struct {
		Name      string `json:"name"`
		Query     string `json:"query"`
		Variables string `json:"variables"`
	} `json:"tabs"`
}

var (
	configRe = regexp.MustCompile(`(?s)<script id="playground-config" type="application/json">(.*?)</script>`)
	scriptRe = regexp.MustCompile(`<script src="([^"]+)" integrity="([^"]+)"`)
	styleRe  = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)" integrity="([^"]+)"`)
)

func serve(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// page fetches "/" and returns its HTML.
func page(t *testing.T, h http.Handler) string {
	t.Helper()
	res := serve(t, h, http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", res.StatusCode)
	}
	return body(t, res)
}

func parseConfig(t *testing.T, doc string) pageConfig {
	t.Helper()
	m := configRe.FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("no playground-config script in page:\n%s", doc)
	}
	var cfg pageConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("config is not JSON: %v\n%s", err, m[1])
	}
	return cfg
}

// assetURLs returns the script and stylesheet URLs and integrity values of
// the page.
func assetURLs(t *testing.T, doc string) (jsURL, jsSRI, cssURL, cssSRI string) {
	t.Helper()
	js, css := scriptRe.FindStringSubmatch(doc), styleRe.FindStringSubmatch(doc)
	if js == nil || css == nil {
		t.Fatalf("page lacks script or stylesheet:\n%s", doc)
	}
	return html.UnescapeString(js[1]), html.UnescapeString(js[2]), html.UnescapeString(css[1]), html.UnescapeString(css[2])
}

func TestPage(t *testing.T) {
	h := playground.Handler(testOpts)
	res := serve(t, h, http.MethodGet, "/", nil)
	doc := body(t, res)

	headers := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": playground.ContentSecurityPolicy,
	}
	for k, want := range headers {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, directive := range []string{"default-src 'self'", "script-src 'self';", "connect-src 'self';", "style-src 'self' 'unsafe-inline'"} {
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), directive) {
			t.Errorf("CSP lacks %q", directive)
		}
	}
	if !strings.Contains(doc, "<title>Directory &lt;API&gt; playground</title>") {
		t.Errorf("title missing or not escaped:\n%s", doc)
	}

	cfg := parseConfig(t, doc)
	if cfg.Endpoint != "/graphql" {
		t.Errorf("endpoint = %q", cfg.Endpoint)
	}
	if len(cfg.Tabs) != len(testOpts.Tabs) {
		t.Fatalf("got %d tabs, want %d", len(cfg.Tabs), len(testOpts.Tabs))
	}
	for i, want := range testOpts.Tabs {
		got := cfg.Tabs[i]
		if got.Name != want.Name || got.Query != want.Query || got.Variables != want.Variables {
			t.Errorf("tab %d = %+v, want %+v", i, got, want)
		}
	}

	// The only scripts are the JSON config and the external bundle: no
	// inline code, which the CSP would block anyway.
	if n := strings.Count(doc, "<script"); n != 2 {
		t.Errorf("page has %d <script> elements, want 2", n)
	}
	if !strings.Contains(doc, `<script id="playground-config" type="application/json">`) {
		t.Error("config script is not of type application/json")
	}

	// ETag revalidation of the page.
	res = serve(t, h, http.MethodGet, "/", map[string]string{"If-None-Match": res.Header.Get("ETag")})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET /: status %d, want 304", res.StatusCode)
	}

	res = serve(t, h, http.MethodHead, "/", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("HEAD /: status %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if b := body(t, res); b != "" {
		t.Errorf("HEAD / has a body of %d bytes", len(b))
	}
}

func TestDefaults(t *testing.T) {
	doc := page(t, playground.Handler(playground.Options{}))
	if !strings.Contains(doc, "<title>GraphiQL</title>") {
		t.Error("default title missing")
	}
	cfg := parseConfig(t, doc)
	if cfg.Endpoint != "/graphql" || len(cfg.Tabs) != 0 {
		t.Errorf("config = %+v, want endpoint /graphql and no tabs", cfg)
	}
}

func TestConfigCannotBreakOutOfScript(t *testing.T) {
	evil := []string{
		"</script><script>alert(1)</script>",
		"</SCRIPT >",
		"<!-- <script>",
		"]]>&amp;'\"\u2028\u2029",
	}
	for _, s := range evil {
		t.Run(s, func(t *testing.T) {
			doc := page(t, playground.Handler(playground.Options{
				Endpoint: "/graphql?x=" + s,
				Tabs:     []playground.Tab{{Name: s, Query: "{ a } # " + s, Variables: `{"v": "` + s + `"}`}},
			}))
			if n := strings.Count(strings.ToLower(doc), "</script"); n != 2 {
				t.Errorf("page has %d </script, want 2:\n%s", n, doc)
			}
			if strings.Contains(strings.ToLower(doc), "<!--") {
				t.Errorf("page contains <!--:\n%s", doc)
			}
			cfg := parseConfig(t, doc)
			if cfg.Tabs[0].Name != s || cfg.Tabs[0].Query != "{ a } # "+s || cfg.Endpoint != "/graphql?x="+s {
				t.Errorf("config does not round-trip: %+v", cfg)
			}
		})
	}
}

func TestAssets(t *testing.T) {
	h := playground.Handler(testOpts)
	jsURL, jsSRI, cssURL, cssSRI := assetURLs(t, page(t, h))

	tests := []struct {
		url, sri, file, contentType string
	}{
		{jsURL, jsSRI, "dist/graphiql.js", "text/javascript; charset=utf-8"},
		{cssURL, cssSRI, "dist/graphiql.css", "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if !strings.HasPrefix(tt.url, playground.AssetPrefix) {
				t.Fatalf("asset URL %q is not under %s", tt.url, playground.AssetPrefix)
			}
			if !regexp.MustCompile(`^/playground/assets/graphiql\.[0-9a-f]{16}\.(js|css)$`).MatchString(tt.url) {
				t.Errorf("asset URL %q carries no content hash", tt.url)
			}
			res := serve(t, h, http.MethodGet, tt.url, nil)
			b := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", tt.url, res.StatusCode)
			}
			want := map[string]string{
				"Content-Type":           tt.contentType,
				"Cache-Control":          "public, max-age=31536000, immutable",
				"X-Content-Type-Options": "nosniff",
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			onDisk, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if b != string(onDisk) {
				t.Errorf("served %s differs from %s", tt.url, tt.file)
			}
			sum := sha512.Sum384([]byte(b))
			if sri := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); sri != tt.sri {
				t.Errorf("integrity = %q, want %q", tt.sri, sri)
			}

			etag := res.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			res = serve(t, h, http.MethodGet, tt.url, map[string]string{"If-None-Match": etag})
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("conditional GET: status %d, want 304", res.StatusCode)
			}
			res = serve(t, h, http.MethodHead, tt.url, nil)
			if res.StatusCode != http.StatusOK || body(t, res) != "" {
				t.Errorf("HEAD %s: status %d", tt.url, res.StatusCode)
			}
		})
	}

	res := serve(t, h, http.MethodGet, playground.AssetPrefix+"THIRD_PARTY_NOTICES.txt", nil)
	b := body(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(b, "graphiql@") {
		t.Errorf("notices: status %d, headers %v", res.StatusCode, res.Header)
	}
}

func TestNotFound(t *testing.T) {
	h := playground.Handler(testOpts)
	for _, path := range []string{
		"/nope",
		"/index.html",
		"/graphql",
		"/playground",
		"/playground/",
		"/playground/assets/",
		"/playground/assets/graphiql.js", // only under its hashed name
		"/playground/assets/graphiql.css",
		"/playground/assets/graphiql.0000000000000000.js",
		"/playground/assets/dist/graphiql.js",
		"/playground/assets/../playground.go",
		"/playground/assets/%2e%2e/playground.go",
		"/playground/assets/.",
	} {
		t.Run(path, func(t *testing.T) {
			res := serve(t, h, http.MethodGet, path, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := playground.Handler(testOpts)
	jsURL, _, _, _ := assetURLs(t, page(t, h))
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, path := range []string{"/", jsURL} {
			t.Run(method+" "+path, func(t *testing.T) {
				res := serve(t, h, method, path, nil)
				if res.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("status %d, want 405", res.StatusCode)
				}
				if got := res.Header.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow = %q", got)
				}
			})
		}
	}
}

// The page must not load anything from another origin: no absolute or
// protocol-relative URL at all.
func TestPageReferencesNoRemoteURL(t *testing.T) {
	doc := page(t, playground.Handler(testOpts))
	for _, bad := range []string{"http://", "https://", `="//`, "url(", "@import"} {
		if strings.Contains(strings.ToLower(doc), bad) {
			t.Errorf("page contains %q:\n%s", bad, doc)
		}
	}
}

// A string scan of the embedded bundle for CDNs and for ways to load more
// code at run time.
func TestBundleLoadsNothingFromACDN(t *testing.T) {
	h := playground.Handler(testOpts)
	jsURL, _, cssURL, _ := assetURLs(t, page(t, h))
	js := body(t, serve(t, h, http.MethodGet, jsURL, nil))
	css := body(t, serve(t, h, http.MethodGet, cssURL, nil))
	if len(js) < 100_000 || len(css) < 10_000 {
		t.Fatalf("bundle too small: js %d bytes, css %d bytes", len(js), len(css))
	}
	cdns := []string{
		"unpkg.com", "cdn.jsdelivr", "jsdelivr.net", "cdnjs.cloudflare", "esm.sh", "esm.run",
		"cdn.skypack", "jspm.io", "fonts.googleapis", "fonts.gstatic", "raw.githubusercontent",
		"cdn.graphql", "embed.graphql",
	}
	for name, text := range map[string]string{"js": js, "css": css} {
		for _, cdn := range cdns {
			if strings.Contains(text, cdn) {
				t.Errorf("%s bundle contains %q", name, cdn)
			}
		}
	}
	for _, loader := range []string{"import(", "importScripts(", "new Worker(", "new SharedWorker(", "eval("} {
		if strings.Contains(js, loader) {
			t.Errorf("js bundle contains %q", loader)
		}
	}
	// Everything the stylesheet refers to is inlined.
	for _, m := range regexp.MustCompile(`url\(\s*["']?([^"')]*)`).FindAllStringSubmatch(css, -1) {
		if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
			t.Errorf("css refers to %q", m[1])
		}
	}
	if strings.Contains(css, "@import") {
		t.Error("css contains @import")
	}
}

func TestAbsoluteEndpointIsAllowedByCSP(t *testing.T) {
	h := playground.Handler(playground.Options{Endpoint: "https://api.example.org/graphql"})
	res := serve(t, h, http.MethodGet, "/", nil)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://api.example.org;") {
		t.Errorf("CSP = %q", csp)
	}
	if !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestRegister(t *testing.T) {
	mux := http.NewServeMux()
	playground.Register(mux, testOpts)
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {})
	jsURL, _, _, _ := assetURLs(t, page(t, mux))

	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, jsURL, http.StatusOK},
		{http.MethodGet, "/other", http.StatusNotFound},
		{http.MethodGet, "/playground/assets/nope.js", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/graphql", http.StatusOK},
	}
	for _, tt := range tests {
		res := serve(t, mux, tt.method, tt.path, nil)
		if res.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
		}
	}
}
