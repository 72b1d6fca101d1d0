// Package playground serves an offline GraphiQL playground.
//
// The page loads GraphiQL from a bundle embedded in the binary (dist/, built
// by build.sh from the npm packages pinned in web/package-lock.json), so it
// works without internet access and never loads code from a CDN.
//
// Mounting: the handler answers two things, the page at exactly "/" and the
// bundle under AssetPrefix ("/playground/assets/"); every other path is a 404.
// Either hand it both prefixes,
//
//	h := playground.Handler(opts)
//	mux.Handle("/", h) // or "/{$}" to leave other paths to the mux
//	mux.Handle(playground.AssetPrefix, h)
//
// or let Register do that:
//
//	playground.Register(mux, opts) // "/{$}" and "/playground/assets/"
//
// The page is only usable at "/": it refers to its assets by absolute path.
package playground

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iclei/directory/httpcompress"
)

// Tab is an example operation the playground opens with.
//
// GraphiQL 3 titles a tab with the operation name of its query; when Name is
// not that operation name, the playground shows Name as a leading "# Name"
// comment line in the query instead. Variables is JSON text (may be empty).
type Tab struct {
	Name      string
	Query     string
	Variables string
}

// Options configure the playground page.
type Options struct {
	Title    string // page title; "GraphiQL" when empty
	Endpoint string // GraphQL endpoint, e.g. "/graphql" (the default when empty)
	Tabs     []Tab  // example tabs the playground opens with
}

// AssetPrefix is the path under which the handler serves the GraphiQL bundle.
const AssetPrefix = "/playground/assets/"

// ContentSecurityPolicy is the Content-Security-Policy of the page for a
// same-origin endpoint. An Endpoint on another origin is added to
// connect-src. 'unsafe-inline' in style-src is for the style attributes that
// React and CodeMirror set; no script runs inline.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

//go:embed dist
var distFS embed.FS

// dist is the embedded dist/ directory.
var dist = func() fs.FS {
	sub, err := fs.Sub(distFS, "dist")
	if err != nil {
		panic(err)
	}
	return sub
}()

const (
	immutable = "public, max-age=31536000, immutable"
	noCache   = "no-cache"
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.CSS.URL}}" integrity="{{.CSS.Integrity}}">
<script id="playground-config" type="application/json">{{.Config}}</script>
<script src="{{.JS.URL}}" integrity="{{.JS.Integrity}}" defer></script>
</head>
<body>
<div id="graphiql"><p class="playground-fallback">Loading the GraphQL playground…</p></div>
<noscript><p class="playground-fallback">The GraphQL playground needs JavaScript.</p></noscript>
</body>
</html>
`))

// asset is one embedded file served under a content-addressed name.
type asset struct {
	file      string // name in dist
	URL       string // AssetPrefix + content-addressed name
	Integrity string // subresource integrity (sha384)
	etag      string
	// encoded holds the file compressed, made once: the script is over a megabyte, too much to compress for
	// every response.
	encoded *httpcompress.Static
}

func newAsset(file string) asset {
	b, err := fs.ReadFile(dist, file)
	if err != nil {
		panic(fmt.Sprintf("playground: embedded bundle is missing %s (run playground/build.sh): %v", file, err))
	}
	sum := sha256.Sum256(b)
	short := hex.EncodeToString(sum[:])[:16]
	dot := strings.LastIndexByte(file, '.')
	sri := sha512.Sum384(b)
	return asset{
		file:      file,
		URL:       AssetPrefix + file[:dot] + "." + short + file[dot:],
		Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		etag:      `"` + short + `"`,
		encoded:   httpcompress.NewStatic(b),
	}
}

// config is the JSON read by web/src/main.jsx.
type config struct {
	Endpoint string      `json:"endpoint"`
	Tabs     []tabConfig `json:"tabs"`
}

type tabConfig struct {
	Name      string `json:"name"`
	Query     string `json:"query"`
	Variables string `json:"variables"`
}

type handler struct {
	page     []byte
	pageETag string
	csp      string
	assets   map[string]asset // by URL path
	files    http.Handler     // http.FileServerFS(dist)
}

// Handler serves the playground page at "/" (and only there: other paths
// 404) and its assets under AssetPrefix. It answers GET and HEAD only (405
// otherwise). See the package documentation for how to mount it.
//
// The page is rendered once, here. Assets are served under names that carry
// a hash of their content, with a one-year immutable Cache-Control; the page
// itself is sent with "Cache-Control: no-cache" and an ETag. The bundle's
// licence notices are at AssetPrefix + "THIRD_PARTY_NOTICES.txt".
func Handler(opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	js, css := newAsset("graphiql.js"), newAsset("graphiql.css")

	cfg := config{Endpoint: opts.Endpoint, Tabs: make([]tabConfig, 0, len(opts.Tabs))}
	for _, t := range opts.Tabs {
		cfg.Tabs = append(cfg.Tabs, tabConfig(t))
	}
	// json.Marshal escapes <, > and & (and U+2028/U+2029), so the text cannot
	// close the <script> element it is put in, whatever the queries contain.
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // strings only: cannot happen
	}

	var page bytes.Buffer
	err = pageTemplate.Execute(&page, struct {
		Title   string
		CSS, JS asset
		Config  template.JS
	}{opts.Title, css, js, template.JS(cfgJSON)})
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(page.Bytes())

	return &handler{
		page:     page.Bytes(),
		pageETag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		csp:      contentSecurityPolicy(opts.Endpoint),
		assets:   map[string]asset{js.URL: js, css.URL: css},
		files:    http.FileServerFS(dist),
	}
}

// Register mounts Handler(opts) on mux at "/{$}" (the page, at "/" only) and
// at AssetPrefix.
func Register(mux *http.ServeMux, opts Options) {
	h := Handler(opts)
	mux.Handle("/{$}", h)
	mux.Handle(AssetPrefix, h)
}

// contentSecurityPolicy adds the origin of an absolute endpoint URL to
// connect-src.
func contentSecurityPolicy(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ContentSecurityPolicy
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return ContentSecurityPolicy
	}
	origin := u.Scheme + "://" + u.Host
	return strings.Replace(ContentSecurityPolicy, "connect-src 'self'", "connect-src 'self' "+origin, 1)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	isPage := path == "/"
	if !isPage && !strings.HasPrefix(path, AssetPrefix) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if isPage {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", noCache)
		hdr.Set("Content-Security-Policy", h.csp)
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("ETag", h.pageETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
		return
	}

	var name string
	if a, ok := h.assets[path]; ok {
		name = a.file
		hdr.Set("Cache-Control", immutable)
		hdr.Set("ETag", a.etag)
		// Compressed once, here; behind httpcompress.Handler, which tags each encoding. A range is served from the
		// file as it is.
		enc := httpcompress.Negotiate(r.Header.Get("Accept-Encoding"))
		if body := a.encoded.Encoded(enc); body != nil && r.Header.Get("Range") == "" {
			hdr.Set("Content-Type", mime.TypeByExtension(name[strings.LastIndexByte(name, '.'):]))
			hdr.Set("Content-Encoding", enc)
			if !slices.Contains(hdr.Values("Vary"), "Accept-Encoding") {
				hdr.Add("Vary", "Accept-Encoding")
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
			return
		}
	} else {
		// Other files of dist/ (THIRD_PARTY_NOTICES.txt) under their plain
		// names; the bundles themselves only under their hashed names.
		name = strings.TrimPrefix(path, AssetPrefix)
		if name == "graphiql.js" || name == "graphiql.css" || !fs.ValidPath(name) || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		if st, err := fs.Stat(dist, name); err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		hdr.Set("Cache-Control", noCache)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + name
	r2.URL.RawPath = ""
	h.files.ServeHTTP(w, r2)
}
